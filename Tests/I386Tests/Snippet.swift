import Foundation
import I386
import PC

/// Assembles AT&T text with GNU as (into a flat binary at `origin`) and
/// returns a machine with it loaded, a 64 KB data area at 0x00200000 and a
/// stack whose top is 0x00300000.
struct Snippet {
    static let origin: UInt32 = 0x0010_0000
    static let data: UInt32 = 0x0020_0000
    static let stackTop: UInt32 = 0x0030_0000

    let machine: Machine
    /// The port-0xE9 console.
    let console = DebugConsole()
    let end: UInt32

    init(_ text: String) throws {
        let bytes = try assemble(text, origin: Snippet.origin)
        machine = try Machine()
        machine.ports.attach(console, ports: DebugConsole.port...DebugConsole.port)
        machine.map(Snippet.origin, size: UInt32(max(bytes.count, 1) + 4096), permissions: [.read, .execute])
        try machine.write(bytes, at: Snippet.origin)
        machine.map(Snippet.data, size: 0x10000, permissions: [.read, .write])
        machine.map(Snippet.stackTop - 0x10000, size: 0x10000, permissions: [.read, .write])
        machine.eip = Snippet.origin
        machine[.esp] = Snippet.stackTop
        end = Snippet.origin + UInt32(bytes.count)
        machine.endAddress = end
    }

    /// Runs to the end of the snippet (or another stop reason).
    @discardableResult
    func run(maxSteps: Int = 1_000_000) -> StopReason {
        machine.run(maxSteps: maxSteps)
    }

    func word(_ address: UInt32) throws -> UInt32 { try machine.word(at: address) }
}

/// Assembles `text` with `as --32` and extracts `.text` as a flat binary placed at `origin`.
func assemble(_ text: String, origin: UInt32) throws -> [UInt8] {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-i386-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let source = directory.appendingPathComponent("s.s")
    try (".text\n" + text + "\n").write(to: source, atomically: true, encoding: .utf8)
    let object = directory.appendingPathComponent("s.o")
    let binary = directory.appendingPathComponent("s.bin")
    try runTool("as", ["--32", "-o", object.path, source.path])
    try runTool("ld", ["-m", "elf_i386", "-Ttext=0x\(String(origin, radix: 16))", "-e", "0", "--oformat", "binary",
                       "-o", binary.path, object.path])
    return [UInt8](try Data(contentsOf: binary))
}

struct ToolFailure: Error, CustomStringConvertible {
    var description: String
}

func runTool(_ tool: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let pipe = Pipe()
    process.standardError = pipe
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ToolFailure(description: "\(tool) failed: \(String(decoding: output, as: UTF8.self))")
    }
}
