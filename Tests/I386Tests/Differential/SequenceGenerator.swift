/// Random instruction sequences for the host-CPU fuzz (`Scripts/fuzz`): each
/// case strings together instructions drawn from the differential families
/// (`Families.swift`), so that one instruction's results, flags included,
/// flow into the next ones.
///
/// What keeps a sequence comparable bit for bit:
/// - a family's adjustments to the input state (a division's dividend, a
///   shift count in cl, a string count in ecx, equal runs in the window)
///   become `movl`/`movb` lines in front of its instruction, since earlier
///   instructions changed the initial state; moves touch no flag;
/// - esp is pointed back into the window before every stack instruction
///   (`pop %esp` and `ret $n` may have moved it anywhere);
/// - flags the SDM leaves undefined are tracked through the sequence: before
///   an instruction that reads flags while some are undefined, a `cmpl`
///   between two registers defines all six; those still undefined at the
///   end are left out of the comparison. A flag stays undefined until an
///   instruction that always writes all six (`flagWriters`) or that `cmpl`.
extension SnippetGenerator {
    /// The families a sequence draws from: every single-instruction family.
    static var sequenceFamilies: [Family] { families }

    /// Labels (their first word) of instructions whose result depends on the
    /// arithmetic flags they find.
    static let flagReaders: [String] = [
        "adc", "sbb", "rcl", "rcr", "set", "cmov", "j", "lahf", "cmc", "daa", "das", "aaa", "aas",
        "pushf", "loop", "salc",
    ]

    /// Labels (their first word, exactly) of instructions that write all six
    /// arithmetic flags whatever their operands: after one, only the flags it
    /// leaves undefined are undefined.
    static let flagWriters: Set<String> = [
        "add", "adc", "sub", "sbb", "cmp", "and", "or", "xor", "test", "neg", "mul", "imul", "imul2", "imul3",
        "bsf", "bsr", "div", "idiv", "xadd", "cmpxchg", "popf",
    ]

    static func writesAllFlags(_ label: String) -> Bool {
        flagWriters.contains(label.split(separator: "/").first.map(String.init) ?? label)
    }

    static func readsFlags(_ label: String) -> Bool {
        let mnemonic = label.split(separator: "/").first.map(String.init) ?? label
        return flagReaders.contains { mnemonic.hasPrefix($0) }
    }

    /// One random sequence of `count` instructions; `labels` receives each
    /// instruction's coverage label.
    mutating func makeSequence(count: Int, labels: inout [String]) -> DifferentialCase {
        var registers = (0..<8).map { _ in value() }
        registers[3] = DifferentialLayout.stackOffset
        var eflags = UInt32(0x202)
        for flag in [Flag.cf, Flag.pf, Flag.af, Flag.zf, Flag.sf, Flag.of, Flag.df] where chance(50) { eflags |= flag }
        let window = (0..<DifferentialLayout.windowSize).map { _ in UInt8(truncatingIfNeeded: value()) }

        var lines: [String] = []
        var undefined = UndefinedFlags()
        var instructionLabels: [String] = []
        let families = Self.sequenceFamilies
        for _ in 0..<count {
            let family = pick(families)
            var context = CaseContext(registers: registers, window: window)
            let (body, defined, label) = family.make(&self, &context)
            var prelude: [String] = []
            if family.name == "stack" || family.name == "misc" {
                prelude.append("leal window+\(DifferentialLayout.stackOffset), %esp")
            }
            for number in context.writtenRegisters.sorted() {
                prelude.append("movl $0x\(String(context.register(number), radix: 16)), \(Self.registers32[number])")
            }
            for offset in window.indices where context.window[offset] != window[offset] {
                prelude.append("movb $0x\(String(context.window[offset], radix: 16)), window+\(offset)")
            }
            if undefined.needsDefiningBefore(label) {
                let first = registerNumber(allowESP: true)
                prelude.append("cmpl \(Self.registers32[first]), \(Self.registers32[registerNumber(allowESP: true)])")
            }
            lines += prelude + body
            undefined.record(label, defined: defined)
            instructionLabels.append(label)
        }
        labels += instructionLabels
        return DifferentialCase(registers: registers, eflags: eflags, window: window,
                                body: lines.map { $0.hasSuffix(":") ? $0 : "    " + $0 }.joined(separator: "\n"),
                                definedFlags: Flag.all & ~undefined.mask,
                                label: "sequence of \(count): " + instructionLabels.joined(separator: " "))
    }
}

/// The arithmetic flags the SDM leaves undefined at a point of a sequence.
struct UndefinedFlags {
    var mask: UInt32 = 0

    /// Whether a `cmpl` must define the flags before `label`'s instruction
    /// (it reads flags and some are undefined); if so, they are defined now.
    mutating func needsDefiningBefore(_ label: String) -> Bool {
        guard mask != 0 && SnippetGenerator.readsFlags(label) else { return false }
        mask = 0
        return true
    }

    /// After `label`'s instruction, which defines `defined` (given defined inputs).
    mutating func record(_ label: String, defined: UInt32) {
        mask = (SnippetGenerator.writesAllFlags(label) ? 0 : mask) | Flag.all & ~defined
    }
}
