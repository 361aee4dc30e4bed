import Foundation
import Testing

/// Images/lazy_fpu's results are right only because __unlazy_fpu saves a
/// task's FPU and math_state_restore brings it back after #NM: rebuilt with
/// -DNO_LAZY_FPU (Scripts/build-images with KSTEP_IMAGE_CFLAGS), the same
/// image fails its own expectations.
@Suite struct LazyFPUImageTests {
    @Test func withoutTheLazySaveAndRestoreTheImageFailsItsExpectations() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-nolazy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let build = Process()
        build.executableURL = URL(fileURLWithPath: DiffAndGoldenTests.path("Scripts/build-images"))
        build.arguments = [output.path]
        build.environment = ProcessInfo.processInfo.environment.merging(["KSTEP_IMAGE_CFLAGS": "-DNO_LAZY_FPU"]) { $1 }
        build.standardOutput = FileHandle.nullDevice
        try build.run()
        build.waitUntilExit()
        try #require(build.terminationStatus == 0)
        let directory = output.appendingPathComponent("lazy_fpu")
        for name in ["lazy_fpu", "lazy_fpu_fnsave"] {
            try FileManager.default.copyItem(atPath: DiffAndGoldenTests.path("Images/lazy_fpu/\(name).expect.json"),
                                             toPath: directory.appendingPathComponent("\(name).expect.json").path)
        }
        let failing = try KstepProcess.run(["test", directory.path])
        #expect(failing.status == 4)
        #expect(failing.standardOutput.contains("FAIL lazy_fpu:"))
        #expect(failing.standardOutput.contains("FAIL lazy_fpu_fnsave:"))
        #expect(failing.standardOutput.contains("0 passed, 2 failed"))

        let lazy = try KstepProcess.run(["test", DiffAndGoldenTests.path("Images/lazy_fpu")])
        #expect(lazy.status == 0)
        #expect(lazy.standardOutput.contains("2 passed, 0 failed"))
    }
}
