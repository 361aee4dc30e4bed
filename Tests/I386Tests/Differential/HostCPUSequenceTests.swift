import Foundation
import Testing

/// The host-CPU fuzz: random sequences of instructions (`SequenceGenerator.swift`)
/// run on the host CPU and in the interpreter must agree on every register,
/// every byte of the data window, and every EFLAGS bit the SDM defines at the
/// end of the sequence.
///
/// The suite runs a fixed-seed batch; `Scripts/fuzz --count N --seed S
/// --length L` runs longer campaigns through KSTEP_FUZZ_COUNT, KSTEP_FUZZ_SEED
/// and KSTEP_FUZZ_LENGTH (the most instructions in one sequence);
/// KSTEP_FUZZ_CASE runs only that case of the campaign (to reproduce one).
@Suite struct HostCPUSequenceTests {
    static let defaultCount = 600
    static let defaultSeed: UInt64 = 0x6B73_7465_7033
    static let defaultLength = 16

    @Test func sequencesAgreeWithTheHostCPU() throws {
        let (canRun, reason) = DifferentialHarness.hostRunsI386()
        guard canRun else {
            print("skipping the host-CPU fuzz: \(reason)")
            return
        }
        let environment = ProcessInfo.processInfo.environment
        let count = environment["KSTEP_FUZZ_COUNT"].flatMap { Int($0) } ?? Self.defaultCount
        let seed = environment["KSTEP_FUZZ_SEED"].flatMap { UInt64($0) } ?? Self.defaultSeed
        let length = max(1, environment["KSTEP_FUZZ_LENGTH"].flatMap { Int($0) } ?? Self.defaultLength)
        let only = environment["KSTEP_FUZZ_CASE"].flatMap { Int($0) }

        var generator = SnippetGenerator(seed: seed)
        var cases: [DifferentialCase] = []
        var labels: [String] = []
        for index in 0..<count {
            var caseLabels: [String] = []
            let item = generator.makeSequence(count: generator.int(1...length), labels: &caseLabels)
            guard only == nil || only == index else { continue }
            cases.append(item)
            labels += caseLabels
        }
        if let only {
            print("fuzz: case \(only) of seed \(seed):\n\(cases.first?.body ?? "(none)")")
        }

        let outcome = try DifferentialCampaign(cases: cases, batchSize: 800).run()
        var coverage: [String: Int] = [:]
        for label in labels { coverage[label.split(separator: "/").first.map(String.init) ?? label, default: 0] += 1 }
        let summary = coverage.keys.sorted().map { "\($0):\(coverage[$0] ?? 0)" }.joined(separator: " ")
        let readers = labels.filter(SnippetGenerator.readsFlags).count
        print("fuzz: \(cases.count) sequences, \(labels.count) instructions (\(readers) reading flags), "
              + "seed \(seed), length 1...\(length), \(outcome.disagreements) disagreements, \(coverage.count) mnemonics")
        print("coverage: \(summary)")
        for text in outcome.reports { print(text) }
        #expect(outcome.disagreements == 0, "\(outcome.disagreements) of \(cases.count) sequences disagree with the host CPU")
    }

    /// The generator's bookkeeping of undefined flags: a reader after an
    /// instruction that left flags undefined gets a defining `cmpl`; an
    /// instruction that writes all six flags replaces the undefined set; one
    /// that keeps some (inc keeps CF, a shift by 0 keeps all) adds to it.
    struct FlagCase: Sendable, CustomStringConvertible {
        /// Each instruction's label and the flags it defines.
        var steps: [(label: String, defined: UInt32)]
        /// Before which instructions a defining cmpl goes.
        var compares: [Bool]
        /// The flags undefined at the end.
        var atEnd: UInt32
        var description: String { steps.map(\.label).joined(separator: " ") }
    }

    static let flagCases: [FlagCase] = [
        FlagCase(steps: [("shl/l/imm/reg", Flag.all & ~Flag.of), ("adc/l/reg,reg", Flag.all)],
                 compares: [false, true], atEnd: 0),
        FlagCase(steps: [("and/l/reg,reg", Flag.all & ~Flag.af), ("add/l/reg,reg", Flag.all)],
                 compares: [false, false], atEnd: 0),
        FlagCase(steps: [("and/l/reg,reg", Flag.all & ~Flag.af), ("inc/l/reg", Flag.all)],
                 compares: [false, false], atEnd: Flag.af),
        FlagCase(steps: [("and/l/reg,reg", Flag.all & ~Flag.af), ("jne", Flag.all), ("mov/l/to-reg", Flag.all)],
                 compares: [false, true, false], atEnd: 0),
        FlagCase(steps: [("mul/l/reg", Flag.cf | Flag.of | Flag.df), ("shl/l/imm/reg", Flag.all)],
                 compares: [false, false], atEnd: Flag.sf | Flag.zf | Flag.af | Flag.pf),
        FlagCase(steps: [("bsf/l/reg", Flag.zf | Flag.df), ("setb", Flag.all), ("sbb/l/reg,reg", Flag.all)],
                 compares: [false, true, false], atEnd: 0),
        FlagCase(steps: [("cmpxchg8b", Flag.all), ("salc", Flag.all)], compares: [false, false], atEnd: 0),
    ]

    @Test(arguments: flagCases)
    func undefinedFlagsAreTrackedThroughTheSequence(_ flagCase: FlagCase) {
        var undefined = UndefinedFlags()
        var placed: [Bool] = []
        for step in flagCase.steps {
            placed.append(undefined.needsDefiningBefore(step.label))
            undefined.record(step.label, defined: step.defined)
        }
        #expect(placed == flagCase.compares)
        #expect(undefined.mask == flagCase.atEnd)
    }

    @Test func everySequenceComparesDFAndHasItsInstructions() {
        var generator = SnippetGenerator(seed: 7)
        var sawDefiningCompare = false
        for _ in 0..<300 {
            var labels: [String] = []
            let item = generator.makeSequence(count: 12, labels: &labels)
            #expect(item.definedFlags & Flag.df != 0)
            #expect(labels.count == 12)
            if item.body.contains("cmpl %") { sawDefiningCompare = true }
        }
        #expect(sawDefiningCompare)
    }
}
