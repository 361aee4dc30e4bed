import Foundation
import Testing

/// Random snippets run on the host CPU and in the interpreter must agree on
/// every register, every byte of the data window, and every EFLAGS bit the
/// SDM defines after the instruction.
///
/// The suite runs a fixed-seed batch; `Scripts/difftest --count N --seed S`
/// runs longer campaigns through KSTEP_DIFF_COUNT and KSTEP_DIFF_SEED.
@Suite struct HostCPUDifferentialTests {
    static let defaultCount = 6000
    static let defaultSeed: UInt64 = 0x6B73_7465_7031

    @Test func interpreterAgreesWithTheHostCPU() throws {
        let (canRun, reason) = DifferentialHarness.hostRunsI386()
        guard canRun else {
            print("skipping the host-CPU differential test: \(reason)")
            return
        }
        let environment = ProcessInfo.processInfo.environment
        let count = environment["KSTEP_DIFF_COUNT"].flatMap { Int($0) } ?? Self.defaultCount
        let seed = environment["KSTEP_DIFF_SEED"].flatMap { UInt64($0) } ?? Self.defaultSeed

        var generator = SnippetGenerator(seed: seed)
        let families = SnippetGenerator.families
        var cases: [DifferentialCase] = []
        for index in 0..<count {
            cases.append(generator.makeCase(family: families[index % families.count]))
        }

        let outcome = try DifferentialCampaign(cases: cases).run()
        var coverage: [String: Int] = [:]
        for item in cases {
            coverage[item.label.split(separator: "/").first.map(String.init) ?? item.label, default: 0] += 1
        }
        let summary = coverage.keys.sorted().map { "\($0):\(coverage[$0] ?? 0)" }.joined(separator: " ")
        print("differential: \(count) snippets, seed \(seed), \(outcome.disagreements) disagreements, \(coverage.count) mnemonics")
        print("coverage: \(summary)")
        for text in outcome.reports { print(text) }
        #expect(outcome.disagreements == 0, "\(outcome.disagreements) of \(count) snippets disagree with the host CPU")
    }
}
