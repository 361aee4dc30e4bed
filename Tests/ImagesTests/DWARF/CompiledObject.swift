import Foundation
import Images

/// C sources compiled with the host's `gcc -m32 -g -c` (and optionally
/// linked with `ld -m elf_i386`), for DWARF tests; nil, with a printed reason,
/// when there is no gcc or ld here. A source that does not compile (a failed
/// `_Static_assert`) is an error.
enum CompiledObject {
    struct ToolFailed: Error, CustomStringConvertible {
        var description: String
    }

    static func compile(_ source: String, flags: [String], link: Bool = false) throws -> ELF32File? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-dwarf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input.c")
        let object = directory.appendingPathComponent("input.o")
        let linked = directory.appendingPathComponent("input.elf")
        try source.write(to: input, atomically: true, encoding: .utf8)
        guard try run("gcc", ["-m32", "-g", "-c", "-O0", "-fno-pic", "-ffreestanding"] + flags
                      + ["-o", object.path, input.path]) else { return nil }
        var output = object
        if link {
            guard try run("ld", ["-m", "elf_i386", "-e", "0", "-Ttext", "0x1000", "-o", linked.path, object.path]) else { return nil }
            output = linked
        }
        return try ELF32File(bytes: [UInt8](try Data(contentsOf: output)), path: output.lastPathComponent)
    }

    /// False when the tool is missing; throws when it fails.
    private static func run(_ tool: String, _ arguments: [String]) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            print("skipped: cannot run \(tool): \(error)")
            return false
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 127 {
            print("skipped: no \(tool) on this host")
            return false
        }
        guard process.terminationStatus == 0 else {
            throw ToolFailed(description: "\(tool) \(arguments.joined(separator: " ")) failed: \(message)")
        }
        return true
    }
}
