/// Data accesses by linear address: a one-load fast path through the TLB's
/// table for the current privilege class, and a slow path for everything
/// else — the first touch of a page (page walk, fill), accesses that
/// straddle pages, writes to frames holding decoded code, devices, watched
/// or logged accesses, faults.
extension Machine {
    // MARK: Fast accessors

    @inline(__always)
    func load8(_ address: UInt32) throws(CPUException) -> UInt8 {
        if let host = readTable[Int(address >> 12)] {
            return host.load(fromByteOffset: Int(address & 0xFFF), as: UInt8.self)
        }
        return UInt8(truncatingIfNeeded: try slowLoad(address, size: 1))
    }

    @inline(__always)
    func load16(_ address: UInt32) throws(CPUException) -> UInt16 {
        let offset = Int(address & 0xFFF)
        if offset <= 4094, let host = readTable[Int(address >> 12)] {
            return host.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        }
        return UInt16(truncatingIfNeeded: try slowLoad(address, size: 2))
    }

    @inline(__always)
    func load32(_ address: UInt32) throws(CPUException) -> UInt32 {
        let offset = Int(address & 0xFFF)
        if offset <= 4092, let host = readTable[Int(address >> 12)] {
            return host.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        }
        return UInt32(truncatingIfNeeded: try slowLoad(address, size: 4))
    }

    @inline(__always)
    func store8(_ address: UInt32, _ value: UInt8) throws(CPUException) {
        if let host = writeTable[Int(address >> 12)] {
            host.storeBytes(of: value, toByteOffset: Int(address & 0xFFF), as: UInt8.self)
            return
        }
        try slowStore(address, size: 1, value: UInt64(value))
    }

    @inline(__always)
    func store16(_ address: UInt32, _ value: UInt16) throws(CPUException) {
        let offset = Int(address & 0xFFF)
        if offset <= 4094, let host = writeTable[Int(address >> 12)] {
            host.storeBytes(of: value, toByteOffset: offset, as: UInt16.self)
            return
        }
        try slowStore(address, size: 2, value: UInt64(value))
    }

    @inline(__always)
    func store32(_ address: UInt32, _ value: UInt32) throws(CPUException) {
        let offset = Int(address & 0xFFF)
        if offset <= 4092, let host = writeTable[Int(address >> 12)] {
            host.storeBytes(of: value, toByteOffset: offset, as: UInt32.self)
            return
        }
        try slowStore(address, size: 4, value: UInt64(value))
    }

    /// Reads a value of `size` bytes (1, 2 or 4).
    @inline(__always)
    func load(_ address: UInt32, size: Int) throws(CPUException) -> UInt32 {
        switch size {
        case 1: UInt32(try load8(address))
        case 2: UInt32(try load16(address))
        default: try load32(address)
        }
    }

    /// Writes the low `size` bytes (1, 2 or 4) of `value`.
    @inline(__always)
    func store(_ address: UInt32, size: Int, _ value: UInt32) throws(CPUException) {
        switch size {
        case 1: try store8(address, UInt8(truncatingIfNeeded: value))
        case 2: try store16(address, UInt16(truncatingIfNeeded: value))
        default: try store32(address, value)
        }
    }

    // MARK: Slow paths

    @inline(never)
    func slowLoad(_ address: UInt32, size: Int) throws(CPUException) -> UInt64 {
        let offset = Int(address & 0xFFF)
        let value: UInt64
        if offset + size <= 4096 {
            value = try readTarget(try resolve(address, kind: .read), size: size)
        } else {
            // Both pages are checked before any byte is read; a fault on the
            // second names its first byte (what CR2 gets).
            let first = try resolve(address, kind: .read)
            let second = try resolve((address | 0xFFF) &+ 1, kind: .read)
            let firstCount = 4096 - offset
            var bytes: UInt64 = 0
            for index in 0..<size {
                let target = index < firstCount ? first.advanced(by: index) : second.advanced(by: index - firstCount)
                bytes |= try readTarget(target, size: 1) << (8 * UInt64(index))
            }
            value = bytes
        }
        if hasDataWatches { noteWatches(address, size: size, isWrite: false) }
        if isLoggingReads { accessLogs.pointee.reads.append(MemoryWrite(address: address, size: UInt8(size), oldValue: value, newValue: value)) }
        return value
    }

    @inline(never)
    func slowStore(_ address: UInt32, size: Int, value: UInt64) throws(CPUException) {
        let offset = Int(address & 0xFFF)
        if offset + size <= 4096 {
            let target = try resolve(address, kind: .write)
            if hasDataWatches { noteWatches(address, size: size, isWrite: true) }
            if isLoggingWrites {
                let old = (try? readTarget(target, size: size, sideEffectFree: true)) ?? 0
                accessLogs.pointee.writes.append(MemoryWrite(address: address, size: UInt8(size), oldValue: old, newValue: value))
            }
            try writeTarget(target, size: size, value: value)
            return
        }
        let first = try resolve(address, kind: .write)
        let second = try resolve((address | 0xFFF) &+ 1, kind: .write)
        if hasDataWatches { noteWatches(address, size: size, isWrite: true) }
        let firstCount = 4096 - offset
        if isLoggingWrites {
            var old: UInt64 = 0
            for index in 0..<size {
                let target = index < firstCount ? first.advanced(by: index) : second.advanced(by: index - firstCount)
                old |= ((try? readTarget(target, size: 1, sideEffectFree: true)) ?? 0) << (8 * UInt64(index))
            }
            accessLogs.pointee.writes.append(MemoryWrite(address: address, size: UInt8(size), oldValue: old, newValue: value))
        }
        for index in 0..<size {
            let target = index < firstCount ? first.advanced(by: index) : second.advanced(by: index - firstCount)
            try writeTarget(target, size: 1, value: value >> (8 * UInt64(index)))
        }
    }

    /// Faults as a write of `size` bytes at `address` would, without writing.
    func probeWrite(_ address: UInt32, size: Int) throws(CPUException) {
        _ = try resolve(address, kind: .write)
        let last = address &+ UInt32(size - 1)
        if last >> 12 != address >> 12 { _ = try resolve(last & ~0xFFF, kind: .write) }
    }

    /// Reads `size` bytes (in one page) at a resolved target.
    private func readTarget(_ target: AccessTarget, size: Int, sideEffectFree: Bool = false) throws(CPUException) -> UInt64 {
        switch target {
        case .memory(let host, _):
            switch size {
            case 4: return UInt64(host.loadUnaligned(as: UInt32.self))
            case 2: return UInt64(host.loadUnaligned(as: UInt16.self))
            default: return UInt64(host.load(as: UInt8.self))
            }
        case .device(let device, let offset):
            if sideEffectFree { return 0 }
            try beginDeviceAccess()
            return UInt64(device.readMemory(at: offset, size: size))
        case .nothing:
            if !sideEffectFree { physicalMemory.noteUnbackedRead() }
            return size == 4 ? 0xFFFF_FFFF : (size == 2 ? 0xFFFF : 0xFF)
        }
    }

    /// Writes the low `size` bytes (in one page) of `value` at a resolved target.
    private func writeTarget(_ target: AccessTarget, size: Int, value: UInt64) throws(CPUException) {
        switch target {
        case .memory(let host, let physical):
            switch size {
            case 4: host.storeBytes(of: UInt32(truncatingIfNeeded: value), as: UInt32.self)
            case 2: host.storeBytes(of: UInt16(truncatingIfNeeded: value), as: UInt16.self)
            default: host.storeBytes(of: UInt8(truncatingIfNeeded: value), as: UInt8.self)
            }
            let frame = Int(physical >> 12)
            if physicalMemory.isCode(frame) { physicalMemory.noteWrite(frame: frame, offset: Int(physical & 0xFFF), size: size) }
        case .device(let device, let offset):
            try beginDeviceAccess()
            device.writeMemory(at: offset, size: size, value: UInt32(truncatingIfNeeded: value))
            deviceWasReached()
        case .nothing:
            physicalMemory.noteUnbackedWrite()
        }
    }

    /// A device is about to be read or written: the time must be exact
    /// (in the middle of a block it is not: the instruction is run again
    /// alone), and the devices are brought up to it.
    private func beginDeviceAccess() throws(CPUException) {
        guard timeIsExact else { throw .restartExactly }
        connectedTimeline?.advance(to: state.pointee.time)
        deviceWasReached()
    }

    /// The frame holding decoded code was written: its blocks are dropped.
    func codeFrameWritten(_ frame: Int) {
        blocks.invalidate(frame: UInt32(frame))
    }

    // MARK: Data breakpoints and access logs

    /// Notes data-breakpoint and watchpoint hits of an access (before a write lands).
    private func noteWatches(_ address: UInt32, size: Int, isWrite: Bool) {
        let first = UInt64(address)
        let last = first + UInt64(size) - 1
        for watch in watches where !watch.writesOnly || isWrite {
            let start = UInt64(watch.start)
            if first < start + UInt64(watch.length) && last >= start { watchHits |= 1 << UInt8(watch.index) }
        }
        if debuggerWatchHit == nil && !debuggerWatches.isEmpty { noteDebuggerWatches(address, size: size, isWrite: isWrite) }
    }

    /// Records the first debugger watchpoint an access hits, with the bytes it watches as they are now.
    private func noteDebuggerWatches(_ address: UInt32, size: Int, isWrite: Bool) {
        guard let index = debuggerWatches.firstIndex(where: {
            $0.triggers(onWrite: isWrite) && $0.overlaps(address, size: size)
        }) else { return }
        let watch = debuggerWatches[index]
        debuggerWatchHit = (index, isWrite, state.pointee.eip, position, peekBytes(watch.address, count: watch.length))
    }

    /// Up to `count` bytes at linear `address`, stopping at the first unreadable one (a debugger's view).
    func peekBytes(_ address: UInt32, count: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(min(count, 4096)))
        for offset in 0..<count {
            guard let physical = peekTranslation(address &+ offset), let byte = physicalMemory.peek(physical) else { break }
            bytes.append(byte)
        }
        return bytes
    }

    /// Arms data breakpoints: while any is armed, every access takes the slow path.
    func setWatches(_ newWatches: [Watch]) {
        watches = newWatches
        hasDataWatches = !watches.isEmpty || !debuggerWatches.isEmpty
        updateFastPathFills()
    }

    /// Arms the debugger's watchpoints (see `Machine.watchpoints`).
    func setDebuggerWatches(_ newWatches: [Watchpoint]) {
        debuggerWatches = newWatches
        debuggerWatchHit = nil
        hasDataWatches = !watches.isEmpty || !debuggerWatches.isEmpty
        updateFastPathFills()
        refreshDebugTraps()
    }

    /// Starts or stops recording every data read (all reads then take the slow path).
    func setLoggingReads(_ enabled: Bool) {
        isLoggingReads = enabled
        accessLogs.pointee.reads.removeAll()
        updateFastPathFills()
    }

    /// Starts or stops recording every write (all writes then take the slow path).
    func setLoggingWrites(_ enabled: Bool) {
        isLoggingWrites = enabled
        accessLogs.pointee.writes.removeAll()
        updateFastPathFills()
    }

    private func updateFastPathFills() {
        let fillsReads = !hasDataWatches && !isLoggingReads
        let fillsWrites = !hasDataWatches && !isLoggingWrites
        if !fillsReads && tlb.fillsReads { tlb.flushReads() }
        if !fillsWrites && tlb.fillsWrites { tlb.flushWrites() }
        tlb.fillsReads = fillsReads
        tlb.fillsWrites = fillsWrites
    }

    /// This instruction's writes (while an observer logs them); valid until the next access.
    var writeLogView: MemoryAccesses { accessLogs.pointee.writes.accesses }

    /// This instruction's data reads (while an observer logs them); valid until the next access.
    public var readLogView: MemoryAccesses { accessLogs.pointee.reads.accesses }

    /// Empties the access logs after an observer saw them.
    @inline(__always)
    func clearAccessLogs() {
        if isLoggingWrites { accessLogs.pointee.writes.removeAll() }
        if isLoggingReads { accessLogs.pointee.reads.removeAll() }
    }
}

extension Machine.AccessTarget {
    /// The target `count` bytes further on in the same page.
    func advanced(by count: Int) -> Machine.AccessTarget {
        switch self {
        case .memory(let host, let physical): .memory(host + count, physical: physical &+ UInt32(count))
        case .device(let device, let offset): .device(device, offset &+ UInt32(count))
        case .nothing: .nothing
        }
    }
}

/// A data breakpoint: accesses overlapping it set bit `index` of `Machine.watchHits`.
struct Watch {
    var start: UInt32
    var length: UInt32
    var index: Int
    var writesOnly: Bool
}
