/// Generates random differential cases over kstep's integer instruction set.
///
/// Each case is one tested instruction, preceded by setup that does not touch
/// the flags (mov/lea), with inputs biased toward edge values. Memory operands
/// stay inside the 256-byte window; nothing faults on the host.
struct SnippetGenerator {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    static let edgeValues: [UInt32] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000,
                                       0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFFE, 0x8000_0001]

    // MARK: Random helpers

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    mutating func value() -> UInt32 {
        switch int(0...9) {
        case 0...4: return pick(Self.edgeValues)
        case 5: return UInt32(int(0...16))
        case 6: return pick(Self.edgeValues) &+ UInt32(int(0...3)) &- 2
        default: return UInt32(truncatingIfNeeded: random.next())
        }
    }

    // MARK: Operands

    static let registers32 = ["%eax", "%ecx", "%edx", "%ebx", "%esp", "%ebp", "%esi", "%edi"]
    static let registers16 = ["%ax", "%cx", "%dx", "%bx", "%sp", "%bp", "%si", "%di"]
    static let registers8 = ["%al", "%cl", "%dl", "%bl", "%ah", "%ch", "%dh", "%bh"]

    static func suffix(_ size: Int) -> String { size == 1 ? "b" : (size == 2 ? "w" : "l") }

    static func registerName(_ number: Int, size: Int) -> String {
        size == 1 ? registers8[number] : (size == 2 ? registers16[number] : registers32[number])
    }

    /// A register operand number, never esp (4) unless `allowESP`; never one in `avoid`.
    mutating func registerNumber(avoid: Set<Int> = [], allowESP: Bool = false) -> Int {
        while true {
            let number = int(0...7)
            if number == 4 && !allowESP { continue }
            if avoid.contains(number) { continue }
            return number
        }
    }

    /// A memory operand inside the window's data area (bytes 0..<192), with the
    /// setup that points its registers there. `avoid` are registers the
    /// instruction uses implicitly.
    mutating func memoryOperand(size: Int, avoid: Set<Int> = [], setup: inout [String]) -> String {
        let target = int(0...(184 - size))
        let bases = [3, 5, 6, 7].filter { !avoid.contains($0) }
        switch int(0...3) {
        case 0:
            return "window+\(target)"
        case 1 where !bases.isEmpty:
            let base = pick(bases)
            let displacement = int(-32...32)
            setup.append("leal window+\(target - displacement), \(Self.registers32[base])")
            return "\(displacement)(\(Self.registers32[base]))"
        case 2 where bases.count >= 2:
            let base = pick(bases)
            let index = pick(bases.filter { $0 != base })
            let scale = pick([1, 2, 4, 8])
            let count = int(0...4)
            let displacement = int(-16...16)
            setup.append("movl $\(count), \(Self.registers32[index])")
            setup.append("leal window+\(target - displacement - count * scale), \(Self.registers32[base])")
            return "\(displacement)(\(Self.registers32[base]),\(Self.registers32[index]),\(scale))"
        case 3 where !bases.isEmpty:
            let index = pick(bases)
            let scale = pick([1, 2, 4, 8])
            let count = int(0...4)
            setup.append("movl $\(count), \(Self.registers32[index])")
            return "window+\(target - count * scale)(,\(Self.registers32[index]),\(scale))"
        default:
            return "window+\(target)"
        }
    }

    // MARK: Cases

    /// One random case from `family` (see `families`).
    mutating func makeCase(family: Family) -> DifferentialCase {
        var registers = (0..<8).map { _ in value() }
        registers[3] = DifferentialLayout.stackOffset  // esp: an offset into the window
        var eflags = UInt32(0x202)
        for flag in [Flag.cf, Flag.pf, Flag.af, Flag.zf, Flag.sf, Flag.of] where chance(50) { eflags |= flag }
        if family.usesDirection && chance(50) { eflags |= Flag.df }
        var window = (0..<DifferentialLayout.windowSize).map { _ in UInt8(truncatingIfNeeded: value()) }
        var context = CaseContext(registers: registers, window: window)
        let (lines, defined, label) = family.make(&self, &context)
        registers = context.registers
        window = context.window
        return DifferentialCase(registers: registers, eflags: eflags, window: window,
                                body: lines.map { "    " + $0 }.joined(separator: "\n"),
                                definedFlags: defined, label: label)
    }
}

/// Inputs a family may adjust (e.g. to keep a division from faulting).
struct CaseContext {
    /// pushal order: edi, esi, ebp, esp, ebx, edx, ecx, eax.
    var registers: [UInt32]
    var window: [UInt8]

    static func slot(_ number: Int) -> Int { 7 - number }

    /// The registers a family set (a sequence turns them into `movl`s before
    /// the instruction, since earlier instructions changed the initial state).
    var writtenRegisters: Set<Int> = []

    func register(_ number: Int) -> UInt32 { registers[Self.slot(number)] }
    mutating func setRegister(_ number: Int, _ value: UInt32) {
        registers[Self.slot(number)] = value
        writtenRegisters.insert(number)
    }
}

/// A group of instructions with how to generate one case of it.
struct Family: Sendable {
    var name: String
    var usesDirection = false
    var make: @Sendable (inout SnippetGenerator, inout CaseContext) -> (lines: [String], defined: UInt32, label: String)
}
