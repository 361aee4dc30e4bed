/// Hardware task switching (SDM Vol. 3A §7.3): a far jmp or call to a TSS
/// descriptor or a task gate, an interrupt or exception through a task gate
/// in the IDT, and iret with NT set (back through the previous-task link).
///
/// The switch follows the SDM's steps: the checks before the commit point
/// (present, available, limit, the old and new TSS paged in) leave the CPU
/// as it was; then the old task's dynamic fields are saved, the busy bits,
/// the link and NT are set as Table 7-2 says, TR, CR0.TS, CR3 (with paging
/// on), LDTR, EFLAGS, EIP, the general registers and the selectors are
/// loaded from the new TSS; last the descriptors are qualified in the order
/// of Table 7-1 (the P6 family's), and a fault there happens in the new
/// task's context: it is delivered with the new task's eip as its return
/// address (`taskSwitchResumeAddress`).
///
/// Only 32-bit TSSs (types 9 and 0xB) are modelled. A switch to a 16-bit TSS
/// (type 1) is refused as if the descriptor were not a usable TSS: #GP(its
/// selector) for jmp, call and task gates, #TS(back link) for iret; a
/// switch away from a 16-bit TSS (or with no TR loaded) is refused the same
/// way, naming the new TSS. Virtual-8086 mode is out of scope: VM in a new
/// task's EFLAGS image is ignored.
extension Machine {
    /// What starts a task switch: it decides the busy bits, the link and NT (SDM Table 7-2).
    enum TaskSwitchSource {
        case jump, call, interrupt, iret

        /// call and interrupts nest: the new task links back to the old one, which stays busy.
        var nests: Bool { self == .call || self == .interrupt }
        /// jmp and iret leave the old task: its busy bit is cleared.
        var releasesOldTask: Bool { self == .jump || self == .iret }
    }

    /// Offsets in a 32-bit TSS (SDM Figure 7-2).
    enum TSSLayout {
        static let link: UInt32 = 0x00
        static let cr3: UInt32 = 0x1C
        static let eip: UInt32 = 0x20
        static let eflags: UInt32 = 0x24
        /// eax, ecx, edx, ebx, esp, ebp, esi, edi: 4 bytes apart.
        static let generalRegisters: UInt32 = 0x28
        /// es, cs, ss, ds, fs, gs: 16-bit selectors 4 bytes apart.
        static let segmentSelectors: UInt32 = 0x48
        static let ldt: UInt32 = 0x60
        /// Bit 0: the T (debug trap) flag.
        static let trap: UInt32 = 0x64
        /// The smallest limit of a 32-bit TSS.
        static let minimumLimit: UInt32 = 0x67
    }

    /// DR6.BT: the debug exception is the T bit of a task switch.
    static let dr6TaskSwitch: UInt32 = 1 << 15
    /// DR7's local enables L0–L3 and LE, cleared on every task switch.
    static let dr7LocalEnables: UInt32 = 0x155

    // MARK: Where task switches start

    /// A far jmp or call whose selector names a system descriptor: a TSS
    /// (switch to it) or a task gate (switch to the TSS it names). Other
    /// system descriptors (call gates included) raise #GP(selector).
    func farTransferToTask(_ selector: UInt16, _ descriptor: SegmentRegister,
                           source: TaskSwitchSource) throws(CPUException) {
        let error = UInt32(selector & 0xFFFC)
        let dpl = Int((descriptor.attributes >> 5) & 3)
        let rpl = Int(selector & 3)
        switch descriptor.attributes & 0x1F {
        case 0x01, 0x03, 0x09, 0x0B:
            // SDM JMP/CALL, TASK-STATE-SEGMENT: DPL >= CPL and RPL, then Table 7-1.
            guard dpl >= cpl, dpl >= rpl else { throw .generalProtection(errorCode: error) }
            try checkAvailableTSS(selector, descriptor, external: 0)
            try switchTask(to: selector, descriptor: descriptor, source: source, returnAddress: nextEIP)
        case 0x05:
            // TASK-GATE: the gate's DPL and presence, then the TSS it names.
            guard dpl >= cpl, dpl >= rpl else { throw .generalProtection(errorCode: error) }
            guard descriptor.attributes & 0x80 != 0 else { throw .segmentNotPresent(errorCode: error) }
            let tssSelector = UInt16(truncatingIfNeeded: try readDescriptorWords(selector).low >> 16)
            let tss = try tssDescriptor(tssSelector, external: 0)
            try checkAvailableTSS(tssSelector, tss, external: 0)
            try switchTask(to: tssSelector, descriptor: tss, source: source, returnAddress: nextEIP)
        default:
            throw .generalProtection(errorCode: error)  // call gates and other system types: not modelled
        }
    }

    /// An interrupt or exception through a task gate in the IDT (whose
    /// low word pair holds `gateLow`): switches with nesting and pushes the
    /// error code, if any, on the new task's stack.
    func interruptThroughTaskGate(gateLow: UInt32, returnAddress: UInt32, errorCode: UInt32?,
                                  external: UInt32) throws(CPUException) {
        let tssSelector = UInt16(truncatingIfNeeded: gateLow >> 16)
        let tss = try tssDescriptor(tssSelector, external: external)
        try checkAvailableTSS(tssSelector, tss, external: external)
        try switchTask(to: tssSelector, descriptor: tss, source: .interrupt, returnAddress: returnAddress,
                       errorCode: errorCode, external: external)
    }

    /// iret with NT set: back to the task in the current TSS's link field
    /// (SDM IRET, TASK-RETURN). The link must name a busy TSS in the GDT
    /// (#TS(link) otherwise), present (#NP(link)).
    func returnFromNestedTask() throws(CPUException) {
        let link = try asSupervisor { () throws(CPUException) -> UInt16 in
            try load16(state.pointee.taskRegister.base &+ TSSLayout.link)
        }
        let linkError = UInt32(link & 0xFFFC)
        guard link & 4 == 0 else { throw .invalidTSS(errorCode: linkError) }
        let descriptor: SegmentRegister
        do {
            descriptor = try readDescriptor(link)
        } catch {
            if case .generalProtection = error { throw .invalidTSS(errorCode: linkError) }
            throw error
        }
        // A busy 32-bit TSS (a busy 16-bit one, type 3, is not modelled: #TS as for any other type).
        guard descriptor.attributes & 0x1F == 0x0B else { throw .invalidTSS(errorCode: linkError) }
        guard descriptor.attributes & 0x80 != 0 else { throw .segmentNotPresent(errorCode: linkError) }
        try switchTask(to: link, descriptor: descriptor, source: .iret, returnAddress: nextEIP)
    }

    // MARK: Checks before the switch

    /// The descriptor of a TSS selector taken from a task gate: it must be in
    /// the GDT and within its limit (#GP(selector), with EXT for interrupts).
    private func tssDescriptor(_ selector: UInt16, external: UInt32) throws(CPUException) -> SegmentRegister {
        let selectorError = UInt32(selector & 0xFFFC) | external
        guard selector & 4 == 0 else { throw .generalProtection(errorCode: selectorError) }
        do {
            return try readDescriptor(selector)
        } catch {
            if case .generalProtection = error { throw .generalProtection(errorCode: selectorError) }
            throw error
        }
    }

    /// A TSS that a jmp, call or interrupt may switch to: a TSS descriptor in
    /// the GDT (#GP), then Table 7-1's first rows — present (#NP), not busy
    /// (#GP). A 16-bit TSS is refused with #GP like a busy one.
    private func checkAvailableTSS(_ selector: UInt16, _ descriptor: SegmentRegister,
                                   external: UInt32) throws(CPUException) {
        let error = UInt32(selector & 0xFFFC) | external
        let type = descriptor.attributes & 0x1F
        guard selector & 4 == 0, [0x01, 0x03, 0x09, 0x0B].contains(type) else {
            throw .generalProtection(errorCode: error)
        }
        guard descriptor.attributes & 0x80 != 0 else { throw .segmentNotPresent(errorCode: error) }
        guard type == 0x09 else { throw .generalProtection(errorCode: error) }
    }

    /// Faults as a read of `size` bytes at `address` would (both pages when it straddles two).
    private func probeRead(_ address: UInt32, size: Int) throws(CPUException) {
        _ = try resolve(address, kind: .read)
        let last = address &+ UInt32(size - 1)
        if last >> 12 != address >> 12 { _ = try resolve(last & ~0xFFF, kind: .read) }
    }

    /// The linear address of the access byte of the TSS descriptor `selector` names in the GDT.
    private func tssAccessByte(_ selector: UInt16) -> UInt32 {
        gdtr.base &+ UInt32(selector & 0xFFF8) &+ 5
    }

    /// Sets or clears the busy bit (type bit 1) of a TSS descriptor in the GDT.
    private func setTSSBusy(_ selector: UInt16, _ busy: Bool) throws(CPUException) {
        let address = tssAccessByte(selector)
        try asSupervisor { () throws(CPUException) in
            let access = try load8(address)
            try store8(address, busy ? access | 0x02 : access & ~0x02)
        }
    }

    // MARK: The switch

    /// The new task's state as read from its TSS before the commit point.
    private struct TaskImage {
        var cr3: UInt32 = 0
        var eip: UInt32 = 0
        var eflags: UInt32 = 0
        var generalRegisters = [UInt32](repeating: 0, count: 8)
        var selectors = [UInt16](repeating: 0, count: 6)
        var ldt: UInt16 = 0
        var trap: UInt16 = 0
    }

    /// Switches to the task whose 32-bit TSS descriptor (already checked by
    /// the caller for type, presence and busy state) `selector` names. The
    /// old task resumes at `returnAddress`. With `errorCode`, an exception's
    /// error code is pushed on the new task's stack. `external` is the EXT bit
    /// of every error code raised here.
    func switchTask(to selector: UInt16, descriptor: SegmentRegister, source: TaskSwitchSource,
                    returnAddress: UInt32, errorCode: UInt32? = nil, external: UInt32 = 0) throws(CPUException) {
        let newError = UInt32(selector & 0xFFFC) | external
        let old = state.pointee.taskRegister
        let oldType = old.attributes & 0x1F
        guard old.attributes & 0x80 != 0, oldType == 0x09 || oldType == 0x0B else {
            // No TR, or a 16-bit one: kstep cannot save the old task.
            throw source == .iret ? .invalidTSS(errorCode: newError) : .generalProtection(errorCode: newError)
        }
        // Step 3: the new TSS's limit.
        guard descriptor.limit >= TSSLayout.minimumLimit else { throw .invalidTSS(errorCode: newError) }
        let newBase = descriptor.base

        // Step 5: everything the switch will touch is paged in (faults here leave the old task intact).
        try asSupervisor { () throws(CPUException) in
            try probeWrite(old.base &+ TSSLayout.eip, size: Int(TSSLayout.ldt - TSSLayout.eip))
            try probeRead(newBase, size: Int(TSSLayout.minimumLimit) + 1)
            if source.nests { try probeWrite(newBase &+ TSSLayout.link, size: 2) }
            if source.releasesOldTask { try probeWrite(tssAccessByte(old.selector), size: 1) }
            if source != .iret { try probeWrite(tssAccessByte(selector), size: 1) }
        }

        // Steps 6–8: release the old TSS (jmp, iret), save the old task (NT cleared for iret).
        var savedFlags = eflags
        if source == .iret { savedFlags &= ~EFLAGS.nt }
        try asSupervisor { () throws(CPUException) in
            if source.releasesOldTask { try setTSSBusy(old.selector, false) }
            try store32(old.base &+ TSSLayout.eip, returnAddress)
            try store32(old.base &+ TSSLayout.eflags, savedFlags)
            for index in 0..<8 {
                try store32(old.base &+ TSSLayout.generalRegisters &+ UInt32(4 * index), registers[index])
            }
            for index in 0..<6 {
                try store16(old.base &+ TSSLayout.segmentSelectors &+ UInt32(4 * index), segments[index].selector)
            }
            // call and interrupts: the new task links back to the old one.
            if source.nests { try store16(newBase &+ TSSLayout.link, old.selector) }
        }
        let image = try asSupervisor { () throws(CPUException) -> TaskImage in
            var image = TaskImage()
            image.cr3 = try load32(newBase &+ TSSLayout.cr3)
            image.eip = try load32(newBase &+ TSSLayout.eip)
            image.eflags = try load32(newBase &+ TSSLayout.eflags)
            for index in 0..<8 {
                image.generalRegisters[index] = try load32(newBase &+ TSSLayout.generalRegisters &+ UInt32(4 * index))
            }
            for index in 0..<6 {
                image.selectors[index] = try load16(newBase &+ TSSLayout.segmentSelectors &+ UInt32(4 * index))
            }
            image.ldt = try load16(newBase &+ TSSLayout.ldt)
            image.trap = try load16(newBase &+ TSSLayout.trap)
            return image
        }
        // Steps 9–11: TR, the new busy bit (not for iret: it is already set).
        if source != .iret { try setTSSBusy(selector, true) }

        // The commit point: from here on, faults belong to the new task.
        var task = descriptor
        task.selector = selector
        task.attributes |= 0x02
        state.pointee.taskRegister = task
        systemGeneration.pointee &+= 1
        setControlRegister(0, state.pointee.cr0 | CR0.ts)
        if debugRegisters[7] & Self.dr7LocalEnables != 0 {
            setDebugRegister(7, debugRegisters[7] & ~Self.dr7LocalEnables)
        }
        // Step 12: CR3 (with paging on), the registers, and the selectors with unusable caches.
        if isPagingEnabled { setControlRegister(3, image.cr3) }
        for index in 0..<8 { registers[index] = image.generalRegisters[index] }
        eflags = (image.eflags & ~EFLAGS.vm) | (source.nests ? EFLAGS.nt : 0)
        nextEIP = image.eip
        taskSwitchResumeAddress = image.eip
        state.pointee.ldtr = SegmentRegister(selector: image.ldt, base: 0, limit: 0, attributes: 0)
        for name in [SegmentName.ss, .cs, .es, .ds, .fs, .gs] {
            setSegment(name, SegmentRegister(selector: image.selectors[name.rawValue], base: 0, limit: 0, attributes: 0))
        }

        // Step 13: the descriptors, in the new task's context.
        try loadTaskSegments(image, external: external)
        if image.trap & 1 != 0 { state.pointee.pendingEvents.local |= PendingEvents.taskSwitchTrap }
        if let errorCode { try push32(errorCode) }
        guard image.eip <= segments[SegmentName.cs.rawValue].limit else {
            throw .generalProtection(errorCode: external)
        }
        taskSwitchResumeAddress = nil
    }

    /// Loads LDTR, SS, CS, DS, ES, FS and GS from the selectors of a new
    /// task, with the checks of SDM Table 7-1 in its order (rows 5–17):
    /// LDT valid, CS DPL against its RPL, SS valid, present (#SS), DPL = CPL,
    /// LDT present, CS valid, present (#NP), SS DPL = RPL, then each data
    /// segment valid, readable, present (#NP), DPL >= CPL and RPL. Every
    /// other failure is #TS naming the selector.
    private func loadTaskSegments(_ image: TaskImage, external: UInt32) throws(CPUException) {
        func code(_ selector: UInt16) -> UInt32 { UInt32(selector & 0xFFFC) | external }
        func dpl(_ descriptor: SegmentRegister) -> Int { Int((descriptor.attributes >> 5) & 3) }

        // Row 5: the LDT selector names an LDT descriptor in the GDT.
        let ldt = image.ldt
        var ldtPresent = true
        if ldt & 0xFFFC != 0 {
            guard ldt & 4 == 0 else { throw .invalidTSS(errorCode: code(ldt)) }
            let descriptor: SegmentRegister
            do {
                descriptor = try readDescriptor(ldt)
            } catch {
                if case .generalProtection = error { throw .invalidTSS(errorCode: code(ldt)) }
                throw error
            }
            guard descriptor.attributes & 0x1F == 0x02 else { throw .invalidTSS(errorCode: code(ldt)) }
            state.pointee.ldtr = descriptor
            ldtPresent = descriptor.attributes & 0x80 != 0
        }
        /// A segment descriptor, nil when the selector is outside its table.
        /// Going through a not-present LDT is Table 7-1's row 10: #TS(LDT).
        func fetch(_ selector: UInt16) throws(CPUException) -> SegmentRegister? {
            if selector & 4 != 0 && !ldtPresent { throw .invalidTSS(errorCode: code(ldt)) }
            do {
                return try readDescriptor(selector)
            } catch {
                if case .generalProtection = error { return nil }
                throw error
            }
        }

        let cs = image.selectors[SegmentName.cs.rawValue]
        let ss = image.selectors[SegmentName.ss.rawValue]
        let cpl = Int(cs & 3)
        let codeDescriptor = cs & 0xFFFC != 0 ? try fetch(cs) : nil
        // Row 6: a non-conforming code segment's DPL equals CS.RPL (a conforming one's is at most it).
        if let descriptor = codeDescriptor, descriptor.attributes & 0x18 == 0x18 {
            let conforming = descriptor.attributes & 0x04 != 0
            if conforming ? dpl(descriptor) > cpl : dpl(descriptor) != cpl { throw .invalidTSS(errorCode: code(cs)) }
        }
        // Rows 7–9: SS is a writable data segment, present, with DPL = CPL.
        guard ss & 0xFFFC != 0, let stack = try fetch(ss), stack.attributes & 0x1A == 0x12 else {
            throw .invalidTSS(errorCode: code(ss))
        }
        guard stack.attributes & 0x80 != 0 else { throw .stackFault(errorCode: code(ss)) }
        guard dpl(stack) == cpl else { throw .invalidTSS(errorCode: code(ss)) }
        // Row 10: the LDT is present.
        guard ldtPresent else { throw .invalidTSS(errorCode: code(ldt)) }
        // Rows 11–12: CS is a code segment, present.
        guard let codeSegment = codeDescriptor, codeSegment.attributes & 0x18 == 0x18 else {
            throw .invalidTSS(errorCode: code(cs))
        }
        guard codeSegment.attributes & 0x80 != 0 else { throw .segmentNotPresent(errorCode: code(cs)) }
        // Row 13: SS's DPL equals its RPL.
        guard dpl(stack) == Int(ss & 3) else { throw .invalidTSS(errorCode: code(ss)) }
        try markAccessed(ss)
        setSegment(.ss, SegmentRegister(selector: ss, base: stack.base, limit: stack.limit,
                                        attributes: stack.attributes | 1))
        try markAccessed(cs)
        setSegment(.cs, SegmentRegister(selector: cs, base: codeSegment.base, limit: codeSegment.limit,
                                        attributes: codeSegment.attributes | 1))

        // Rows 14–17: DS, ES, FS, GS (null selectors are allowed).
        for name in [SegmentName.ds, .es, .fs, .gs] {
            let selector = image.selectors[name.rawValue]
            guard selector & 0xFFFC != 0 else { continue }
            guard let data = try fetch(selector), data.attributes & 0x10 != 0 else {
                throw .invalidTSS(errorCode: code(selector))
            }
            let isCode = data.attributes & 0x08 != 0
            guard !isCode || data.attributes & 0x02 != 0 else { throw .invalidTSS(errorCode: code(selector)) }
            guard data.attributes & 0x80 != 0 else { throw .segmentNotPresent(errorCode: code(selector)) }
            let conforming = isCode && data.attributes & 0x04 != 0
            if !conforming && max(cpl, Int(selector & 3)) > dpl(data) { throw .invalidTSS(errorCode: code(selector)) }
            try markAccessed(selector)
            setSegment(name, SegmentRegister(selector: selector, base: data.base, limit: data.limit,
                                             attributes: data.attributes | 1))
        }
    }
}
