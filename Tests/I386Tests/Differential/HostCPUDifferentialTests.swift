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

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let keep = environment["KSTEP_DIFF_KEEP"] != nil
        defer { if !keep { try? FileManager.default.removeItem(at: directory) } }
        if keep { print("differential: keeping \(directory.path)") }

        // Batches keep each generated source a manageable size.
        let batchSize = 4000
        var mismatches: [String] = []
        var mismatchCount = 0
        var coverage: [String: Int] = [:]
        for start in stride(from: 0, to: cases.count, by: batchSize) {
            let batch = Array(cases[start..<min(start + batchSize, cases.count)])
            let harness = DifferentialHarness(cases: batch)
            let elf = try harness.build(in: directory)
            let native = try harness.runNatively(elf, in: directory)
            let emulated = try harness.runInterpreter(elf)
            for (offset, item) in batch.enumerated() {
                coverage[item.label.split(separator: "/").first.map(String.init) ?? item.label, default: 0] += 1
                let expected = native[offset]
                let actual = emulated[offset]
                let mask = item.definedFlags
                guard expected.registers != actual.registers || expected.window != actual.window
                        || (expected.eflags & mask) != (actual.eflags & mask) else { continue }
                mismatchCount += 1
                if mismatches.count < 25 {
                    mismatches.append(Self.report(case: item, index: start + offset, expected: expected, actual: actual))
                }
            }
        }
        let summary = coverage.keys.sorted().map { "\($0):\(coverage[$0] ?? 0)" }.joined(separator: " ")
        print("differential: \(count) snippets, seed \(seed), \(mismatchCount) disagreements, \(coverage.count) mnemonics")
        print("coverage: \(summary)")
        for text in mismatches { print(text) }
        #expect(mismatchCount == 0, "\(mismatchCount) of \(count) snippets disagree with the host CPU")
    }

    static func report(case item: DifferentialCase, index: Int, expected: DifferentialState,
                       actual: DifferentialState) -> String {
        var lines = ["--- case \(index) [\(item.label)]", item.body]
        let names = DifferentialLayout.registerNames
        lines.append("  in:  " + zip(names, item.registers).map { "\($0)=\(hex($1))" }.joined(separator: " ")
                     + " eflags=\(hex(item.eflags))")
        for slot in 0..<8 where expected.registers[slot] != actual.registers[slot] {
            lines.append("  \(names[slot]): host \(hex(expected.registers[slot])) kstep \(hex(actual.registers[slot]))")
        }
        let mask = item.definedFlags
        if expected.eflags & mask != actual.eflags & mask {
            lines.append("  eflags (mask \(hex(mask))): host \(hex(expected.eflags & mask)) kstep \(hex(actual.eflags & mask))")
        }
        for offset in 0..<expected.window.count where expected.window[offset] != actual.window[offset] {
            lines.append("  window+\(offset): host \(expected.window[offset]) kstep \(actual.window[offset])")
            break
        }
        return lines.joined(separator: "\n")
    }

    static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}
