/// Registers by `Register`, for embedders, debuggers and tracers; the one
/// setter that applies their side effects.
extension Machine {
    /// Reads or writes a register. Writing a segment register loads a flat
    /// descriptor for it (no GDT lookup: `loadSegmentRegister` does that);
    /// writing CR0, CR3 or CR4 flushes the TLB as the CPU would; writing DR7
    /// or EFLAGS.TF arms or disarms the debug traps.
    public subscript(register: Register) -> UInt32 {
        get {
            switch register {
            case .eax, .ecx, .edx, .ebx, .esp, .ebp, .esi, .edi: registers[register.rawValue]
            case .eip: state.pointee.eip
            case .eflags: eflags
            case .cs, .ss, .ds, .es, .fs, .gs: UInt32(segments[register.segment?.rawValue ?? 0].selector)
            case .cr0: state.pointee.cr0
            case .cr2: state.pointee.cr2
            case .cr3: state.pointee.cr3
            case .cr4: state.pointee.cr4
            case .dr0: debugRegisters[0]
            case .dr1: debugRegisters[1]
            case .dr2: debugRegisters[2]
            case .dr3: debugRegisters[3]
            case .dr6: debugRegisters[6]
            case .dr7: debugRegisters[7]
            }
        }
        set {
            switch register {
            case .eax, .ecx, .edx, .ebx, .esp, .ebp, .esi, .edi: registers[register.rawValue] = newValue
            case .eip: state.pointee.eip = newValue
            case .eflags: eflags = newValue
            case .cs, .ss, .ds, .es, .fs, .gs:
                let name = register.segment ?? .ds
                var flat = SegmentRegister.flat(selector: UInt16(truncatingIfNeeded: newValue), isCode: name == .cs)
                flat.selector = UInt16(truncatingIfNeeded: newValue)
                setSegment(name, flat)
            case .cr0: setControlRegister(0, newValue)
            case .cr2: setControlRegister(2, newValue)
            case .cr3: setControlRegister(3, newValue)
            case .cr4: setControlRegister(4, newValue)
            case .dr0: setDebugRegister(0, newValue)
            case .dr1: setDebugRegister(1, newValue)
            case .dr2: setDebugRegister(2, newValue)
            case .dr3: setDebugRegister(3, newValue)
            case .dr6: setDebugRegister(6, newValue)
            case .dr7: setDebugRegister(7, newValue)
            }
        }
    }

    /// The value of a register or register part named as the command line
    /// names it (`eax`, `ax`, `ah`, `cr3`; case-insensitive, `%` allowed).
    public func register(named name: String) throws(UnknownRegister) -> UInt32 {
        guard let named = RegisterName(name) else { throw UnknownRegister(name: name) }
        let value = self[named.register] >> UInt32(named.shift)
        return named.size == 4 ? value : value & sizeMask(named.size)
    }

    /// Sets a register or register part named as in `register(named:)`.
    public func setRegister(named name: String, _ value: UInt32) throws(UnknownRegister) {
        guard let named = RegisterName(name) else { throw UnknownRegister(name: name) }
        guard named.size != 4 else {
            self[named.register] = value
            return
        }
        let mask = sizeMask(named.size) << UInt32(named.shift)
        self[named.register] = (self[named.register] & ~mask) | ((value << UInt32(named.shift)) & mask)
    }

    /// Why a register name was not accepted.
    public struct UnknownRegister: Error, Sendable, CustomStringConvertible {
        public var name: String
        public var description: String { "unknown register '\(name)'" }
    }

    /// The value of every register, in `Register` order: what a tracer or a
    /// debugger copies after each instruction.
    public var registerFile: RegisterFile { RegisterFile(self) }

    // MARK: Setters with side effects

    /// Replaces a segment register and its descriptor cache (no checks).
    public func setSegment(_ name: SegmentName, _ value: SegmentRegister) {
        let number = name.rawValue
        let wasUser = segments[1].selector & 3 == 3
        let oldCodeBase = segments[1].base
        segments[number] = value
        systemGeneration.pointee &+= 1
        let mask: UInt8 = 1 << UInt8(number)
        if number != SegmentName.cs.rawValue && !value.isFlatData {
            nonFlatSegments |= mask
        } else {
            nonFlatSegments &= ~mask
        }
        if number == SegmentName.cs.rawValue {
            if (value.selector & 3 == 3) != wasUser { privilegeClassChanged() }
            if value.base != oldCodeBase { blocks.flushJumpCaches() }
        }
    }

    /// Writes CR0, CR2, CR3 or CR4 with the architectural side effects: CR3
    /// flushes the non-global TLB entries; CR0.PG/WP/PE and CR4.PSE/PGE changes flush all.
    func setControlRegister(_ number: Int, _ value: UInt32) {
        systemGeneration.pointee &+= 1
        switch number {
        case 0:
            let old = state.pointee.cr0
            let new = value | 0x10  // ET is hard-wired to 1
            state.pointee.cr0 = new
            if (old ^ new) & (CR0.pg | CR0.wp | CR0.pe) != 0 { flushTLB(includingGlobal: true) }
        case 2:
            state.pointee.cr2 = value
        case 3:
            state.pointee.cr3 = value
            flushTLB(includingGlobal: false)
        default:
            let old = state.pointee.cr4
            state.pointee.cr4 = value
            if (old ^ value) & (CR4.pse | CR4.pge | CR4.pae) != 0 { flushTLB(includingGlobal: true) }
            if (old ^ value) & CR4.de != 0 { updateDebugArming() }  // I/O breakpoints come and go with DE
        }
    }

    /// Writes a debug register (DR4/DR5 already mapped to DR6/DR7) and re-arms the debug traps.
    func setDebugRegister(_ index: Int, _ value: UInt32) {
        var value = value
        if index == 6 { value = (value & 0x0000_E00F) | 0xFFFF_0FF0 }
        if index == 7 { value = (value & 0xFFFF_2BFF) | 0x0000_0400 }
        debugRegisters[index] = value
        systemGeneration.pointee &+= 1
        if index == 7 || index < 4 { updateDebugArming() }
    }

    /// The current privilege level (the RPL of CS).
    public var cpl: Int { Int(segments[1].selector & 3) }

    /// A segment register with its descriptor cache.
    public func segment(_ name: SegmentName) -> SegmentRegister { segments[name.rawValue] }

    /// GDTR.
    public var gdtr: TableRegister {
        get { state.pointee.gdtr }
        set { state.pointee.gdtr = newValue }
    }

    /// IDTR.
    public var idtr: TableRegister {
        get { state.pointee.idtr }
        set { state.pointee.idtr = newValue }
    }

    /// LDTR with its cached descriptor.
    public var ldtr: SegmentRegister { state.pointee.ldtr }

    /// TR with the cached TSS descriptor.
    public var taskRegister: SegmentRegister { state.pointee.taskRegister }

    /// The instruction pointer.
    public var eip: UInt32 {
        get { state.pointee.eip }
        set { state.pointee.eip = newValue }
    }

    /// Instructions retired so far.
    public var instructionCount: UInt64 { state.pointee.instructionCount }

    /// Device time in ticks (see `CPUState.time`).
    public var time: UInt64 { state.pointee.time }
}

/// CR0 bits kstep acts on.
enum CR0 {
    static let pe: UInt32 = 1 << 0
    static let mp: UInt32 = 1 << 1
    static let em: UInt32 = 1 << 2
    static let ts: UInt32 = 1 << 3
    static let ne: UInt32 = 1 << 5
    static let wp: UInt32 = 1 << 16
    static let nw: UInt32 = 1 << 29
    static let cd: UInt32 = 1 << 30
    static let pg: UInt32 = 1 << 31
}

/// CR4 bits kstep acts on.
enum CR4 {
    static let tsd: UInt32 = 1 << 2
    static let de: UInt32 = 1 << 3
    static let pse: UInt32 = 1 << 4
    static let pae: UInt32 = 1 << 5
    static let pge: UInt32 = 1 << 7
    static let pce: UInt32 = 1 << 8
    static let osfxsr: UInt32 = 1 << 9
}

/// The model-specific registers kstep implements (rdmsr/wrmsr of any other is #GP(0)).
enum MSR {
    /// IA32_TIME_STAMP_COUNTER (read only in kstep: the device time).
    static let timeStampCounter: UInt32 = 0x10
    /// PerfCtr0 and PerfCtr1, the counters rdpmc reads.
    static let performanceCounter0: UInt32 = 0xC1
    static let performanceCounter1: UInt32 = 0xC2
    /// IA32_SYSENTER_CS, _ESP, _EIP.
    static let sysenterCS: UInt32 = 0x174
    static let sysenterESP: UInt32 = 0x175
    static let sysenterEIP: UInt32 = 0x176
    /// PerfEvtSel0 and PerfEvtSel1.
    static let eventSelect0: UInt32 = 0x186
    static let eventSelect1: UInt32 = 0x187
}

extension Machine {
    /// The six segment registers, to put back with `restoreSegmentRegisters`
    /// when an instruction that loads several of them faults half-way.
    func savedSegmentRegisters() -> [SegmentRegister] { (0..<6).map { segments[$0] } }

    func restoreSegmentRegisters(_ saved: [SegmentRegister]) {
        for (number, segment) in saved.enumerated() {
            if let name = SegmentName(rawValue: number) { setSegment(name, segment) }
        }
    }

    /// sti (with IF clear before), mov ss, pop ss: the next instruction runs
    /// before any maskable interrupt.
    func beginInterruptShadow() {
        state.pointee.interruptShadow = true
        state.pointee.pendingEvents.local |= PendingEvents.shadow
    }
}
