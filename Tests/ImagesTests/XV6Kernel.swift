import Foundation
import Images

/// The xv6 build beside the repository (`../shared/xv6`, or `KSTEP_XV6_DIR`):
/// tests that need it are skipped, with the reason printed, when it is missing.
enum XV6Kernel {
    static var directory: String {
        ProcessInfo.processInfo.environment["KSTEP_XV6_DIR"]
            ?? RepositoryPaths.root.deletingLastPathComponent().appendingPathComponent("shared/xv6").path
    }

    static var kernelPath: String { directory + "/kernelmemfs" }

    /// kernelmemfs, or nil (and a printed reason) when it is not there.
    static func load() throws -> ELF32File? {
        guard FileManager.default.fileExists(atPath: kernelPath) else {
            print("skipped: no xv6 kernel at \(kernelPath) (set KSTEP_XV6_DIR)")
            return nil
        }
        return try ELF32File(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: kernelPath))), path: kernelPath)
    }
}
