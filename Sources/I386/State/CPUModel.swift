/// The CPU kstep models: a GenuineIntel Pentium II (Deschutes), family 6
/// model 5 stepping 2 (signature 0x652), with CPUID reporting exactly the
/// features kstep executes.
///
/// Why this part: it is the first P6 with every feature kstep's kernels use
/// (CMOV and PGE from the Pentium Pro, a working SEP from model 3 on — the
/// Pentium Pro reports SEP but lacks it — and FXSR from model 5 on), and the
/// last one without SSE, so nothing the model claims is missing from kstep.
/// The real part also has VME, PAE, MCE, an on-chip APIC, MTRR, MCA, PAT,
/// PSE-36 and MMX; kstep implements none of them, so their CPUID bits are
/// clear, their CR4 bits are reserved (#GP(0)) and their instructions (MMX)
/// raise #UD, as on a part without them. Every instruction the model has
/// executes; every other encoding raises #UD.
public enum CPUModel {
    /// "GenuineIntel".
    public static let vendor = "GenuineIntel"
    /// CPUID.1:EAX: type 0, family 6, model 5, stepping 2.
    public static let signature: UInt32 = 0x0000_0652
    /// The highest basic leaf (leaf 2, the cache and TLB descriptors).
    public static let highestLeaf: UInt32 = 2

    /// CPUID.1:EDX feature bits.
    public enum Feature: UInt32, CaseIterable, Sendable {
        /// x87 FPU on chip.
        case fpu = 0
        /// Debugging extensions: CR4.DE, I/O breakpoints, DR4/DR5 #UD.
        case de = 2
        /// 4 MB pages (CR4.PSE).
        case pse = 3
        /// rdtsc and CR4.TSD.
        case tsc = 4
        /// rdmsr/wrmsr.
        case msr = 5
        /// cmpxchg8b.
        case cx8 = 8
        /// sysenter/sysexit and their MSRs.
        case sep = 11
        /// Global pages (CR4.PGE).
        case pge = 13
        /// cmovcc (and, with FPU, fcmovcc and fcomi).
        case cmov = 15
        /// fxsave/fxrstor and CR4.OSFXSR.
        case fxsr = 24
    }

    /// CPUID.1:EDX: every `Feature`, 0x0100A93D.
    public static let featureFlags: UInt32 = Feature.allCases.reduce(0) { $0 | 1 << $1.rawValue }

    /// CPUID.2: the Pentium II's descriptors with a 512 KB L2 (one round,
    /// AL = 1): 0x01 ITLB 4K ×32 4-way, 0x02 ITLB 4M ×2, 0x03 DTLB 4K ×64
    /// 4-way, 0x43 L2 512 KB 4-way 32-byte lines, 0x08 L1I 16 KB 4-way 32-byte
    /// lines, 0x04 DTLB 4M ×8 4-way, 0x0C L1D 16 KB 4-way 32-byte lines.
    public static let cacheDescriptors: (eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32) =
        (0x0302_0101, 0, 0, 0x0C04_0843)

    /// The CR4 bits the model has (TSD, DE, PSE, PGE, PCE, OSFXSR); setting
    /// any other bit is #GP(0).
    public static let cr4Bits: UInt32 = 1 << 2 | 1 << 3 | 1 << 4 | 1 << 7 | 1 << 8 | 1 << 9

    /// The four registers CPUID returns for `leaf` (0…`highestLeaf`).
    public static func cpuid(leaf: UInt32) -> (eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32) {
        switch leaf {
        case 0:
            // The vendor string in EBX, EDX, ECX order.
            let bytes = Array(vendor.utf8)
            func word(_ offset: Int) -> UInt32 {
                (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
            }
            return (highestLeaf, word(0), word(8), word(4))
        case 1:
            // EBX (brand index, CLFLUSH size, APIC ID) and ECX are zero on P6 parts.
            return (signature, 0, 0, featureFlags)
        default:
            return cacheDescriptors
        }
    }
}
