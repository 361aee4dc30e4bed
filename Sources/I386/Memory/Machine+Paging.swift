/// Linear-to-physical translation: 32-bit paging as the SDM describes it
/// (two-level tables, 4 MB pages with CR4.PSE, global pages with CR4.PGE,
/// U/S and R/W checks with CR0.WP, accessed and dirty bits), and the TLB
/// that remembers translations for the fast path.
extension Machine {
    /// What an access does, for permission checks and error codes.
    enum AccessKind {
        case read, write, execute
    }

    /// Where an access lands.
    enum AccessTarget {
        /// RAM or ROM: the host address of the byte, and its physical address.
        case memory(UnsafeMutableRawPointer, physical: UInt32)
        /// A memory-mapped device and the offset in it.
        case device(any MemoryMappedDevice, UInt32)
        /// Nothing (open-bus mode): reads all ones, writes dropped; or a write to ROM.
        case nothing
    }

    /// A page-table walk's result.
    struct Translation {
        var physical: UInt32
        var isGlobal: Bool
        /// A 4 MB page (the TLB keeps it as 4 KB pieces that invlpg must forget together).
        var isLarge: Bool
    }

    /// True when CR0.PG is set.
    public var isPagingEnabled: Bool { state.pointee.cr0 & CR0.pg != 0 }

    // MARK: Page-table walk

    /// The aligned physical word at `address` (0, "not present", where no RAM is).
    @inline(__always)
    private func pageTableEntry(_ address: UInt32) -> UInt32 {
        guard let host = physicalMemory.frames[Int(address >> 12)] else { return 0 }
        return host.load(fromByteOffset: Int(address & 0xFFC), as: UInt32.self)
    }

    /// Sets `bits` in the paging-structure entry at physical `address` (accessed, dirty).
    private func setEntryBits(_ address: UInt32, _ bits: UInt32) {
        let frame = Int(address >> 12)
        guard let host = physicalMemory.frames[frame] else { return }
        let offset = Int(address & 0xFFC)
        let entry = host.load(fromByteOffset: offset, as: UInt32.self)
        guard entry & bits != bits else { return }
        physicalMemory.willWrite(frame: frame, host: host)
        host.storeBytes(of: entry | bits, toByteOffset: offset, as: UInt32.self)
        if physicalMemory.isCode(frame) { physicalMemory.noteWrite(frame: frame, offset: offset, size: 4) }
    }

    /// Walks the page tables for an access at `linear`: checks presence, the
    /// reserved bits of a 4 MB entry, U/S and R/W; sets the accessed bit of a
    /// page directory entry it goes through, and the accessed (and, for a
    /// write, dirty) bit of the entry that maps the page when the access is
    /// allowed. Throws #PF with the SDM error code (P, W/R, U/S, RSVD).
    func walk(_ linear: UInt32, kind: AccessKind, user: Bool) throws(CPUException) -> Translation {
        do {
            return try walkTables(linear, kind: kind, user: user)
        } catch {
            // A #PF invalidates the translations of its page (SDM §4.10.4.1).
            invalidatePage(linear)
            throw error
        }
    }

    private func walkTables(_ linear: UInt32, kind: AccessKind, user: Bool) throws(CPUException) -> Translation {
        let isWrite = kind == .write
        let accessBits: UInt32 = (isWrite ? 2 : 0) | (user ? 4 : 0)
        let cr4 = state.pointee.cr4
        let directoryEntryAddress = (state.pointee.cr3 & 0xFFFF_F000) | ((linear >> 20) & 0xFFC)
        let directoryEntry = pageTableEntry(directoryEntryAddress)
        guard directoryEntry & 1 != 0 else { throw .pageFault(address: linear, errorCode: accessBits) }

        let entry: UInt32
        let entryAddress: UInt32
        let writable: Bool
        let userAccessible: Bool
        let physical: UInt32
        let isGlobal: Bool
        if directoryEntry & 0x80 != 0 && cr4 & CR4.pse != 0 {
            // A 4 MB page. Bits 21:13 are reserved without PSE-36 (not claimed).
            guard directoryEntry & 0x003F_E000 == 0 else {
                throw .pageFault(address: linear, errorCode: accessBits | 1 | 8)
            }
            entry = directoryEntry
            entryAddress = directoryEntryAddress
            writable = entry & 2 != 0
            userAccessible = entry & 4 != 0
            physical = (entry & 0xFFC0_0000) | (linear & 0x003F_FFFF)
        } else {
            let tableEntryAddress = (directoryEntry & 0xFFFF_F000) | ((linear >> 10) & 0xFFC)
            let tableEntry = pageTableEntry(tableEntryAddress)
            setEntryBits(directoryEntryAddress, 0x20)  // the directory entry was used
            guard tableEntry & 1 != 0 else { throw .pageFault(address: linear, errorCode: accessBits) }
            entry = tableEntry
            entryAddress = tableEntryAddress
            writable = directoryEntry & tableEntry & 2 != 0
            userAccessible = directoryEntry & tableEntry & 4 != 0
            physical = (entry & 0xFFFF_F000) | (linear & 0xFFF)
        }
        isGlobal = entry & 0x100 != 0 && cr4 & CR4.pge != 0
        let isLarge = entry == directoryEntry
        let allowed: Bool
        if user {
            allowed = userAccessible && (!isWrite || writable)
        } else {
            allowed = !isWrite || writable || state.pointee.cr0 & CR0.wp == 0
        }
        guard allowed else { throw .pageFault(address: linear, errorCode: accessBits | 1) }
        setEntryBits(entryAddress, isWrite ? 0x60 : 0x20)
        return Translation(physical: physical, isGlobal: isGlobal, isLarge: isLarge)
    }

    /// The physical address `linear` maps to now, without setting any bit or
    /// checking any permission (a debugger's view); nil when not present.
    public func peekTranslation(_ linear: UInt32) -> UInt32? {
        guard isPagingEnabled else { return linear }
        let directoryEntry = pageTableEntry((state.pointee.cr3 & 0xFFFF_F000) | ((linear >> 20) & 0xFFC))
        guard directoryEntry & 1 != 0 else { return nil }
        if directoryEntry & 0x80 != 0 && state.pointee.cr4 & CR4.pse != 0 {
            return (directoryEntry & 0xFFC0_0000) | (linear & 0x003F_FFFF)
        }
        let tableEntry = pageTableEntry((directoryEntry & 0xFFFF_F000) | ((linear >> 10) & 0xFFC))
        guard tableEntry & 1 != 0 else { return nil }
        return (tableEntry & 0xFFFF_F000) | (linear & 0xFFF)
    }

    // MARK: Resolving an access

    /// Translates an access of the current privilege class and finds what is
    /// behind it, remembering the translation in the TLB when the fast path
    /// may use it. Throws #PF for a paging violation, for a frame whose
    /// permissions forbid the access, and (unless in open-bus mode) for an
    /// address with nothing behind it.
    func resolve(_ linear: UInt32, kind: AccessKind) throws(CPUException) -> AccessTarget {
        let user = userAccess
        var physical = linear
        var isGlobal = false
        if state.pointee.cr0 & CR0.pg != 0 {
            let translation = try walk(linear, kind: kind, user: user)
            physical = translation.physical
            isGlobal = translation.isGlobal
            if translation.isLarge { tlb.noteLargePage(Int(linear >> 12)) }
        }
        let frame = Int(physical >> 12)
        let accessBits: UInt32 = (kind == .write ? 2 : 0) | (user ? 4 : 0)
        if let host = physicalMemory.frames[frame] {
            let needed: UInt8 = switch kind {
            case .read: MemoryPermissions.read.rawValue
            case .write: MemoryPermissions.write.rawValue
            case .execute: MemoryPermissions.execute.rawValue
            }
            guard physicalMemory.permissions[frame] & needed != 0 else {
                if kind == .write && !physicalMemory.faultsOnUnbackedAccess { return .nothing }  // ROM
                throw .pageFault(address: linear, errorCode: accessBits | 1)
            }
            let page = Int(linear >> 12)
            switch kind {
            case .read: tlb.fill(page: page, host: host, user: user, write: false, isGlobal: isGlobal)
            case .write:
                physicalMemory.willWrite(frame: frame, host: host)
                if !physicalMemory.isCode(frame) { tlb.fill(page: page, host: host, user: user, write: true, isGlobal: isGlobal) }
            case .execute: break
            }
            return .memory(host + Int(physical & 0xFFF), physical: physical)
        }
        if let (device, offset) = physicalMemory.device(at: physical) { return .device(device, offset) }
        if physicalMemory.faultsOnUnbackedAccess { throw .pageFault(address: linear, errorCode: accessBits) }
        return .nothing
    }

    /// The physical address of an instruction fetch at `linear` (#PF when it cannot be fetched).
    func translateFetch(_ linear: UInt32) throws(CPUException) -> UInt32 {
        var physical = linear
        if state.pointee.cr0 & CR0.pg != 0 { physical = try walk(linear, kind: .execute, user: userAccess).physical }
        let frame = Int(physical >> 12)
        guard physicalMemory.frames[frame] != nil,
              physicalMemory.permissions[frame] & MemoryPermissions.execute.rawValue != 0 else {
            let present: UInt32 = physicalMemory.frames[frame] != nil ? 1 : 0
            throw .pageFault(address: linear, errorCode: present | (userAccess ? 4 : 0))
        }
        return physical
    }

    // MARK: The TLB and the privilege class

    /// Forgets remembered translations: all of them, or all but global pages'
    /// (a CR3 write); and which block each eip reaches.
    func flushTLB(includingGlobal: Bool) {
        tlb.flush(includingGlobal: includingGlobal)
        blocks.flushJumpCaches()
    }

    /// invlpg (and a #PF): forgets the translation of the page holding
    /// `linear` — all of a 4 MB page when it came from one.
    func invalidatePage(_ linear: UInt32) {
        tlb.flush(page: Int(linear >> 12))
        blocks.flushJumpCaches()
    }

    /// Switches the fast tables to the privilege class of the current CPL
    /// (user at CPL 3), unless a supervisor access is in progress.
    func privilegeClassChanged() {
        let user = cpl == 3 && supervisorAccessDepth == 0
        userAccess = user
        readTable = tlb.readTable(user: user)
        writeTable = tlb.writeTable(user: user)
        jumpTable = blocks.jumpTable(user: cpl == 3)
    }

    /// Runs `body` with memory accesses checked as supervisor accesses
    /// whatever the CPL: what the CPU does for descriptor tables, the TSS and
    /// the frame it pushes on an inner-level stack.
    @inline(__always)
    func asSupervisor<T>(_ body: () throws(CPUException) -> T) throws(CPUException) -> T {
        supervisorAccessDepth += 1
        if userAccess { privilegeClassChanged() }
        defer {
            supervisorAccessDepth -= 1
            if supervisorAccessDepth == 0 && cpl == 3 { privilegeClassChanged() }
        }
        return try body()
    }
}
