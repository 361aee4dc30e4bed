#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The physical address space: RAM and ROM in 4 KB frames anywhere in the
/// 4 GB, memory-mapped devices, and which frames hold decoded code.
///
/// RAM is host memory obtained with `mmap`, so frames a guest never touches
/// cost nothing. Frames carry Unicorn-style permissions (read, write,
/// execute) that the MMU checks in addition to the page tables; a PC maps
/// its RAM with all three and its ROM read/execute. An access to an address
/// with nothing behind it either faults (`faultsOnUnbackedAccess`, the
/// default: a snippet that strays is stopped with a #PF naming the address)
/// or, as on a PC bus, reads all ones and drops writes (counted in
/// `unbackedReads`/`unbackedWrites`).
public final class PhysicalMemory {
    static let frameCount = 1 << 20

    /// Host storage of each frame (nil: no RAM or ROM there).
    let frames: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    /// Permission bits of each frame (`MemoryPermissions`), 0 where unbacked.
    let permissions: UnsafeMutablePointer<UInt8>
    /// For frames decoded instructions came from: one bit per byte covered.
    let codeMaps: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>
    /// Memory-mapped devices by their page-aligned ranges.
    private var devices: [(first: UInt32, last: UInt32, base: UInt32, device: any MemoryMappedDevice)] = []
    /// Frames with a code map, to release in deinit.
    private var codeFrames: [Int] = []
    /// Regions obtained with mmap, to release in deinit.
    private var regions: [(pointer: UnsafeMutableRawPointer, size: Int)] = []

    /// Unbacked accesses fault (true) or behave like an open PC bus (false).
    public var faultsOnUnbackedAccess = true
    /// Reads and writes of addresses with nothing behind them (open-bus mode).
    public private(set) var unbackedReads = 0
    public private(set) var unbackedWrites = 0

    /// The undo journal while snapshots are kept (`Machine.snapshot()`), nil otherwise.
    var journal: MemoryJournal?

    /// Saves `frame` in the journal before it is written (when there is one).
    @inline(__always)
    func willWrite(frame: Int, host: UnsafeMutableRawPointer) {
        if let journal { journal.save(frame: frame, host: host) }
    }

    /// Called with the frame number when a write lands on bytes decoded code came from.
    var codeWriteHandler: ((Int) -> Void)?
    /// Called with the frame number when a frame starts holding decoded code.
    var codeMarkHandler: ((Int) -> Void)?
    /// Called when frames were mapped, unmapped or changed permissions.
    var layoutHandler: (() -> Void)?

    init() {
        frames = Self.zeroed(UnsafeMutableRawPointer?.self)
        permissions = Self.zeroed(UInt8.self)
        codeMaps = Self.zeroed(UnsafeMutablePointer<UInt64>?.self)
    }

    private static func zeroed<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        // calloc: the tables start zero without touching their pages.
        guard let raw = calloc(frameCount, MemoryLayout<T>.stride) else {
            fatalError("kstep: cannot allocate the physical memory tables")
        }
        return raw.bindMemory(to: T.self, capacity: frameCount)
    }

    deinit {
        for frame in codeFrames {
            codeMaps[frame]?.deallocate()
            codeMaps[frame] = nil
        }
        for region in regions { munmap(region.pointer, region.size) }
        free(frames)
        free(permissions)
        free(codeMaps)
    }

    // MARK: Layout

    /// Maps RAM (or, without `.write`, ROM) over `size` bytes from `address`,
    /// rounded out to whole frames. Frames already there keep their bytes and
    /// take the new permissions; new ones read as zero.
    public func map(_ address: UInt32, size: UInt32, permissions rights: MemoryPermissions = .all) {
        guard size > 0 else { return }
        let first = Int(address >> 12)
        let last = min(Int((UInt64(address) + UInt64(size) - 1) >> 12), Self.frameCount - 1)
        var missing = 0
        for frame in first...last where frames[frame] == nil { missing += 1 }
        if missing > 0 {
            let bytes = missing * 4096
            guard let region = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  region != MAP_FAILED else {
                fatalError("kstep: cannot reserve \(bytes) bytes of guest RAM")
            }
            regions.append((region, bytes))
            var next = region
            for frame in first...last where frames[frame] == nil {
                frames[frame] = next
                next += 4096
            }
        }
        for frame in first...last { permissions[frame] = rights.rawValue | MemoryPermissions.mapped }
        layoutHandler?()
    }

    /// Changes the permissions of the mapped frames in the range.
    public func protect(_ address: UInt32, size: UInt32, permissions rights: MemoryPermissions) {
        guard size > 0 else { return }
        let first = Int(address >> 12)
        let last = min(Int((UInt64(address) + UInt64(size) - 1) >> 12), Self.frameCount - 1)
        for frame in first...last where frames[frame] != nil {
            permissions[frame] = rights.rawValue | MemoryPermissions.mapped
        }
        layoutHandler?()
    }

    /// Attaches a memory-mapped device over `size` bytes from `base` (both page-aligned).
    public func attach(_ device: any MemoryMappedDevice, at base: UInt32, size: UInt32) {
        let first = base >> 12
        let last = UInt32((UInt64(base) + UInt64(max(size, 1)) - 1) >> 12)
        devices.append((first, last, base & ~0xFFF, device))
        layoutHandler?()
    }

    /// The device covering physical `address`, and the address's offset in it.
    func device(at address: UInt32) -> (device: any MemoryMappedDevice, offset: UInt32)? {
        let frame = address >> 12
        for entry in devices where frame >= entry.first && frame <= entry.last {
            return (entry.device, address &- entry.base)
        }
        return nil
    }

    /// True when every byte of the range is RAM or ROM.
    public func isMapped(_ address: UInt32, size: UInt32 = 1) -> Bool {
        guard size > 0 else { return true }
        let first = Int(address >> 12)
        let last = Int((UInt64(address) + UInt64(size) - 1) >> 12)
        guard last < Self.frameCount else { return false }
        return (first...last).allSatisfy { frames[$0] != nil }
    }

    /// The permissions of the frame holding `address` (nil when nothing is there).
    public func permissions(at address: UInt32) -> MemoryPermissions? {
        let bits = permissions[Int(address >> 12)]
        return bits & MemoryPermissions.mapped == 0 ? nil : MemoryPermissions(rawValue: bits & 7)
    }

    // MARK: Loader and debugger access (no permission checks)

    /// The byte at `address`, or nil when no RAM or ROM is there (devices are not read).
    public func peek(_ address: UInt32) -> UInt8? {
        guard let host = frames[Int(address >> 12)] else { return nil }
        return host.load(fromByteOffset: Int(address & 0xFFF), as: UInt8.self)
    }

    /// Stores a byte at `address` whatever its permissions (a loader's write);
    /// false when no RAM or ROM is there. Decoded code under it is dropped.
    @discardableResult
    public func store(_ byte: UInt8, at address: UInt32) -> Bool {
        let frame = Int(address >> 12)
        guard let host = frames[frame] else { return false }
        willWrite(frame: frame, host: host)
        host.storeBytes(of: byte, toByteOffset: Int(address & 0xFFF), as: UInt8.self)
        if codeMaps[frame] != nil { noteWrite(frame: frame, offset: Int(address & 0xFFF), size: 1) }
        return true
    }

    /// Copies `bytes` to `address` (a loader's write); false if any byte had nothing behind it.
    @discardableResult
    public func load(_ bytes: some Collection<UInt8>, at address: UInt32) -> Bool {
        var offset: UInt32 = 0
        var complete = true
        for byte in bytes {
            if !store(byte, at: address &+ offset) { complete = false }
            offset &+= 1
        }
        return complete
    }

    // MARK: Unbacked accesses

    func noteUnbackedRead() { unbackedReads += 1 }
    func noteUnbackedWrite() { unbackedWrites += 1 }

    // MARK: Code frames

    /// Records that the bytes `offset..<offset+length` of `frame` were decoded.
    func markCode(frame: Int, offset: Int, length: Int) {
        guard frame >= 0, frame < Self.frameCount, length > 0 else { return }
        let map: UnsafeMutablePointer<UInt64>
        if let existing = codeMaps[frame] {
            map = existing
        } else {
            map = .allocate(capacity: 64)
            map.initialize(repeating: 0, count: 64)
            codeMaps[frame] = map
            if codeFrames.count >= 1 << 16 { codeFrames = Array(Set(codeFrames.filter { codeMaps[$0] != nil })) }
            codeFrames.append(frame)
            codeMarkHandler?(frame)
        }
        for byte in offset..<min(offset + length, 4096) { map[byte >> 6] |= 1 << UInt64(byte & 63) }
    }

    /// True when `frame` holds decoded code (its writes take the slow path).
    @inline(__always)
    func isCode(_ frame: Int) -> Bool { codeMaps[frame] != nil }

    /// A write of `size` bytes at `offset` in a code frame: drops the frame's
    /// decoded code if the write touched any byte of it.
    func noteWrite(frame: Int, offset: Int, size: Int) {
        guard let map = codeMaps[frame] else { return }
        var touched = false
        for byte in offset..<min(offset + size, 4096) where map[byte >> 6] & (1 << UInt64(byte & 63)) != 0 {
            touched = true
            break
        }
        guard touched else { return }
        map.deallocate()
        codeMaps[frame] = nil
        codeWriteHandler?(frame)
    }
}
