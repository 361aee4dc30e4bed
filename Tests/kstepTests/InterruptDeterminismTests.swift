import Foundation
import Testing

/// The timer_irq image under `--pc`: ten timer interrupts that wake hlt, a
/// rep stosl with interrupts on. Device time follows the instruction count,
/// so its trace is the same every time, and a run cut short with
/// `--max-steps` is the full run's prefix, instruction for instruction,
/// wherever the cut falls (between blocks, inside one, just before or just
/// after an interrupt is delivered).
@Suite struct InterruptDeterminismTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let image = root.appendingPathComponent("Images/timer_irq/timer_irq.elf").path
    static let golden = root.appendingPathComponent("Images/timer_irq/timer_irq.golden.jsonl").path

    /// `kstep trace --pc --format jsonl IMAGE`, with `--max-steps` when given.
    static func trace(maxSteps: Int? = nil) throws -> KstepProcess.Output {
        var arguments = ["trace", "--pc", "--format", "jsonl", image]
        if let maxSteps { arguments += ["--max-steps", String(maxSteps)] }
        return try KstepProcess.run(arguments)
    }

    /// Every line: instruction records and, between them, interrupt records.
    /// The trace's records without its closing stop record (a cut trace stops elsewhere).
    static func records(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("{\"stop\":") }
    }

    /// The instruction records (an interrupt record has no instruction bytes).
    static func instructions(_ records: [String]) throws -> [String] {
        try records.filter { try object($0)["bytes"] != nil }
    }

    /// How many lines the first `steps` instruction records and the interrupt records before them take.
    static func lines(upTo steps: Int, of records: [String]) throws -> Int {
        var seen = 0
        for (index, line) in records.enumerated() where try object(line)["bytes"] != nil {
            seen += 1
            if seen == steps { return index + 1 }
        }
        return records.count
    }

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// Registers after the first `count` records: the first record lists them all, later ones what changed.
    static func registers(after count: Int, of records: [String]) throws -> [String: UInt32] {
        var registers: [String: UInt32] = [:]
        for line in records.prefix(count) {
            let changed = try #require(try object(line)["regs"] as? [String: String])
            for (name, value) in changed { registers[name] = UInt32(value.dropFirst(2), radix: 16) }
        }
        return registers
    }

    @Test func theTimerImageTracesTheSameTwiceAndMatchesItsGoldenTrace() throws {
        let first = try Self.trace()
        let second = try Self.trace()
        #expect(first.status == 0)
        #expect(first.standardOutput == second.standardOutput)
        #expect(Data(first.standardOutput.utf8) == (try Data(contentsOf: URL(fileURLWithPath: Self.golden))))
        // Interrupt-heavy: ten ticks, each taken right after the hlt that waited for it,
        // and an eleventh that interrupts the rep stosl (the handler returns to the rep).
        let all = Self.records(first.standardOutput)
        #expect(try all.filter { try Self.object($0)["bytes"] == nil }.count == 11)  // the interrupt records
        let records = try Self.instructions(all)
        let entries = try records.indices.filter { try Self.object(records[$0])["sym"] as? String == "irq0_interrupt" }
        #expect(entries.count == 11)
        let asm = try records.map { try Self.object($0)["asm"] as? String ?? "" }
        #expect(entries.filter { asm[$0 - 1] == "hlt" }.count == 10)
        // The other one came in the rep (which had not retired): its iret returns to the rep.
        let inRep = try #require(entries.first { asm[$0 - 1] != "hlt" })
        let iret = try #require(asm[inRep...].firstIndex { $0.hasPrefix("iret") })
        #expect(asm[iret + 1].hasPrefix("rep stos"))
    }

    /// Cut points around the first, fifth and last interrupt (the hlt before it, the
    /// handler's first instruction, inside the handler), at the rep, and elsewhere.
    static func cutPoints(_ records: [String]) throws -> [Int] {
        var steps: Set<Int> = [1, 2, 77, 500, 1001, records.count - 1, records.count]
        var interrupts = 0
        for (index, line) in records.enumerated() {
            let record = try object(line)
            // Record `index` is step index + 1, so step `index` is the one before it.
            if record["sym"] as? String == "irq0_interrupt" {
                if [0, 4, 9].contains(interrupts) { steps.formUnion([index, index + 1, index + 9]) }
                interrupts += 1
            }
            if (record["asm"] as? String)?.hasPrefix("rep stosl") == true { steps.formUnion([index, index + 1]) }
        }
        return steps.sorted()
    }

    /// eip after the first `count` lines: where the next line starts (an instruction
    /// record's eip, or an interrupt record's interrupted eip: a run cut there has
    /// not delivered the interrupt yet).
    static func eip(after count: Int, of records: [String]) throws -> UInt32? {
        guard count < records.count else { return nil }
        return (try object(records[count])["eip"] as? String).flatMap { UInt32($0.dropFirst(2), radix: 16) }
    }

    @Test func aTraceCutWithMaxStepsIsThePrefixOfTheFullTrace() throws {
        let full = Self.records(try Self.trace().standardOutput)
        let instructions = try Self.instructions(full)
        try #require(instructions.count == 2287)  // hlt sleeps through the PIT's quiet output edges
        for steps in try Self.cutPoints(instructions) {
            let cut = try Self.trace(maxSteps: steps)
            #expect(cut.status == (steps < instructions.count ? 3 : 0), "--max-steps \(steps)")
            let lines = try Self.lines(upTo: steps, of: full)
            #expect(Self.records(cut.standardOutput) == Array(full.prefix(lines)), "--max-steps \(steps)")
        }
    }

    @Test func anUntracedRunCutWithMaxStepsStopsInTheFullTracesState() throws {
        let full = Self.records(try Self.trace().standardOutput)
        let instructions = try Self.instructions(full)
        try #require(instructions.count == 2287)  // hlt sleeps through the PIT's quiet output edges
        // eip: see eip(after:of:).
        let names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eflags",
                     "cs", "ds", "es", "fs", "gs", "ss", "cr0"]
        for steps in try Self.cutPoints(instructions) {
            let run = try KstepProcess.run(["run", "--pc", "--final", "json", "--max-steps", String(steps), Self.image])
            #expect(run.status == (steps < instructions.count ? 3 : 0), "--max-steps \(steps)")
            let final = try Self.object(run.standardOutput)
            #expect(final["steps"] as? Int == steps)
            let got = try #require(final["registers"] as? [String: String])
            let lines = try Self.lines(upTo: steps, of: full)
            var want = try Self.registers(after: lines, of: full)
            want["eip"] = try Self.eip(after: lines, of: full)
            for name in names + (want["eip"] == nil ? [] : ["eip"]) {
                #expect(got[name].flatMap { UInt32($0.dropFirst(2), radix: 16) } == want[name],
                        "\(name) after \(steps) steps")
            }
        }
    }

    /// What the image's timer handler saw of its rep stosl of 4,096 iterations: with
    /// a tick every 3,352 ticks of device time, at least one falls due mid-way.
    @Test func theTimerInterruptsTheImagesRepStosl() throws {
        let run = try KstepProcess.run(["run", "--pc", "--final", "json", "--dump", "rep_interruptions:4",
                                        "--dump", "rep_ecx:4", Self.image])
        #expect(run.status == 0)
        let memory = try #require(try Self.object(run.standardOutput)["memory"] as? [[String: Any]])
        let words = memory.compactMap { ($0["hex"] as? String).flatMap { UInt32($0, radix: 16)?.byteSwapped } }
        try #require(words.count == 2)
        #expect(words[0] >= 1)
        #expect(words[1] > 0 && words[1] < 4096)
    }
}
