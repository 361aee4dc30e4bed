import Foundation
import I386
import Images
import Testing

/// The current-macro regression: the real instruction sequence for every esp.
@Suite struct CurrentMacroCheckTests {
    @Test func seedsWorkedExample() throws {
        let image = try ImageLoader.load(.assembly("movl $0xffffe000,%ecx; andl %esp,%ecx; movl (%ecx),%eax"))
        image.machine[.esp] = 0x015F_A878
        #expect(image.machine.run() == .endOfCode)
        #expect(image.machine[.ecx] == 0x015F_A000)
        #expect(image.machine[.eax] == image.resolve("init_task"))
    }

    @Test(arguments: [("Images/current/current_8k.elf", UInt32(8192), 2035), ("Images/current/current_4k.elf", 4096, 1011)])
    func everyStackPointerOfAGoodUnion(path: String, threadSize: UInt32, pointers: Int) throws {
        let image = try ImageLoader.load(.file(RepositoryPaths.path(path)))
        let reports = try CurrentMacroCheck(threadSize: threadSize).check(image)
        #expect(reports.count == 1)
        #expect(reports.first?.union.name == "init_thread_union")
        #expect(reports.first?.union.task?.name == "init_task")
        #expect(reports.first?.checked == pointers)  // union+52 … top-4
        #expect(reports.first?.mismatches == [])
    }

    @Test func aWrongThreadSizeIsCaught() throws {
        let image = try ImageLoader.load(.file(RepositoryPaths.path("Images/current/current_8k.elf")))
        let mismatches = try CurrentMacroCheck(threadSize: 4096).check(image).flatMap(\.mismatches)
        #expect(mismatches.count == 1024)  // the upper 4 KB masks to the wrong page
        #expect(mismatches.first?.esp == 0x015F_B000)
        #expect(mismatches.first?.threadInfo == 0x015F_B000)
    }

    @Test func an8KUnionThatIsOnly4KAlignedIsCaught() throws {
        // The default link script puts .bss at 0x101000: 4 KB- but not 8 KB-aligned.
        let elf = try GNUToolchain.assemble(text: """
            movl $misaligned_task, misaligned_thread_union
            hlt
            .bss
            .globl misaligned_thread_union, misaligned_task
            .type misaligned_thread_union, @object
            .size misaligned_thread_union, 8192
            misaligned_thread_union: .space 8192
            .type misaligned_task, @object
            .size misaligned_task, 1152
            misaligned_task: .space 1152
            """)
        let image = try ImageLoader.load(elf)
        let union = try #require(CurrentMacroCheck.unions(in: image).first { $0.name == "misaligned_thread_union" })
        #expect(union.address & 0x1FFF == 0x1000)
        let report = try #require(try CurrentMacroCheck().check(image).first { $0.union.name == "misaligned_thread_union" })
        #expect(report.checked == 2035)
        // Every esp masks to the 8 KB boundary below or inside the union, never to its start.
        #expect(report.mismatches.count == 2035)
        #expect(report.mismatches.first?.threadInfo == union.address - 0x1000)
    }

    @Test func anESPAtTheTopBelongsToTheNextUnion() throws {
        let image = try ImageLoader.load(.assembly("movl $0xffffe000,%ecx; andl %esp,%ecx"))
        image.machine[.esp] = 0x015F_C000  // the top of init_thread_union: empty stack
        #expect(image.machine.run() == .endOfCode)
        #expect(image.machine[.ecx] == 0x015F_C000)  // the next union, not 0x015fa000
    }

    @Test func stackOverflowCorruptsCurrent() throws {
        let image = try ImageLoader.load(.file(RepositoryPaths.path("Images/stack_overflow/stack_overflow.elf")))
        let reports = try CurrentMacroCheck().check(image)
        let corrupted = try #require(reports.first { $0.union.name == "init_thread_union" })
        #expect(corrupted.mismatches.count == corrupted.checked)
        #expect(corrupted.mismatches.allSatisfy { $0.threadInfo == 0x015F_A000 && $0.task == 0x5A5A_5A5A })
        #expect(reports.first { $0.union.name == "below_thread_union" }?.mismatches == [])
    }

    @Test func rebuildingTheImagesReproducesTheCommittedBytes() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-rebuild-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RepositoryPaths.path("Scripts/build-images"))
        process.arguments = [output.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let built = FileManager.default.enumerator(atPath: output.path)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".elf") } ?? []
        #expect(built.count >= 6)
        for relative in built {
            let fresh = try Data(contentsOf: output.appendingPathComponent(relative))
            let committed = try Data(contentsOf: URL(fileURLWithPath: RepositoryPaths.path("Images/" + relative)))
            #expect(fresh == committed, "\(relative) differs from its rebuild")
        }
    }
}
