import Foundation
import Testing

/// Images/fpu_double computes with doubles on the x87; its expectation file
/// holds what kstep prints. Here the same C file, compiled with the same
/// flags as Scripts/build-images uses, runs natively as a 32-bit Linux
/// program (the console written to stdout, as Scripts/bench builds its
/// workloads) and must print exactly that text, so kstep's x87 results are
/// the host's bit for bit.
@Suite struct FPUDoubleNativeTests {
    /// Scripts/build-images' CFLAGS and X87FLAGS.
    static let flags = ["-m32", "-O2", "-ffreestanding", "-fno-pic", "-fno-stack-protector",
                        "-fno-asynchronous-unwind-tables", "-fno-strict-aliasing", "-fno-builtin", "-nostdlib",
                        "-std=gnu11", "-Wall", "-Werror",
                        "-march=i686", "-mfpmath=387", "-mno-sse", "-fexcess-precision=standard"]

    @Test func theImagePrintsWhatItsNativeBuildPrints() throws {
        let images = RepositoryPaths.path("Images")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-fpu-double-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func object(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let include = ["-I\(images)/include"]
        try run("gcc", Self.flags + include + ["-include", "\(images)/bench/native/console.h", "-c",
                                               "\(images)/fpu_double/fpu_double.c", "-o", object("fpu_double.o")])
        try run("gcc", Self.flags + include + ["-DBENCH_MAIN=fpu_main", "-c", "\(images)/bench/native/start.S",
                                               "-o", object("start.o")])
        try run("gcc", Self.flags + include + ["-c", "\(images)/bench/native/finish.c", "-o", object("finish.o")])
        try run("ld", ["-m", "elf_i386", "-T", "\(images)/kernel.ld", "--build-id=none", "-z", "noexecstack",
                       "-e", "native_start", "-o", object("fpu_double"), object("start.o"), object("fpu_double.o"),
                       object("finish.o")])
        let native: String
        do {
            native = try run(object("fpu_double"), [])
        } catch {
            print("skipping the native fpu_double comparison: the host cannot run it (\(error))")
            return
        }

        let expectation = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(images)/fpu_double/fpu_double.expect.json"))) as? [String: Any]
        let console = try #require(expectation?["console"] as? String)
        let eax = try #require((expectation?["registers"] as? [String: String])?["eax"])
        let eaxValue = try #require(UInt32(eax.dropFirst(2), radix: 16))
        let hex = String(eaxValue, radix: 16)
        let expected = console + "eax=" + String(repeating: "0", count: 8 - hex.count) + hex + "\n"
        #expect(native == expected)
        #expect(console.split(separator: "\n").count >= 40)
    }

    @discardableResult
    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool.hasPrefix("/") ? tool : "/usr/bin/env")
        process.arguments = tool.hasPrefix("/") ? arguments : [tool] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw NativeBuildFailure(description: "\(tool) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }

    struct NativeBuildFailure: Error, CustomStringConvertible {
        var description: String
    }
}
