import I386

/// The registers as every trace format lists them: the general registers,
/// eip, eflags, the segment registers in hardware order (es, cs, ss, ds, fs,
/// gs), CR0–CR4 and the debug registers. `Register` has gdb's order (cs, ss,
/// ds, es, fs, gs); the two differ only in where es goes.
enum TraceRegisters {
    /// The registers in display order.
    static let order: [Register] = [.eax, .ecx, .edx, .ebx, .esp, .ebp, .esi, .edi, .eip, .eflags,
                                    .es, .cs, .ss, .ds, .fs, .gs,
                                    .cr0, .cr2, .cr3, .cr4, .dr0, .dr1, .dr2, .dr3, .dr6, .dr7]
    /// Their names, in display order.
    static let names: [StaticString] = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags",
                                        "es", "cs", "ss", "ds", "fs", "gs",
                                        "cr0", "cr2", "cr3", "cr4", "dr0", "dr1", "dr2", "dr3", "dr6", "dr7"]
    /// How many there are.
    static let count = 26

    /// A set of registers as display-order bits (bit n: `order[n]`). Only the
    /// first four segment registers move: es (gdb's 13) comes first.
    @inline(__always)
    static func displayBits(_ set: RegisterSet) -> UInt32 {
        let bits = set.rawValue
        return (bits & ~0x3C00) | ((bits >> 3) & 0x0400) | ((bits << 1) & 0x3800)
    }
}
