/// One random snippet for the host-CPU differential test: an instruction (with
/// setup that does not touch flags), its input state, and which EFLAGS bits
/// the SDM defines after it.
struct DifferentialCase {
    /// Registers in pushal order: edi, esi, ebp, esp, ebx, edx, ecx, eax.
    var registers: [UInt32]
    var eflags: UInt32
    /// The data window's bytes (256).
    var window: [UInt8]
    /// Assembly run natively and in the interpreter.
    var body: String
    /// EFLAGS bits compared (CF PF AF ZF SF OF DF, minus the undefined ones).
    var definedFlags: UInt32
    /// Coverage label, e.g. "shl/w/mem".
    var label: String
}

/// The per-case state both runs produce, in the same layout as the inputs.
struct DifferentialState: Equatable {
    var registers: [UInt32]
    var eflags: UInt32
    var window: [UInt8]

    static let recordSize = 48 + DifferentialLayout.windowSize
}

enum DifferentialLayout {
    static let windowSize = 256
    /// Initial esp, as an offset into the window (the stack grows down into 192…224).
    static let stackOffset: UInt32 = 224
    static let registerNames = ["edi", "esi", "ebp", "esp", "ebx", "edx", "ecx", "eax"]
}

/// Flag masks.
enum Flag {
    static let cf: UInt32 = 0x001, pf: UInt32 = 0x004, af: UInt32 = 0x010, zf: UInt32 = 0x040
    static let sf: UInt32 = 0x080, df: UInt32 = 0x400, of: UInt32 = 0x800
    static let all: UInt32 = cf | pf | af | zf | sf | of | df
}
