import Foundation

/// Runs the built `kstep` binary as a subprocess and captures its output.
struct KstepProcess {
    struct Output {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// The `kstep` executable next to the test bundle.
    static var executable: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("kstep")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/kstep")
    }

    /// The release build of `kstep` beside the debug one, when it is newer than every
    /// file of `Sources/` and `Package.swift` (for long runs such as an xv6 boot, which
    /// take minutes in a debug build); else nil.
    static var freshReleaseExecutable: URL? {
        let release = executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("release/kstep")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        func modified(_ url: URL) -> Date? {
            (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
        }
        guard let built = modified(release) else { return nil }
        var inputs = [root.appendingPathComponent("Package.swift")]
        if let files = FileManager.default.enumerator(at: root.appendingPathComponent("Sources"), includingPropertiesForKeys: nil) {
            inputs += files.compactMap { $0 as? URL }
        }
        return inputs.allSatisfy { (modified($0) ?? .distantPast) <= built } ? release : nil
    }

    static func run(_ arguments: [String], executable: URL = KstepProcess.executable) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      standardOutput: String(decoding: outData, as: UTF8.self),
                      standardError: String(decoding: errData, as: UTF8.self))
    }

    /// Runs kstep with standard output going to `standardOutput` (standard error discarded); returns the exit status.
    static func status(_ arguments: [String], standardOutput: FileHandle) throws -> Int32 {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = standardOutput
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Writes `bytes` to a fresh temporary file and returns its path.
    static func temporaryFile(_ bytes: [UInt8], suffix: String = "") throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("kstep-test-\(UUID().uuidString)\(suffix)")
        try Data(bytes).write(to: url)
        return url.path
    }
}
