import I386

/// Stop replies (`T` packets) and the signals they name, in gdb's own
/// numbering (which is not any host's).
public enum StopReply {
    /// gdb's signal numbers.
    public enum Signal: UInt8, Sendable {
        case interrupt = 2, illegalInstruction = 4, trap = 5, floatingPoint = 8, busError = 10, segmentationFault = 11
    }

    /// The signal an exception vector is reported as, as Linux i386 maps them
    /// (`arch/i386/kernel/traps.c`): SIGFPE for #DE, #MF and #XM; SIGTRAP for
    /// #DB and #BP; SIGILL for #UD; SIGBUS for #NP, #SS and #AC; SIGSEGV for the rest.
    public static func signal(forVector vector: Int) -> Signal {
        switch vector {
        case 0, 7, 16, 19: .floatingPoint
        case 1, 2, 3: .trap
        case 6: .illegalInstruction
        case 11, 12, 17: .busError
        default: .segmentationFault
        }
    }

    /// A `T` reply: the signal, the reason fields (`watch:ADDR;`, `swbreak:;`,
    /// `replaylog:begin;` …), the thread and the registers gdb needs first
    /// (esp, ebp, eip), so a stop costs no extra round trip.
    public static func packet(signal: Signal, reason: String = "", machine: Machine) -> String {
        var text = "T" + hex2(signal.rawValue) + reason + "thread:01;"
        for register in [Register.esp, .ebp, .eip] {
            text += hex2(UInt8(register.rawValue)) + ":" + PacketCoding.hex(RegisterFileLayout.littleEndian(machine[register])) + ";"
        }
        return text
    }

    static func hex2(_ value: UInt8) -> String { PacketCoding.hex([value]) }
}
