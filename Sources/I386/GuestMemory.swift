#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sparse guest memory: 4 KB pages anywhere in the 32-bit space.
///
/// Two flat tables of host page pointers, indexed by page number, give every
/// access a one-load fast path: `readable` holds mapped readable pages,
/// `writable` holds writable pages that no decoded instruction comes from.
/// Everything else — faults, accesses that straddle pages, writes to code
/// pages (which drop their decoded instructions) and logged writes while an
/// observer is attached — goes through the slow path.
public final class GuestMemory {
    static let pageCount = 1 << 20

    /// Host storage of every mapped page.
    private let host: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let readable: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let writable: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let permissions: UnsafeMutablePointer<UInt8>
    /// Pages with decoded instructions cached (writes must invalidate them).
    private let codePages: UnsafeMutablePointer<Bool>
    private var mappedPages: [Int] = []

    /// Called with the page number when a write hits a page holding decoded code.
    var codeWriteHandler: ((Int) -> Void)?

    /// A data breakpoint: accesses overlapping it set bit `index` of `watchHits`.
    struct Watch {
        var start: UInt32
        var length: UInt32
        var index: Int
        var writesOnly: Bool
    }
    private var watches: [Watch] = []
    /// Data breakpoints hit since it was last cleared (bit n for DRn).
    var watchHits: UInt8 = 0

    /// Arms data breakpoints: while any is armed, every access takes the slow path.
    func setWatches(_ newWatches: [Watch]) {
        let wasWatching = !watches.isEmpty
        watches = newWatches
        if wasWatching || !watches.isEmpty { for page in mappedPages { refreshFastPath(page) } }
    }

    private func noteWatches(_ address: UInt32, size: Int, isWrite: Bool) {
        let first = UInt64(address)
        let last = first + UInt64(size) - 1
        for watch in watches where !watch.writesOnly || isWrite {
            let start = UInt64(watch.start)
            if first < start + UInt64(watch.length) && last >= start { watchHits |= 1 << UInt8(watch.index) }
        }
    }

    /// True while reads are recorded into `readLog` (all reads then take the slow path).
    public private(set) var isLoggingReads = false
    private var readAccesses = AccessLog()
    /// Data reads since the last `clearReadLog()` (only while logging reads); valid until the next access.
    public var readLog: MemoryAccesses { readAccesses.accesses }

    /// Starts or stops recording every data read.
    public func setLoggingReads(_ enabled: Bool) {
        guard enabled != isLoggingReads else { return }
        isLoggingReads = enabled
        readAccesses.removeAll()
        for page in mappedPages { refreshFastPath(page) }
    }

    /// Empties the read log.
    @inline(__always) public func clearReadLog() { readAccesses.removeAll() }

    /// True while writes are recorded into `writeLog`.
    public private(set) var isLoggingWrites = false
    private var writeAccesses = AccessLog()
    /// Writes since the last `clearWriteLog()` (only while logging); valid until the next access.
    public var writeLog: MemoryAccesses {
        @inline(__always) get { writeAccesses.accesses }
    }

    public init() {
        // calloc: the tables are zero (nil, unmapped) without touching 25 MB.
        host = Self.zeroed(UnsafeMutableRawPointer?.self)
        readable = Self.zeroed(UnsafeMutableRawPointer?.self)
        writable = Self.zeroed(UnsafeMutableRawPointer?.self)
        permissions = Self.zeroed(UInt8.self)
        codePages = Self.zeroed(Bool.self)
    }

    private static func zeroed<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        guard let raw = calloc(pageCount, MemoryLayout<T>.stride) else {
            fatalError("kstep: cannot allocate the guest page tables")
        }
        return raw.bindMemory(to: T.self, capacity: pageCount)
    }

    deinit {
        for page in mappedPages { host[page]?.deallocate() }
        free(host)
        free(readable)
        free(writable)
        free(permissions)
        free(codePages)
        readAccesses.deallocate()
        writeAccesses.deallocate()
    }

    // MARK: Mapping

    /// Maps `size` bytes from `address` (rounded out to whole pages), zero-filled.
    /// Pages already mapped keep their contents and get the new permissions.
    public func map(_ address: UInt32, size: UInt32, permissions rights: MemoryPermissions = .all) {
        guard size > 0 else { return }
        let first = Int(address >> 12)
        let last = Int((UInt64(address) + UInt64(size) - 1) >> 12)
        for page in first...min(last, Self.pageCount - 1) {
            if host[page] == nil {
                let storage = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
                storage.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
                host[page] = storage
                mappedPages.append(page)
            }
            permissions[page] = rights.rawValue | 0x80  // 0x80: mapped
            refreshFastPath(page)
        }
    }

    /// True when every byte of the range is mapped.
    public func isMapped(_ address: UInt32, size: UInt32 = 1) -> Bool {
        guard size > 0 else { return true }
        let first = Int(address >> 12)
        let last = Int((UInt64(address) + UInt64(size) - 1) >> 12)
        guard last < Self.pageCount else { return false }
        return (first...last).allSatisfy { permissions[$0] & 0x80 != 0 }
    }

    /// The permissions of the page holding `address` (nil when unmapped).
    public func permissions(at address: UInt32) -> MemoryPermissions? {
        let bits = permissions[Int(address >> 12)]
        return bits & 0x80 == 0 ? nil : MemoryPermissions(rawValue: bits & 7)
    }

    private func storage(_ page: Int) -> UnsafeMutableRawPointer? { host[page] }

    /// Recomputes the fast-path entries of a page from its permissions.
    private func refreshFastPath(_ page: Int) {
        let rights = permissions[page]
        let storage = host[page]
        let watching = !watches.isEmpty
        readable[page] = rights & MemoryPermissions.read.rawValue != 0 && !watching && !isLoggingReads ? storage : nil
        let writableFast = rights & MemoryPermissions.write.rawValue != 0 && !codePages[page] && !isLoggingWrites
            && !watching
        writable[page] = writableFast ? storage : nil
    }

    // MARK: Code pages

    /// Marks a page as holding decoded instructions: writes to it take the slow path.
    func markCodePage(_ page: Int) {
        guard page >= 0, page < Self.pageCount, !codePages[page] else { return }
        codePages[page] = true
        writable[page] = nil
    }

    /// The page no longer holds decoded instructions.
    func unmarkCodePage(_ page: Int) {
        guard page >= 0, page < Self.pageCount, codePages[page] else { return }
        codePages[page] = false
        refreshFastPath(page)
    }

    // MARK: Write logging

    /// Starts or stops recording every write (all writes take the slow path meanwhile).
    public func setLoggingWrites(_ enabled: Bool) {
        guard enabled != isLoggingWrites else { return }
        isLoggingWrites = enabled
        writeAccesses.removeAll()
        for page in mappedPages { refreshFastPath(page) }
    }

    /// Empties the write log.
    @inline(__always) public func clearWriteLog() { writeAccesses.removeAll() }

    // MARK: Fast accessors

    @inline(__always)
    func read8(_ address: UInt32, user: Bool = false) throws(CPUException) -> UInt8 {
        if let host = readable[Int(address >> 12)] {
            return host.load(fromByteOffset: Int(address & 0xFFF), as: UInt8.self)
        }
        return UInt8(truncatingIfNeeded: try slowRead(address, size: 1, kind: .read))
    }

    @inline(__always)
    func read16(_ address: UInt32) throws(CPUException) -> UInt16 {
        let offset = Int(address & 0xFFF)
        if offset <= 4094, let host = readable[Int(address >> 12)] {
            return host.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        }
        return UInt16(truncatingIfNeeded: try slowRead(address, size: 2, kind: .read))
    }

    @inline(__always)
    func read32(_ address: UInt32) throws(CPUException) -> UInt32 {
        let offset = Int(address & 0xFFF)
        if offset <= 4092, let host = readable[Int(address >> 12)] {
            return host.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        }
        return UInt32(truncatingIfNeeded: try slowRead(address, size: 4, kind: .read))
    }

    @inline(__always)
    func write8(_ address: UInt32, _ value: UInt8) throws(CPUException) {
        if let host = writable[Int(address >> 12)] {
            host.storeBytes(of: value, toByteOffset: Int(address & 0xFFF), as: UInt8.self)
            return
        }
        try slowWrite(address, size: 1, value: UInt64(value))
    }

    @inline(__always)
    func write16(_ address: UInt32, _ value: UInt16) throws(CPUException) {
        let offset = Int(address & 0xFFF)
        if offset <= 4094, let host = writable[Int(address >> 12)] {
            host.storeBytes(of: value, toByteOffset: offset, as: UInt16.self)
            return
        }
        try slowWrite(address, size: 2, value: UInt64(value))
    }

    @inline(__always)
    func write32(_ address: UInt32, _ value: UInt32) throws(CPUException) {
        let offset = Int(address & 0xFFF)
        if offset <= 4092, let host = writable[Int(address >> 12)] {
            host.storeBytes(of: value, toByteOffset: offset, as: UInt32.self)
            return
        }
        try slowWrite(address, size: 4, value: UInt64(value))
    }

    /// Reads a value of `size` bytes (1, 2 or 4).
    @inline(__always)
    func read(_ address: UInt32, size: Int) throws(CPUException) -> UInt32 {
        switch size {
        case 1: UInt32(try read8(address))
        case 2: UInt32(try read16(address))
        default: try read32(address)
        }
    }

    /// Writes the low `size` bytes (1, 2 or 4) of `value`.
    @inline(__always)
    func write(_ address: UInt32, size: Int, _ value: UInt32) throws(CPUException) {
        switch size {
        case 1: try write8(address, UInt8(truncatingIfNeeded: value))
        case 2: try write16(address, UInt16(truncatingIfNeeded: value))
        default: try write32(address, value)
        }
    }

    // MARK: Slow paths

    enum AccessKind { case read, write, execute }

    /// The #PF for an access to `address`: P set when the page is mapped (a
    /// protection violation), W/R set for writes.
    private func fault(_ address: UInt32, kind: AccessKind) -> CPUException {
        let present: UInt32 = permissions[Int(address >> 12)] & 0x80 != 0 ? 1 : 0
        return .pageFault(address: address, errorCode: present | (kind == .write ? 2 : 0))
    }

    /// Checks one page for an access and returns its storage.
    private func checkedPage(_ address: UInt32, kind: AccessKind) throws(CPUException) -> UnsafeMutableRawPointer {
        let page = Int(address >> 12)
        let rights = permissions[page]
        let needed: MemoryPermissions = switch kind {
        case .read: .read
        case .write: .write
        case .execute: .execute
        }
        guard rights & 0x80 != 0, rights & needed.rawValue != 0, let host = storage(page) else {
            throw fault(address, kind: kind)
        }
        return host
    }

    /// The `size` bytes at `offset` of one host page, as a little-endian value.
    @inline(__always)
    private static func loadLittleEndian(_ host: UnsafeMutableRawPointer, offset: Int, size: Int) -> UInt64 {
        switch size {  // the usual widths in one load (the caller keeps offset + size within the page)
        case 4: return UInt64(UInt32(littleEndian: host.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        case 2: return UInt64(UInt16(littleEndian: host.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case 1: return UInt64(host.load(fromByteOffset: offset, as: UInt8.self))
        default: break
        }
        var value: UInt64 = 0
        for index in 0..<size {
            value |= UInt64(host.load(fromByteOffset: offset + index, as: UInt8.self)) << (8 * UInt64(index))
        }
        return value
    }

    /// Stores the low `size` bytes of `value`, little-endian, at `offset` of one host page.
    @inline(__always)
    private static func storeLittleEndian(_ value: UInt64, _ host: UnsafeMutableRawPointer, offset: Int, size: Int) {
        switch size {
        case 4: host.storeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian, toByteOffset: offset, as: UInt32.self); return
        case 2: host.storeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian, toByteOffset: offset, as: UInt16.self); return
        default: break
        }
        for index in 0..<size {
            host.storeBytes(of: UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))), toByteOffset: offset + index, as: UInt8.self)
        }
    }

    /// Checks every page an access touches before any byte moves; a fault in
    /// the second page names that page's first byte (what CR2 gets).
    private func checkAccess(_ address: UInt32, size: Int, kind: AccessKind) throws(CPUException) {
        _ = try checkedPage(address, kind: kind)
        let last = address &+ UInt32(size - 1)
        if last >> 12 != address >> 12 { _ = try checkedPage(last & ~0xFFF, kind: kind) }
    }

    @inline(never)
    func slowRead(_ address: UInt32, size: Int, kind: AccessKind) throws(CPUException) -> UInt64 {
        let offset = Int(address & 0xFFF)
        if offset + size <= 4096 {
            // Within one page: one permission check.
            let host = try checkedPage(address, kind: kind)
            let value = Self.loadLittleEndian(host, offset: offset, size: size)
            if !watches.isEmpty && kind == .read { noteWatches(address, size: size, isWrite: false) }
            if isLoggingReads && kind == .read {
                readAccesses.append(MemoryWrite(address: address, size: UInt8(size), oldValue: value, newValue: value))
            }
            return value
        }
        try checkAccess(address, size: size, kind: kind)
        if !watches.isEmpty && kind == .read { noteWatches(address, size: size, isWrite: false) }
        var value: UInt64 = 0
        for index in 0..<size {
            let byteAddress = address &+ UInt32(index)
            let host = try checkedPage(byteAddress, kind: kind)
            let byte = host.load(fromByteOffset: Int(byteAddress & 0xFFF), as: UInt8.self)
            value |= UInt64(byte) << (8 * UInt64(index))
        }
        if isLoggingReads && kind == .read {
            readAccesses.append(MemoryWrite(address: address, size: UInt8(size), oldValue: value, newValue: value))
        }
        return value
    }

    @inline(never)
    func slowWrite(_ address: UInt32, size: Int, value: UInt64) throws(CPUException) {
        let offset = Int(address & 0xFFF)
        let page = Int(address >> 12)
        if offset + size <= 4096 && !codePages[page] {
            // Within one page: one permission check, then load, log and store in place.
            let host = try checkedPage(address, kind: .write)
            if !watches.isEmpty { noteWatches(address, size: size, isWrite: true) }
            if isLoggingWrites {
                let old = Self.loadLittleEndian(host, offset: offset, size: size)
                writeAccesses.append(MemoryWrite(address: address, size: UInt8(size), oldValue: old, newValue: value))
            }
            Self.storeLittleEndian(value, host, offset: offset, size: size)
            return
        }
        try checkAccess(address, size: size, kind: .write)
        if !watches.isEmpty { noteWatches(address, size: size, isWrite: true) }
        if isLoggingWrites {
            let old = try slowRead(address, size: size, kind: .write)
            writeAccesses.append(MemoryWrite(address: address, size: UInt8(size), oldValue: old, newValue: value))
        }
        for index in 0..<size {
            let byteAddress = address &+ UInt32(index)
            let page = Int(byteAddress >> 12)
            let host = try checkedPage(byteAddress, kind: .write)
            host.storeBytes(of: UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))),
                            toByteOffset: Int(byteAddress & 0xFFF), as: UInt8.self)
            if codePages[page] { codeWriteHandler?(page) }
        }
    }

    /// Faults as a write of `size` bytes at `address` would, without writing.
    func probeWrite(_ address: UInt32, size: Int) throws(CPUException) {
        try checkAccess(address, size: size, kind: .write)
    }

    /// Reads an instruction's bytes for the decoder: up to 15 bytes from
    /// `address`, stopping early at an unmapped or non-executable page
    /// (a fault if not even the first byte can be fetched).
    func fetchBytes(_ address: UInt32, into buffer: inout [UInt8]) throws(CPUException) {
        buffer.removeAll(keepingCapacity: true)
        _ = try checkedPage(address, kind: .execute)
        for index in 0..<15 {
            let byteAddress = address &+ UInt32(index)
            if byteAddress < address { break }
            guard let host = try? checkedPage(byteAddress, kind: .execute) else { break }
            buffer.append(host.load(fromByteOffset: Int(byteAddress & 0xFFF), as: UInt8.self))
        }
    }

    // MARK: Public byte access (no permission checks beyond mapping)

    /// Copies bytes into guest memory, ignoring write protection (a loader's view).
    public func load(_ bytes: some Collection<UInt8>, at address: UInt32) throws(CPUException) {
        var index: UInt32 = 0
        for byte in bytes {
            let byteAddress = address &+ index
            let page = Int(byteAddress >> 12)
            guard let host = storage(page) else { throw .pageFault(address: byteAddress, errorCode: 2) }
            host.storeBytes(of: byte, toByteOffset: Int(byteAddress & 0xFFF), as: UInt8.self)
            if codePages[page] { codeWriteHandler?(page) }
            index &+= 1
        }
    }

    /// Reads `count` bytes, ignoring read protection (a debugger's view).
    public func bytes(at address: UInt32, count: Int) throws(CPUException) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            let byteAddress = address &+ UInt32(truncatingIfNeeded: index)
            guard let host = storage(Int(byteAddress >> 12)) else { throw .pageFault(address: byteAddress, errorCode: 0) }
            result.append(host.load(fromByteOffset: Int(byteAddress & 0xFFF), as: UInt8.self))
        }
        return result
    }

    /// Reads a little-endian 32-bit word, ignoring read protection.
    public func word(at address: UInt32) throws(CPUException) -> UInt32 {
        if address & 0xFFF <= 0xFFC, let host = storage(Int(address >> 12)) {
            return UInt32(littleEndian: host.loadUnaligned(fromByteOffset: Int(address & 0xFFF), as: UInt32.self))
        }
        var value: UInt32 = 0
        for index in 0..<4 {
            let byteAddress = address &+ UInt32(index)
            guard let host = storage(Int(byteAddress >> 12)) else { throw .pageFault(address: byteAddress, errorCode: 0) }
            value |= UInt32(host.load(fromByteOffset: Int(byteAddress & 0xFFF), as: UInt8.self)) << (8 * UInt32(index))
        }
        return value
    }
}
