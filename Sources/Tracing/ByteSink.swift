import Foundation

/// A byte buffer written to a file handle in large chunks, or kept in
/// memory (for `kstep diff` and golden traces). Appends are memcpy's into
/// one raw buffer: the tracer's hot path.
public final class ByteSink {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0
    private let handle: FileHandle?
    private var kept: [UInt8] = []
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)
    private let digitTable: UnsafeMutablePointer<UInt8>

    /// The first write error, if writing failed (the trace then stops writing).
    public private(set) var writeError: Error?

    /// Writes to `handle`; nil keeps everything in memory (`contents`).
    public init(handle: FileHandle?) {
        self.handle = handle
        capacity = 1 << 20
        storage = .allocate(capacity: capacity)
        digitTable = .allocate(capacity: 16)
        for (index, digit) in Self.digits.enumerated() { digitTable[index] = digit }
    }

    deinit {
        storage.deallocate()
        digitTable.deallocate()
    }

    /// Everything written (for in-memory sinks).
    public var contents: [UInt8] { kept + Array(UnsafeBufferPointer(start: storage, count: count)) }

    /// The last byte written, if any.
    var lastByte: UInt8? { count > 0 ? storage[count - 1] : nil }

    func removeLast() { if count > 0 { count -= 1 } }

    @inline(__always) private func reserve(_ extra: Int) {
        if count + extra > capacity { grow(extra) }
    }

    @inline(never) private func grow(_ extra: Int) {
        if handle != nil && count > 0 {
            flush()
            if count + extra <= capacity { return }
        }
        let newCapacity = max(capacity * 2, count + extra)
        let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newStorage.update(from: storage, count: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    @inline(__always) func append(_ pointer: UnsafePointer<UInt8>, count length: Int) {
        reserve(length)
        if length <= 16 {
            // Short pieces: a byte loop beats a memmove call.
            for index in 0..<length { storage[count + index] = pointer[index] }
        } else {
            (storage + count).update(from: pointer, count: length)
        }
        count += length
    }

    @inline(__always) func append(_ text: StaticString) {
        append(text.utf8Start, count: text.utf8CodeUnitCount)
    }

    func appendString(_ text: String) {
        var copy = text
        copy.withUTF8 { append($0.baseAddress ?? UnsafePointer(storage), count: $0.count) }
    }

    func append(bytes more: [UInt8]) {
        more.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { append(base, count: buffer.count) }
        }
    }

    @inline(__always) func append(byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    /// `digits` lowercase hex digits of `value`.
    @inline(__always) func appendHex(_ value: UInt64, digits length: Int) {
        reserve(length)
        var position = count + length - 1
        var remaining = value
        for _ in 0..<length {
            storage[position] = digitTable[Int(remaining & 0xF)]
            remaining >>= 4
            position -= 1
        }
        count += length
    }

    @inline(__always) func appendHex32(_ value: UInt32) { appendHex(UInt64(value), digits: 8) }

    /// Little-endian bytes of a `size`-byte value, as hex.
    @inline(__always) func appendHexBytes(_ value: UInt64, size: Int) {
        reserve(size * 2)
        for index in 0..<size {
            let byte = Int((value >> (8 * UInt64(index))) & 0xFF)
            storage[count] = digitTable[byte >> 4]
            storage[count + 1] = digitTable[byte & 0xF]
            count += 2
        }
    }

    @inline(__always) func appendDecimal(_ value: Int) {
        if value < 0 {
            append(byte: UInt8(ascii: "-"))
            appendDecimal(0 - value)
            return
        }
        var digits = 1
        var scan = value
        while scan >= 10 {
            scan /= 10
            digits += 1
        }
        reserve(digits)
        var remaining = value
        var position = count + digits - 1
        for _ in 0..<digits {
            storage[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
            position -= 1
        }
        count += digits
    }

    /// Pads with spaces since `mark` until `width` bytes (at least one space).
    func pad(from mark: Int, to width: Int) {
        let used = count - mark
        let spaces = used < width ? width - used : 1
        reserve(spaces)
        (storage + count).initialize(repeating: UInt8(ascii: " "), count: spaces)
        count += spaces
    }

    /// Writes out what is buffered when it is large (file sinks only).
    @inline(__always) func flushIfFull() {
        if handle != nil && count > capacity / 2 { flush() }
    }

    public func flush() {
        guard let handle, count > 0 else {
            if handle == nil && count > capacity / 2 {
                kept.append(contentsOf: UnsafeBufferPointer(start: storage, count: count))
                count = 0
            }
            return
        }
        if writeError == nil {
            do {
                try handle.write(contentsOf: UnsafeRawBufferPointer(start: storage, count: count))
            } catch {
                writeError = error
            }
        }
        count = 0
    }
}
