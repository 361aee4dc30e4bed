/// Why an input could not be turned into code and data.
public enum ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input file could not be read.
    case unreadable(path: String, reason: String)
    /// The ELF file is malformed or not an i386 ELF32 file.
    case malformedELF(path: String, reason: String)
    /// The hex text is not a sequence of byte values.
    case badHex(String)
    /// The assembler or linker rejected the source; `message` is its output.
    case assemblyFailed(input: String, message: String)
    /// A tool (as, ld, gcc) could not be started.
    case toolMissing(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        case .malformedELF(let path, let reason): "\(path): not a valid i386 ELF32 file: \(reason)"
        case .badHex(let reason): "--hex: \(reason)"
        case .assemblyFailed(let input, let message): "\(input): assembly failed:\n\(message)"
        case .toolMissing(let tool): "cannot run \(tool); install binutils (Scripts/setup)"
        }
    }
}
