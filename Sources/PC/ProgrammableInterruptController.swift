import I386

/// The PC's pair of 8259A interrupt controllers: master at 0x20/0x21, slave at
/// 0xA0/0xA1 cascaded on the master's IR2, and the edge/level control registers
/// (ELCR) at 0x4D0/0x4D1.
///
/// Devices drive ISA lines 0–15 with `setIRQ(_:level:)`; the master's INT is
/// `isOutputAsserted`, reported on every change through `outputChanged` (to the
/// CPU's INTR, or to the local APIC's LINT0). The CPU's INTA cycle is
/// `acknowledgeInterrupt()`, which always answers a vector: a request that went
/// away before INTA gives the spurious vector base+7 with no ISR bit set; for a
/// slave line, the master still puts IR2 in service and the slave answers its
/// base+7 (so a handler must send the master an EOI, as Linux does).
///
/// Choices where the datasheet leaves room:
/// - Power-on state as QEMU models it: masks clear, vector bases 0, edge
///   triggered, IR7 lowest priority, IRR selected for reads, not initializing.
///   OCWs work on that state before any ICW, and a write to a data port outside
///   an initialization sequence is OCW1.
/// - ICW1 restarts initialization at any time; OCW2/OCW3 written in the middle of
///   a sequence act at once and do not disturb it. ICW3 and µPM are stored but
///   the wiring is fixed: the slave is on IR2 whatever ICW3 says, even in single mode.
/// - ISA line 2 is the cascade: `setIRQ(2, …)` and lines outside 0–15 are ignored.
/// - ELCR bits for IRQ 0, 1, 2, 8 and 13 cannot be set (they are edge-only on a PC).
/// - Poll (OCW3 P) is modelled: the next command-port read returns 0x80 | line
///   and acknowledges it, or 0x00 when nothing is pending; polling does not cascade.
public final class ProgrammableInterruptController: ByteWidePortDevice, InterruptAcknowledging {
    /// Ports 0x20–0x21 (master), 0xA0–0xA1 (slave) and 0x4D0–0x4D1 (ELCR).
    public let ports: [ClosedRange<UInt16>] = [0x20...0x21, 0xA0...0xA1, 0x4D0...0x4D1]

    /// Called with the new level whenever the master's INT output changes.
    public var outputChanged: ((Bool) -> Void)?
    /// Called for every EOI command (OCW2 with its EOI bit) with the chip it went to
    /// (false: master, true: slave) and the ISA line it took out of service (nil when none).
    public var endOfInterruptWritten: ((_ isSlave: Bool, _ line: Int?) -> Void)?

    private var master = InterruptControllerChip(isMaster: true)
    private var slave = InterruptControllerChip(isMaster: false)

    /// Creates the pair in its power-on state.
    public init() {}

    /// ICW2's vector bases (the vectors of IR0 and IR8), for observers that name an interrupt's source.
    public var vectorBases: (master: UInt8, slave: UInt8) { (master.vectorBase, slave.vectorBase) }

    /// The interrupt mask registers (OCW1) of the master and the slave.
    public var masks: (master: UInt8, slave: UInt8) { (master.mask, slave.mask) }

    /// Whether the master's INT output is asserted (an interrupt awaits INTA).
    public var isOutputAsserted: Bool { master.isInterruptAsserted }

    /// Drives ISA interrupt line `line` (0–15) to `level`; line 2 and other values are ignored.
    public func setIRQ(_ line: Int, level: Bool) {
        guard (0...15).contains(line), line != InterruptControllerChip.cascadeLine else { return }
        reportingOutputChanges {
            if line < 8 {
                master.setInput(line, level: level)
            } else {
                slave.setInput(line - 8, level: level)
            }
        }
    }

    /// The INTA cycle: the vector of the highest-priority request, now in service.
    ///
    /// Never nil: with nothing to serve, the 8259A answers IR7's vector (see the type's note).
    public func acknowledgeInterrupt() -> UInt8? {
        var vector: UInt8 = 0
        reportingOutputChanges {
            guard let line = master.acknowledge() else {
                vector = master.vectorBase | 7
                return
            }
            guard line == InterruptControllerChip.cascadeLine else {
                vector = master.vectorBase | UInt8(line)
                return
            }
            let slaveLine = slave.acknowledge()
            vector = slave.vectorBase | UInt8(slaveLine ?? 7)
        }
        return vector
    }

    /// Reads a master, slave or ELCR register (see `ports`).
    public func readByte(at port: UInt16) -> UInt8 {
        var value: UInt8 = 0xFF
        reportingOutputChanges {
            switch port {
            case 0x20: value = master.readCommand()
            case 0x21: value = master.readData()
            case 0xA0: value = slave.readCommand()
            case 0xA1: value = slave.readData()
            case 0x4D0: value = master.levelTriggeredLines
            case 0x4D1: value = slave.levelTriggeredLines
            default: break
            }
        }
        return value
    }

    /// Writes a master, slave or ELCR register (see `ports`).
    public func writeByte(_ value: UInt8, at port: UInt16) {
        let inService = (master.inService, slave.inService)
        defer {
            // OCW2 (bits 4–3 clear) with its EOI bit: tell an observer which line ended.
            if port & 0xFF7F == 0x20, value & 0x38 == 0x20, let observer = endOfInterruptWritten {
                let isSlave = port == 0xA0
                let ended = isSlave ? inService.1 & ~slave.inService : inService.0 & ~master.inService
                observer(isSlave, ended == 0 ? nil : ended.trailingZeroBitCount + (isSlave ? 8 : 0))
            }
        }
        reportingOutputChanges {
            switch port {
            case 0x20: master.writeCommand(value)
            case 0x21: master.writeData(value)
            case 0xA0: slave.writeCommand(value)
            case 0xA1: slave.writeData(value)
            case 0x4D0: master.setLevelTriggeredLines(value)
            case 0x4D1: slave.setLevelTriggeredLines(value)
            default: break
            }
        }
    }

    /// Runs `change`, brings the cascade wire (slave INT → master IR2) up to date,
    /// and reports the master's INT if it ended up different.
    private func reportingOutputChanges(_ change: () -> Void) {
        let wasAsserted = master.isInterruptAsserted
        change()
        // First let the master see a drop of the slave's INT (INTA, poll, ICW1), so a
        // request the slave latches next is a new rising edge on IR2.
        master.setInput(InterruptControllerChip.cascadeLine, level: slave.isInterruptAsserted)
        slave.updateOutput()
        master.setInput(InterruptControllerChip.cascadeLine, level: slave.isInterruptAsserted)
        let isAsserted = master.isInterruptAsserted
        if isAsserted != wasAsserted { outputChanged?(isAsserted) }
    }
}

// MARK: - Snapshots

extension ProgrammableInterruptController: Snapshotting {
    /// Every register and pending event of the device, as a value (see `Snapshotting`).
    public struct Snapshot {
        fileprivate let master: InterruptControllerChip
        fileprivate let slave: InterruptControllerChip
    }

    public func snapshot() -> Snapshot {
        Snapshot(master: master, slave: slave)
    }

    public func restore(_ snapshot: Snapshot) {
        master = snapshot.master
        slave = snapshot.slave
    }
}
