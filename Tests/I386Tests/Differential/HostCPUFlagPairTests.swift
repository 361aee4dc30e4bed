import Foundation
import Testing

/// Setter→reader pairs (`FlagPairs.swift`) run on the host CPU and in the
/// interpreter: a flag-setting instruction, sometimes an instruction that
/// keeps or partly replaces the flags, then jcc, setcc, cmovcc, adc/sbb,
/// pushf, lahf, rcl/rcr, loope/loopne or a BCD adjustment consuming them.
/// kstep evaluates flags lazily, so this compares the flags as the reader
/// computes them from the pending state, not only the final EFLAGS.
///
/// The suite runs a fixed-seed batch; `Scripts/difftest --pairs N --seed S`
/// runs longer campaigns through KSTEP_PAIR_COUNT and KSTEP_PAIR_SEED.
@Suite struct HostCPUFlagPairTests {
    static let defaultCount = 4000
    static let defaultSeed: UInt64 = 0x6B73_7465_7032

    @Test func flagReadersAgreeWithTheHostCPU() throws {
        let (canRun, reason) = DifferentialHarness.hostRunsI386()
        guard canRun else {
            print("skipping the host-CPU flag-pair test: \(reason)")
            return
        }
        let environment = ProcessInfo.processInfo.environment
        let count = environment["KSTEP_PAIR_COUNT"].flatMap { Int($0) } ?? Self.defaultCount
        let seed = environment["KSTEP_PAIR_SEED"].flatMap { UInt64($0) } ?? Self.defaultSeed

        var generator = SnippetGenerator(seed: seed)
        let families = SnippetGenerator.flagPairFamilies
        var cases: [DifferentialCase] = []
        for index in 0..<count {
            cases.append(generator.makeCase(family: families[index % families.count]))
        }

        let outcome = try DifferentialCampaign(cases: cases).run()
        let coverage = PairCoverage(cases)
        print("flag pairs: \(count) pairs, seed \(seed), \(outcome.disagreements) disagreements, "
              + "\(coverage.setters.count) setters × \(coverage.readers.count) readers, "
              + "\(coverage.combinations.count) setter→reader combinations, "
              + "\(coverage.conditions.count) of 16 conditions")
        print("setters: \(PairCoverage.summary(coverage.setters))")
        print("between: \(PairCoverage.summary(coverage.middles))")
        print("readers: \(PairCoverage.summary(coverage.readers))")
        print("conditions read: \(PairCoverage.summary(coverage.conditions))")
        for text in outcome.reports { print(text) }
        #expect(outcome.disagreements == 0, "\(outcome.disagreements) of \(count) pairs disagree with the host CPU")
    }
}

/// What a batch of pairs covered, from their labels ("setter/… | middle | reader/…").
struct PairCoverage {
    var setters: [String: Int] = [:]
    var middles: [String: Int] = [:]
    var readers: [String: Int] = [:]
    /// jcc, setcc and cmovcc by the condition they evaluate.
    var conditions: [String: Int] = [:]
    var combinations: Set<String> = []

    init(_ cases: [DifferentialCase]) {
        for item in cases {
            let parts = item.label.components(separatedBy: " | ")
            guard parts.count == 3 else { continue }
            let setter = parts[0].split(separator: "/").first.map(String.init) ?? parts[0]
            let reader = parts[2].split(separator: "/").first.map(String.init) ?? parts[2]
            setters[setter, default: 0] += 1
            middles[parts[1], default: 0] += 1
            readers[reader, default: 0] += 1
            combinations.insert(setter + ">" + reader)
            for prefix in ["cmov", "set", "j"] where reader.hasPrefix(prefix) {
                let condition = String(reader.dropFirst(prefix.count))
                let canonical = ["c": "b", "nc": "ae"][condition] ?? condition
                if SnippetGenerator.conditions.contains(where: { $0.name == canonical }) {
                    conditions[canonical, default: 0] += 1
                }
                break
            }
        }
    }

    static func summary(_ counts: [String: Int]) -> String {
        counts.keys.sorted().map { "\($0):\(counts[$0] ?? 0)" }.joined(separator: " ")
    }
}
