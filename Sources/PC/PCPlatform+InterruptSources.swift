/// What a trace wants to know about the PC's interrupts: where a vector comes
/// from as the controllers are programmed now, and which controller software
/// sent an EOI to.
extension PCPlatform {
    /// Which device raises an interrupt vector.
    public enum InterruptSource: Sendable, Equatable {
        /// An ISA line (IRQ 0–15), through the I/O APIC or the 8259 pair.
        case isa(line: UInt8)
        /// An I/O APIC pin above the ISA lines (16–23).
        case ioAPICPin(UInt8)
        /// The local APIC's own interrupts (its LVT entries).
        case localTimer, localThermal, localPerformanceCounter, localLINT0, localLINT1, localError
        /// The local APIC's spurious-interrupt vector.
        case spurious
        /// Nothing is programmed with that vector.
        case unknown

        /// A short name: `IRQ 4`, `local APIC timer`, ….
        public var description: String {
            switch self {
            case .isa(let line): "IRQ \(line)"
            case .ioAPICPin(let pin): "I/O APIC pin \(pin)"
            case .localTimer: "local APIC timer"
            case .localThermal: "local APIC thermal sensor"
            case .localPerformanceCounter: "local APIC performance counter"
            case .localLINT0: "local APIC LINT0"
            case .localLINT1: "local APIC LINT1"
            case .localError: "local APIC error"
            case .spurious: "spurious"
            case .unknown: "unknown source"
            }
        }
    }

    /// An EOI that software sent.
    public struct EndOfInterrupt: Sendable, Equatable {
        /// Where the EOI went.
        public enum Controller: Sendable, Equatable {
            case localAPIC, masterPIC, slavePIC
        }

        /// The controller software wrote the EOI to.
        public var controller: Controller
        /// The vector taken out of service (nil when none was in service).
        public var vector: UInt8?
        /// The ISA line of that vector, when one is known.
        public var line: UInt8?

        /// A report of an EOI to `controller`.
        public init(controller: Controller, vector: UInt8?, line: UInt8?) {
            self.controller = controller
            self.vector = vector
            self.line = line
        }
    }

    /// Where `vector` comes from, as the controllers are programmed now: an
    /// unmasked I/O APIC entry (its pin's ISA line, IRQ 0 on pin 2), an unmasked
    /// local APIC LVT entry, an unmasked 8259 line under its vector base, or the
    /// spurious vector; `.unknown` when none has it.
    public func interruptSource(ofVector vector: UInt8) -> InterruptSource {
        for pin in 0..<IOAPIC.pinCount {
            guard let entry = ioAPIC.redirectionEntry(pin: pin), entry & 0x1_0000 == 0,
                  UInt8(truncatingIfNeeded: entry) == vector else { continue }
            if let line = (0...15).first(where: { ISAInterruptRouting.ioAPICPin(forIRQ: $0) == pin }) {
                return .isa(line: UInt8(line))
            }
            return .ioAPICPin(UInt8(pin))
        }
        let locals: [InterruptSource] = [.localTimer, .localThermal, .localPerformanceCounter, .localLINT0, .localLINT1,
                                         .localError]
        for (entry, source) in zip(localAPIC.localVectorTable, locals)
        where entry & 0x1_0000 == 0 && UInt8(truncatingIfNeeded: entry) == vector && (entry >> 8) & 7 == 0 {
            return source
        }
        let bases = interruptController.vectorBases, masks = interruptController.masks
        if vector & 0xF8 == bases.master, masks.master & (1 << (vector & 7)) == 0, vector & 7 != 2 {
            return .isa(line: vector & 7)
        }
        if vector & 0xF8 == bases.slave, masks.slave & (1 << (vector & 7)) == 0 {
            return .isa(line: 8 + (vector & 7))
        }
        if vector == localAPIC.spuriousInterruptVector { return .spurious }
        return .unknown
    }

    /// The ISA line behind `vector`, when it is one.
    func isaLine(ofVector vector: UInt8) -> UInt8? {
        if case .isa(let line) = interruptSource(ofVector: vector) { return line }
        return nil
    }

    /// Wires the controllers' EOI reports to `endOfInterrupt` (nil: unwires them).
    func wireEndOfInterruptReports() {
        guard endOfInterrupt != nil else {
            localAPIC.endOfInterruptWritten = nil
            interruptController.endOfInterruptWritten = nil
            return
        }
        localAPIC.endOfInterruptWritten = { [unowned self] vector in
            endOfInterrupt?(EndOfInterrupt(controller: .localAPIC, vector: vector, line: vector.flatMap { isaLine(ofVector: $0) }))
        }
        interruptController.endOfInterruptWritten = { [unowned self] isSlave, line in
            let bases = interruptController.vectorBases
            let vector = line.map { isSlave ? bases.slave | UInt8($0 - 8) : bases.master | UInt8($0) }
            endOfInterrupt?(EndOfInterrupt(controller: isSlave ? .slavePIC : .masterPIC, vector: vector,
                                           line: line.map { UInt8($0) }))
        }
    }
}
