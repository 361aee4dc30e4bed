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

    /// The first write error, if writing failed (the trace then stops writing).
    public private(set) var writeError: Error?

    /// Writes to `handle`; nil keeps everything in memory (`contents`).
    public init(handle: FileHandle?) {
        self.handle = handle
        capacity = 1 << 20
        storage = .allocate(capacity: capacity)
    }

    /// An in-memory buffer starting at `capacity` bytes, for pieces formatted
    /// ahead of time (`buffered`, then `removeAll`).
    init(scratchCapacity capacity: Int) {
        handle = nil
        self.capacity = max(capacity, 16)
        storage = .allocate(capacity: self.capacity)
    }

    /// The bytes in the buffer (a scratch sink's whole contents: it is never flushed).
    var buffered: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage, count: count) }

    /// Empties a scratch sink.
    func removeAll() {
        count = 0
        kept.removeAll()
    }

    deinit {
        storage.deallocate()
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
        var cursor = cursor(reserving: length)
        cursor.putHex(value, digits: length)
        commit(cursor)
    }

    @inline(__always) func appendHex32(_ value: UInt32) {
        var cursor = cursor(reserving: 8)
        cursor.putHex32(value)
        commit(cursor)
    }

    /// Little-endian bytes of a `size`-byte value, as hex.
    @inline(__always) func appendHexBytes(_ value: UInt64, size: Int) {
        var cursor = cursor(reserving: size * 2)
        cursor.putHexBytes(value, size: size)
        commit(cursor)
    }

    @inline(__always) func appendDecimal(_ value: Int) {
        var cursor = cursor(reserving: 21)
        if value < 0 { cursor.put(byte: UInt8(ascii: "-")) }
        cursor.putDecimal(UInt64(value.magnitude), maxDigits: 20)
        commit(cursor)
    }

    /// A cursor at the end of the buffer with room for `length` bytes.
    @inline(__always) func cursor(reserving length: Int) -> SinkCursor {
        reserve(length)
        return SinkCursor(storage + count)
    }

    /// Takes back a cursor from `cursor(reserving:)`: what it wrote becomes part of the buffer.
    @inline(__always) func commit(_ cursor: SinkCursor) {
        count = cursor.position - storage
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
