import I386
import Testing

/// The modelled CPU (a Pentium II, `CPUModel`): what cpuid says, and an
/// opcode map that says, for every one- and two-byte opcode and every ModR/M
/// reg field, in memory and register forms, whether the P6 executes it or
/// raises #UD. kstep must agree entry for entry. (x87 escapes D8–DF belong
/// to the x87 FPU and are left out.)
@Suite struct CPUModelTests {
    static func cpuid(_ leaf: UInt32) throws -> [UInt32] {
        let snippet = try Snippet("cpuid")
        snippet.machine[.eax] = leaf
        #expect(snippet.run() == .endOfCode)
        return [snippet.machine[.eax], snippet.machine[.ebx], snippet.machine[.ecx], snippet.machine[.edx]]
    }

    @Test func leafZeroNamesTheVendorAndTheHighestLeaf() throws {
        let values = try Self.cpuid(0)
        #expect(values[0] == 2)
        let vendor = [values[1], values[3], values[2]]
            .flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        #expect(String(decoding: vendor, as: UTF8.self) == "GenuineIntel")
    }

    @Test func leafOneIsAPentiumIIWithExactlyTheImplementedFeatures() throws {
        let values = try Self.cpuid(1)
        #expect(values[0] == 0x652)  // family 6, model 5, stepping 2
        #expect(values[1] == 0 && values[2] == 0)
        // FPU DE PSE TSC MSR CX8 SEP PGE CMOV FXSR; not VME PAE MCE APIC MTRR MCA PAT PSE36 MMX SSE.
        #expect(values[3] == 0x0100_A93D)
        for absent in [1, 6, 7, 9, 12, 14, 16, 17, 23, 25, 26] { #expect(values[3] & (1 << absent) == 0, "bit \(absent)") }
    }

    @Test(arguments: [UInt32(2), 3, 4, 0x8000_0000, 0x8000_0004, 0xFFFF_FFFF])
    func leavesFromTwoUpAreTheCacheDescriptors(leaf: UInt32) throws {
        #expect(try Self.cpuid(leaf) == [0x0302_0101, 0, 0, 0x0C04_0843])
    }

    @Test func cpuidLeavesOtherRegistersAlone() throws {
        let snippet = try Snippet("movl $1, %eax; movl $7, %esi; movl $9, %edi; cpuid")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.esi] == 7 && snippet.machine[.edi] == 9)
    }

    // MARK: The opcode map

    /// What a P6 does with an encoding: executes it (maybe faulting some other way) or #UD.
    enum Outcome: Equatable, CustomStringConvertible {
        case executes, undefined
        var description: String { self == .executes ? "executes" : "#UD" }
    }

    /// The P6's verdict on one-byte opcode `opcode` with ModR/M reg field `reg`
    /// (`register`: mod = 11). Opcodes without ModR/M ignore both.
    static func expected(oneByte opcode: UInt8, reg: Int, register: Bool) -> Outcome {
        switch opcode {
        case 0x62, 0x8D, 0xC4, 0xC5: register ? .undefined : .executes  // bound, lea, les, lds need memory
        case 0x8C: reg > 5 ? .undefined : .executes                    // no segment register 6, 7
        case 0x8E: reg == 1 || reg > 5 ? .undefined : .executes         // nor a mov to cs
        case 0x8F: reg != 0 ? .undefined : .executes
        case 0xC6, 0xC7: reg != 0 ? .undefined : .executes
        case 0xFE: reg > 1 ? .undefined : .executes
        case 0xFF: reg == 7 || (register && (reg == 3 || reg == 5)) ? .undefined : .executes
        default: .executes
        }
    }

    /// The P6's verdict on two-byte opcode `0F opcode`.
    static func expected(twoByte opcode: UInt8, reg: Int, register: Bool) -> Outcome {
        switch opcode {
        case 0x00: return reg > 5 ? .undefined : .executes
        case 0x01:
            if register { return reg == 4 || reg == 6 ? .executes : .undefined }  // smsw, lmsw
            return reg == 5 ? .undefined : .executes
        case 0x02, 0x03, 0x06, 0x08, 0x09: return .executes
        case 0x18...0x1F: return .executes                       // hint NOPs
        case 0x20, 0x22: return [0, 2, 3, 4].contains(reg) ? .executes : .undefined
        case 0x21, 0x23: return .executes                        // DR4/DR5 alias DR6/DR7 while CR4.DE is clear
        case 0x30...0x35: return .executes                       // wrmsr rdtsc rdmsr rdpmc sysenter sysexit
        case 0x40...0x4F, 0x80...0x8F, 0x90...0x9F: return .executes
        case 0xA0...0xA5, 0xA8, 0xA9, 0xAB...0xAD, 0xAF: return .executes
        case 0xAE: return !register && reg < 2 ? .executes : .undefined  // fxsave, fxrstor; no SSE, no fences
        case 0xB0, 0xB1, 0xB3, 0xB6, 0xB7, 0xBB...0xBF, 0xC0, 0xC1, 0xC8...0xCF: return .executes
        case 0xB2, 0xB4, 0xB5: return register ? .undefined : .executes  // lss, lfs, lgs
        case 0xBA: return reg >= 4 ? .executes : .undefined
        case 0xC7: return !register && reg == 1 ? .executes : .undefined // cmpxchg8b
        default: return .undefined  // 04 05 07 0A–0F (ud2, 3DNow!), 10–17, 24–2F, 36–3F, 50–7F (SSE, MMX),
                                    // A6 A7 AA (rsm), B8 B9 (ud1), C2–C6, D0–FF (ud0)
        }
    }

    /// Runs each encoding once from the same state (ring 0, flat, eax = 0 so
    /// [eax] is mapped) and reports which raised #UD.
    final class OpcodeProbe {
        let machine: Machine
        let start: CPUState
        var next: UInt32 = 0x0010_0000

        init() throws {
            machine = try Machine()
            machine.map(0, size: 0x0040_0000)
            machine[.esp] = 0x0008_0000
            start = machine.cpuState
        }

        func outcome(_ bytes: [UInt8]) throws -> Outcome {
            machine.restore(start)
            try machine.write(bytes + [UInt8](repeating: 0, count: 12), at: next)
            machine.eip = next
            next += 32
            if case .exception(.invalidOpcode) = machine.run(maxSteps: 1) { return .undefined }
            return .executes
        }
    }

    @Test func everyOneByteOpcodeExecutesOrIsUndefinedAsOnAP6() throws {
        let probe = try OpcodeProbe()
        var mismatches: [String] = []
        let prefixes: Set<UInt8> = [0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3]
        for opcode in UInt8(0)...0xFF where opcode != 0x0F && !prefixes.contains(opcode) && !(0xD8...0xDF).contains(opcode) {
            for register in [false, true] {
                for reg in 0..<8 {
                    let modRM = UInt8(reg << 3) | (register ? 0xC0 : 0x00)
                    let got = try probe.outcome([opcode, modRM])
                    let want = Self.expected(oneByte: opcode, reg: reg, register: register)
                    if got != want { mismatches.append("\(hex(opcode)) /\(reg)\(register ? " reg" : " mem"): \(got), P6 \(want)") }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count): \(mismatches.prefix(20))")
    }

    @Test func everyTwoByteOpcodeExecutesOrIsUndefinedAsOnAP6() throws {
        let probe = try OpcodeProbe()
        var mismatches: [String] = []
        for opcode in UInt8(0)...0xFF {
            for register in [false, true] {
                for reg in 0..<8 {
                    let modRM = UInt8(reg << 3) | (register ? 0xC0 : 0x00)
                    let got = try probe.outcome([0x0F, opcode, modRM])
                    let want = Self.expected(twoByte: opcode, reg: reg, register: register)
                    if got != want { mismatches.append("0f \(hex(opcode)) /\(reg)\(register ? " reg" : " mem"): \(got), P6 \(want)") }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count): \(mismatches.prefix(20))")
    }

    /// Prefixes that select later instructions on newer CPUs select the P6's.
    @Test(arguments: [
        ("f3 90", Outcome.executes),            // pause
        ("f3 0f bc c0", .executes),             // tzcnt: bsf on a P6
        ("f3 0f bd 00", .executes),             // lzcnt: bsr
        ("f3 0f b8 c0", .undefined),            // popcnt: 0F B8 is no P6 instruction
        ("f3 0f 1e fb", .executes),             // endbr32: a hint NOP
        ("66 0f 1f 44 00 00", .executes),       // the 6-byte long NOP
        ("f3 0f 10 00", .undefined),            // movss
        ("f2 0f 10 00", .undefined),            // movsd (SSE2)
        ("66 0f 6f c0", .undefined),            // movdqa
        ("0f 6f c0", .undefined),               // movq (MMX)
        ("0f 77", .undefined),                  // emms
        ("0f 0b", .undefined),                  // ud2
        ("0f ff", .undefined),                  // ud0
        ("0f b9 c0", .undefined),               // ud1
        ("0f ae e8", .undefined),               // lfence
        ("0f ae f0", .undefined),               // mfence
        ("0f ae f8", .undefined),               // sfence
        ("0f ae 38", .undefined),               // clflush
        ("0f ae 10", .undefined),               // ldmxcsr
        ("0f aa", .undefined),                  // rsm outside SMM
        ("0f 05", .undefined),                  // syscall
        ("0f 01 f9", .undefined),               // rdtscp
        ("0f 01 d0", .undefined),               // xgetbv
        ("0f 38 f0 00", .undefined),            // movbe
        ("0f c7 f0", .undefined),               // rdrand
        ("c5 f8 77", .undefined),               // vzeroupper: lds with a register operand
        ("f0 90", .undefined),                  // lock on a non-lockable instruction
        ("f0 01 c0", .undefined),               // lock with a register destination
        ("f0 01 00", .executes),                // lock add to memory
        ("d6", .executes),                      // salc
        ("f1", .executes),                      // int1: #DB, not #UD
        ("0f 21 e0", .executes),                // mov %dr4: DR6 while CR4.DE is clear
    ])
    func prefixedAndLaterEncodings(hexBytes: String, want: Outcome) throws {
        let bytes = hexBytes.split(separator: " ").compactMap { UInt8($0, radix: 16) }
        #expect(try OpcodeProbe().outcome(bytes) == want)
    }

    @Test func debugRegistersFourAndFiveAreUndefinedWithDebuggingExtensions() throws {
        let snippet = try Snippet("movl $8, %eax; movl %eax, %cr4; movl %dr5, %eax")
        guard case .exception(.invalidOpcode(let bytes)) = snippet.run() else {
            Issue.record("mov %dr5 with CR4.DE did not raise #UD")
            return
        }
        #expect(bytes.array == [0x0F, 0x21, 0xE8])
    }
}

private func hex(_ byte: UInt8) -> String { byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }
