import Foundation

/// Assembles and links i386 sources with GNU binutils (`as --32`, `ld -m elf_i386`);
/// `.S` files go through the C preprocessor first.
public enum GNUToolchain {
    /// Where code goes when the source does not place it.
    public static let defaultLoadAddress: UInt32 = 0x0010_0000

    /// The link script used for sources that bring none: text (read/execute)
    /// at 0x00100000, then data and bss (read/write) from the next page;
    /// `_start` (or the first instruction) is the entry point. The default
    /// environment's symbols are PROVIDEd (defined unless the source defines them).
    public static let defaultLinkScript = """
        ENTRY(_start)
        PHDRS
        {
          text PT_LOAD FLAGS(5);
          data PT_LOAD FLAGS(6);
        }
        SECTIONS
        {
          . = 0x00100000;
          .text : { PROVIDE(_start = .); *(.text.entry) *(.text .text.*) } :text
          .rodata : { *(.rodata .rodata.*) } :text
          . = ALIGN(0x1000);
          .data : { *(.data .data.*) } :data
          .bss : { *(.bss .bss.*) *(COMMON) } :data
          /DISCARD/ : { *(.note.*) *(.comment) *(.eh_frame) }
        }
        """ + "\n" + DefaultEnvironment.linkScriptSymbols

    /// Assembles and links assembly text (`;` or newlines separate instructions)
    /// into an ELF image. `inputName` names the text in error messages.
    public static func assemble(text: String, inputName: String = "--asm") throws(ImageError) -> ELF32File {
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("snippet.s")
        do {
            try (text + "\n").write(to: source, atomically: true, encoding: .utf8)
        } catch {
            throw .unreadable(path: source.path, reason: "\(error)")
        }
        return try build(source: source, inputName: inputName, in: directory)
    }

    /// Assembles and links a `.s` or `.S` file into an ELF image.
    public static func assemble(file path: String) throws(ImageError) -> ELF32File {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .unreadable(path: path, reason: "no such readable file")
        }
        let directory = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        return try build(source: URL(fileURLWithPath: path), inputName: path, in: directory)
    }

    private static func build(source: URL, inputName: String, in directory: URL) throws(ImageError) -> ELF32File {
        var assemblerInput = source
        if source.pathExtension == "S" {
            let preprocessed = directory.appendingPathComponent("preprocessed.s")
            try run("gcc", ["-m32", "-E", "-x", "assembler-with-cpp", "-o", preprocessed.path, source.path],
                    inputName: inputName, directory: directory)
            assemblerInput = preprocessed
        }
        let object = directory.appendingPathComponent("snippet.o")
        let image = directory.appendingPathComponent("snippet.elf")
        let script = directory.appendingPathComponent("link.ld")
        do {
            try defaultLinkScript.write(to: script, atomically: true, encoding: .utf8)
        } catch {
            throw .unreadable(path: script.path, reason: "\(error)")
        }
        try run("as", ["--32", "-o", object.path, assemblerInput.path], inputName: inputName, directory: directory)
        try run("ld", ["-m", "elf_i386", "-T", script.path, "-o", image.path, object.path],
                inputName: inputName, directory: directory)
        let bytes: [UInt8]
        do {
            bytes = try [UInt8](Data(contentsOf: image))
        } catch {
            throw .unreadable(path: image.path, reason: "\(error)")
        }
        return try ELF32File(bytes: bytes, path: inputName)
    }

    /// Runs a tool; a non-zero exit becomes `assemblyFailed` carrying its messages,
    /// with the scratch file names replaced by the input's name.
    private static func run(_ tool: String, _ arguments: [String], inputName: String,
                            directory: URL) throws(ImageError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        do {
            try process.run()
        } catch {
            throw .toolMissing(tool)
        }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            if process.terminationStatus == 127 { throw .toolMissing(tool) }
            var message = String(decoding: output, as: UTF8.self)
            for scratch in ["snippet.s", "preprocessed.s", "snippet.o"] {
                message = message.replacingOccurrences(of: directory.appendingPathComponent(scratch).path, with: inputName)
            }
            throw .assemblyFailed(input: inputName, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    private static func makeScratchDirectory() throws(ImageError) -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kstep-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .unreadable(path: directory.path, reason: "\(error)")
        }
        return directory
    }
}
