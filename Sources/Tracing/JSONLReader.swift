import Foundation

/// Reads a JSONL file one line at a time through a fixed-size buffer, so a
/// trace of any length is read in bounded memory.
public final class JSONLReader {
    private let handle: FileHandle
    private let name: String
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// The number of the line last returned (1-based).
    public private(set) var lineNumber = 0

    public init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DiffError(description: "\(path): cannot be read")
        }
        self.handle = handle
        name = path
    }

    deinit { try? handle.close() }

    /// The next non-empty line parsed as a JSON object, or nil at the end of the file.
    public func next() throws -> [String: Any]? {
        while true {
            guard let line = nextLine() else { return nil }
            lineNumber += 1
            if line.isEmpty { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw DiffError(description: "\(name):\(lineNumber): not a JSON object")
            }
            return object
        }
    }

    private func nextLine() -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[start..<newline]
                start = newline + 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                return line
            }
            // Keep the partial line, drop what was consumed, read 1 MB more.
            buffer.removeSubrange(0..<start)
            start = 0
            let chunk = (try? handle.read(upToCount: 1 << 20)) ?? nil
            if let chunk, !chunk.isEmpty { buffer.append(contentsOf: chunk) } else { atEnd = true }
        }
    }
}
