/// The ISA interrupt lines of a PC: line n goes to the 8259 pair's input n and,
/// when there is one, to the I/O APIC pin the MP table's default routing names
/// (IRQ0 → pin 2, the usual interrupt source override; every other line to the
/// pin of its number). Devices only know "IRQ n".
///
/// Line 2 is the 8259 cascade and reaches neither (the PIC ignores it and no
/// I/O APIC pin takes it); lines outside 0–15 are ignored.
public final class ISAInterruptRouting {
    /// The 8259 pair every line reaches.
    public let interruptController: ProgrammableInterruptController
    /// The I/O APIC, if the platform has one.
    public let ioAPIC: IOAPIC?

    /// Wires lines to `interruptController` and, if given, `ioAPIC`.
    public init(interruptController: ProgrammableInterruptController, ioAPIC: IOAPIC? = nil) {
        self.interruptController = interruptController
        self.ioAPIC = ioAPIC
    }

    /// The I/O APIC pin ISA line `irq` reaches, nil for the cascade and lines outside 0–15.
    public static func ioAPICPin(forIRQ irq: Int) -> Int? {
        switch irq {
        case 0: 2
        case 1, 3...15: irq
        default: nil
        }
    }

    /// Drives ISA line `irq` to `level` at both controllers.
    public func setIRQ(_ irq: Int, level: Bool) {
        interruptController.setIRQ(irq, level: level)
        if let pin = Self.ioAPICPin(forIRQ: irq) { ioAPIC?.setIRQ(pin, level: level) }
    }

    /// A closure that drives line `irq`, for a device's interrupt output
    /// (`timer.irq0 = routing.line(0)`); it keeps the routing alive.
    public func line(_ irq: Int) -> (Bool) -> Void {
        { level in self.setIRQ(irq, level: level) }
    }
}
