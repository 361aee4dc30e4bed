/// The ELF the target runs, for gdb to read through the remote protocol:
/// `qXfer:exec-file:read` names it and gdb's host I/O (`vFile:`) opens,
/// reads and stats it, so `target remote :PORT` without a file — and a
/// snippet kstep assembled itself — still gives gdb the symbols. Only that
/// one file can be opened, read-only; nothing on the host is reachable.
extension GDBSession {
    /// The ELF's bytes and the name gdb sees for it.
    public struct Executable: Sendable {
        public var name: String
        public var bytes: [UInt8]

        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// gdb's errno values (its File-I/O numbering).
    private enum FileError: Int {
        case noEntry = 2, badDescriptor = 9, access = 13, invalid = 22
    }

    /// `qXfer:exec-file:read:ANNEX:OFFSET,LENGTH`.
    func executableFileName(_ request: Substring) -> Response {
        guard let executable else { return Response([""]) }
        let parts = request.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return Response(["E00"]) }
        let numbers = parts[1].split(separator: ",")
        guard numbers.count == 2, let offset = PacketCoding.number(Array(numbers[0].utf8)),
              let length = PacketCoding.number(Array(numbers[1].utf8)) else { return Response(["E00"]) }
        let name = Array(executable.name.utf8)
        let start = Int(clamping: min(offset, UInt64(name.count)))
        let end = start + min(Int(clamping: length), name.count - start)
        return Response(bytes: Array((end < name.count ? "m" : "l").utf8) + name[start..<end])
    }

    /// `vFile:OPERATION:ARGUMENTS`.
    func hostIO(_ request: Substring) -> Response {
        let parts = request.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let arguments = parts.count == 2 ? parts[1].split(separator: ",", omittingEmptySubsequences: false) : []
        func number(_ index: Int) -> UInt64? {
            arguments.indices.contains(index) ? PacketCoding.number(Array(arguments[index].utf8)) : nil
        }
        func failure(_ error: FileError) -> Response { Response(["F-1," + String(error.rawValue, radix: 16)]) }
        switch parts.first {
        case "setfs":
            return Response(["F0"])
        case "open":
            guard let executable, let hexName = arguments.first, let flags = number(1),
                  let name = PacketCoding.bytes(fromHex: Array(hexName.utf8)) else { return failure(.invalid) }
            guard String(decoding: name, as: UTF8.self) == executable.name else { return failure(.noEntry) }
            guard flags & 0x603 == 0 else { return failure(.access) }  // read-only: no write, create or truncate
            let descriptor = (openFiles.max() ?? 0) + 1
            openFiles.insert(descriptor)
            return Response(["F" + String(descriptor, radix: 16)])
        case "close":
            guard let descriptor = number(0), openFiles.remove(Int(clamping: descriptor)) != nil else { return failure(.badDescriptor) }
            return Response(["F0"])
        case "pread":
            guard let executable, let descriptor = number(0), openFiles.contains(Int(clamping: descriptor)) else {
                return failure(.badDescriptor)
            }
            guard let count = number(1), let offset = number(2) else { return failure(.invalid) }
            // Escaping may double every byte: what fits a packet.
            let most = min(Int(clamping: count), (Self.packetSize - 32) / 2)
            let start = Int(clamping: min(offset, UInt64(executable.bytes.count)))
            let end = min(executable.bytes.count, start + most)
            return Response(bytes: Array("F\(String(end - start, radix: 16));".utf8) + executable.bytes[start..<end])
        case "fstat":
            guard let executable, let descriptor = number(0), openFiles.contains(Int(clamping: descriptor)) else {
                return failure(.badDescriptor)
            }
            return Response(bytes: Array("F40;".utf8) + Self.fileStatus(size: executable.bytes.count))
        default:
            return Response([""])  // unlink, readlink, pwrite …: not supported
        }
    }

    /// gdb's `struct fio_stat`, big-endian: a read-only regular file of `size` bytes.
    static func fileStatus(size: Int) -> [UInt8] {
        func field(_ value: UInt64, _ width: Int) -> [UInt8] {
            (0..<width).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        }
        let size = UInt64(size)
        var bytes: [UInt8] = []
        bytes += field(0, 4) + field(0, 4)            // st_dev, st_ino
        bytes += field(0o100444, 4) + field(1, 4)     // st_mode (regular, r--r--r--), st_nlink
        bytes += field(0, 4) + field(0, 4) + field(0, 4)  // st_uid, st_gid, st_rdev
        bytes += field(size, 8) + field(4096, 8) + field((size + 511) / 512, 8)  // st_size, st_blksize, st_blocks
        bytes += field(0, 4) + field(0, 4) + field(0, 4)  // st_atime, st_mtime, st_ctime
        return bytes
    }
}
