import Foundation

/// Reads whole input files with typed errors.
public enum InputFile {
    /// The bytes of the file at `path`.
    public static func read(_ path: String) throws(ImageError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            throw .unreadable(path: path, reason: exists ? (isDirectory.boolValue ? "is a directory" : "permission denied") : "no such file")
        }
        return [UInt8](data)
    }

    /// Reads an ELF file, or assembles a `.s`/`.S` file, by its extension.
    public static func loadELF(_ path: String) throws(ImageError) -> ELF32File {
        if path.hasSuffix(".s") || path.hasSuffix(".S") {
            return try GNUToolchain.assemble(file: path)
        }
        return try ELF32File(bytes: try read(path), path: path)
    }
}
