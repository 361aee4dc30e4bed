import Foundation
import Images
import Testing

/// Expectation files for Multiboot kernels: booted on a PC, COM1 fed from a file and checked.
@Suite struct MultibootExpectationTests {
    static let image = RepositoryPaths.path("Images/multiboot_serial/multiboot_serial.elf")

    /// Writes an expectation file for the multiboot_serial image into a fresh folder.
    func expectations(_ json: String, input: String = "ping\nhalt\n") throws -> ImageExpectations {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-mb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(input.utf8).write(to: folder.appendingPathComponent("input.txt"))
        let path = folder.appendingPathComponent("mb.expect.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return try ImageExpectations(path: path)
    }

    @Test func bootsFeedsCOM1AndComparesItsOutput() throws {
        let passing = try expectations("""
            {"multiboot": true, "image": "\(Self.image)", "serial_input": "input.txt", "stop": "hlt",
             "memory": {"lines_answered": "1", "received_bytes": "10"}}
            """)
        let result = try passing.check()
        #expect(result.failures == [])
        let wrong = try expectations("""
            {"multiboot": true, "image": "\(Self.image)", "serial_input": "input.txt", "serial": "nothing"}
            """)
        let failures = try wrong.check().failures
        #expect(failures.count == 1)
        #expect(failures.first?.contains("echo: PING") == true)
    }

    @Test func untilOutputStopsTheRunWithReasonUntil() throws {
        let stopped = try expectations("""
            {"multiboot": true, "image": "\(Self.image)", "serial_input": "input.txt", "until_output": "echo: PI",
             "stop": "until", "memory": {"lines_answered": "0"}}
            """)
        #expect(try stopped.check().failures == [])
    }

    @Test func serialKeysNeedAPC() throws {
        #expect(throws: ImageError.self) {
            _ = try expectations(#"{"image": "x.elf", "serial": "text"}"#)
        }
    }
}
