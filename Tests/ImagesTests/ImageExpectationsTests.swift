import Foundation
import Testing
@testable import Images

/// Issue 16, item 6: expectation files are strict.
@Suite struct ImageExpectationsTests {
    /// A directory holding `NAME.elf` assembled from `source` and `NAME.expect.json` with `json`.
    static func image(_ source: String, expect json: String) throws -> (directory: URL, expectations: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-expect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let elf = try GNUToolchain.assemble(text: source)
        try Data(elf.bytes).write(to: directory.appendingPathComponent("probe.elf"))
        let path = directory.appendingPathComponent("probe.expect.json")
        try json.write(to: path, atomically: true, encoding: .utf8)
        return (directory, path.path)
    }

    @Test(arguments: [
        ("{\"stop\": \"hlt\", \"consol\": \"XYZ\"}", "unknown key 'consol'"),
        ("{\"stop\": \"hlt\", \"check_current\": {\"thread_sise\": 4096}}", "unknown key 'check_current.thread_sise'"),
        ("{\"stop\": \"halt\"}", "'stop' must be one of"),
        ("{\"stop\": \"hlt\", \"max_steps\": \"many\"}", "'max_steps' must be a non-negative number"),
    ])
    func mistakesAreErrorsNamingTheKey(json: String, message: String) throws {
        let (directory, path) = try Self.image("hlt", expect: json)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect {
            _ = try ImageExpectations(path: path)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func anExceptionStopIsCheckedWithItsErrorCodeAndAddress() throws {
        let good = try Self.image("movl $1, 0x50000000", expect: """
            {"stop": "#PF", "exception": {"error_code": "0x2", "address": "0x50000000"}}
            """)
        defer { try? FileManager.default.removeItem(at: good.directory) }
        #expect(try ImageExpectations(path: good.expectations).check().failures == [])

        let wrong = try Self.image("movl 0x50000000, %eax", expect: """
            {"stop": "#PF", "exception": {"error_code": "0x2", "address": "0x50000004"}}
            """)
        defer { try? FileManager.default.removeItem(at: wrong.directory) }
        let failures = try ImageExpectations(path: wrong.expectations).check().failures
        #expect(failures.contains { $0.contains("error code 0x0, expected 0x2") }, "\(failures)")
        #expect(failures.contains { $0.contains("address 0x50000000, expected 0x50000004") }, "\(failures)")

        let other = try Self.image("ud2", expect: "{\"stop\": \"#PF\"}")
        defer { try? FileManager.default.removeItem(at: other.directory) }
        let otherFailures = try ImageExpectations(path: other.expectations).check().failures
        #expect(otherFailures.contains { $0.contains("#UD") && $0.contains("expected #PF") }, "\(otherFailures)")
    }
}
