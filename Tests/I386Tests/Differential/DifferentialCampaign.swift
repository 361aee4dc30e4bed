import Foundation

/// Runs differential cases natively and in the interpreter, in batches that
/// keep each generated source a manageable size, and collects the cases that
/// disagree: any register, any window byte, or an EFLAGS bit in the case's
/// `definedFlags`.
struct DifferentialCampaign {
    let cases: [DifferentialCase]
    var batchSize = 4000
    /// How many disagreements are described in full.
    var reportLimit = 25

    struct Outcome {
        var disagreements = 0
        /// Descriptions of the first `reportLimit` disagreements.
        var reports: [String] = []
    }

    /// Runs every case; `KSTEP_DIFF_KEEP` keeps the generated sources and executables.
    func run() throws -> Outcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let keep = ProcessInfo.processInfo.environment["KSTEP_DIFF_KEEP"] != nil
        defer { if !keep { try? FileManager.default.removeItem(at: directory) } }
        if keep { print("differential: keeping \(directory.path)") }

        var outcome = Outcome()
        for start in stride(from: 0, to: cases.count, by: batchSize) {
            let batch = Array(cases[start..<min(start + batchSize, cases.count)])
            let harness = DifferentialHarness(cases: batch)
            let elf = try harness.build(in: directory)
            let native = try harness.runNatively(elf, in: directory)
            let emulated = try harness.runInterpreter(elf)
            for (offset, item) in batch.enumerated() {
                let expected = native[offset]
                let actual = emulated[offset]
                let mask = item.definedFlags
                guard expected.registers != actual.registers || expected.window != actual.window
                        || (expected.eflags & mask) != (actual.eflags & mask) else { continue }
                outcome.disagreements += 1
                if outcome.reports.count < reportLimit {
                    outcome.reports.append(Self.report(case: item, index: start + offset, expected: expected, actual: actual))
                }
            }
        }
        return outcome
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
