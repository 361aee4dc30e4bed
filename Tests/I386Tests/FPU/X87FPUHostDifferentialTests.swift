import Foundation
import I386
import Testing

/// Random x87 sequences, under random control words and from random states,
/// run natively on the host CPU, through `X87State`, and as the same
/// executable through the interpreter, must agree bit for bit: every
/// register, TOP, the tags, the status and control words (after every
/// instruction and at the end), EFLAGS after fcomi/fucomi and fnstsw+sahf,
/// and every byte the sequence stores. Through `X87State` the
/// last-instruction pointers are left out (it is given none); through the
/// interpreter they are compared too (FCS:FIP, FOP, FDS:FDP in every fnsave,
/// fnstenv and fxsave image), and EFLAGS whole after every instruction.
///
/// KSTEP_X87_COUNT and KSTEP_X87_SEED run other campaigns.
@Suite struct X87FPUHostDifferentialTests {
    static let defaultCount = 4000
    static let defaultSeed: UInt64 = 0x7838_3766_7075
    static let exceptionNames = ["IE", "DE", "ZE", "OE", "UE", "PE"]

    @Test func x87StateAndTheInterpreterAgreeWithTheHostFPU() throws {
        let (canRun, reason) = DifferentialHarness.hostRunsI386()
        guard canRun else {
            print("skipping the x87 host differential test: \(reason)")
            return
        }
        let environment = ProcessInfo.processInfo.environment
        let count = environment["KSTEP_X87_COUNT"].flatMap { Int($0) } ?? Self.defaultCount
        let seed = environment["KSTEP_X87_SEED"].flatMap { UInt64($0) } ?? Self.defaultSeed
        var generator = X87SequenceGenerator(seed: seed)
        let cases = (0..<count).map { _ in generator.makeCase() }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-x87-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var mismatches: [String] = []
        var mismatchCount = 0
        var interpreterMismatchCount = 0
        var vendorSpecific = 0
        var hostRunsDiffered = 0
        var executed: [String: Int] = [:]
        var modes: [String: Int] = [:]
        var stoppedByPendingException = 0
        var stackFaults = 0
        var exceptions: [String: Int] = [:]
        var withoutStackFault = 0
        var instructions = 0
        let batchSize = 1500
        for start in stride(from: 0, to: cases.count, by: batchSize) {
            let batch = Array(cases[start..<min(start + batchSize, cases.count)])
            let harness = X87DifferentialHarness(cases: batch)
            let elf = try harness.build(in: directory)
            let native = try harness.runNatively(elf, in: directory)
            let interpreted = try harness.runInterpreter(elf)
            for (offset, item) in batch.enumerated() {
                var host = native[offset]
                var throughInterpreter = interpreted[offset]
                let kstep = try X87DifferentialHarness.runThroughX87State(item)
                if kstep.reachesVendorSpecificBehaviour {
                    vendorSpecific += 1
                    continue
                }
                if !X87DifferentialHarness.differences(item, host: host, kstep: throughInterpreter,
                                                       throughInterpreter: true).isEmpty {
                    // The kernel saves and restores a preempted process's FPU with
                    // fxsave/xsave, which on AMD zero FIP, FDP and FOP: run the case
                    // once more, alone (natively and in the interpreter: the
                    // addresses change), before calling a difference a difference.
                    let again = X87DifferentialHarness(cases: [item])
                    let elf = try again.build(in: directory)
                    host = try again.runNatively(elf, in: directory)[0]
                    throughInterpreter = try again.runInterpreter(elf)[0]
                    hostRunsDiffered += 1
                }
                var control = UInt16(item.image[0]) | UInt16(item.image[1]) << 8
                for (step, entry) in item.steps.prefix(host.steps).enumerated() {
                    executed[entry.instruction.mnemonic, default: 0] += 1
                    let rounding = ["RN", "RD", "RU", "RZ"][Int(control >> 10) & 3]
                    let precision = ["PC24", "PC??", "PC53", "PC64"][Int(control >> 8) & 3]
                    modes[rounding + "/" + precision, default: 0] += 1
                    let before = step == 0 ? UInt16(item.image[4]) : host.statusWords[step - 1]
                    let raised = host.statusWords[step] & ~before & 0x3F
                    for (bit, name) in Self.exceptionNames.enumerated() where raised & (1 << bit) != 0 {
                        let unmasked = host.statusWords[step] & 0x80 != 0 && before & 0x80 == 0
                        exceptions[name + (unmasked ? "(unmasked)" : ""), default: 0] += 1
                    }
                    if host.statusWords[step] & 0x40 != 0 {
                        if before & 0x40 == 0 { stackFaults += 1 }
                    } else {
                        withoutStackFault += 1
                    }
                    if case .loadControlWord = entry.instruction {
                        control = UInt16(item.memory[entry.offset]) | UInt16(item.memory[entry.offset + 1]) << 8
                    }
                }
                instructions += host.steps
                if host.statusWords.last.map({ $0 & 0x80 != 0 }) ?? false { stoppedByPendingException += 1 }
                let differences = X87DifferentialHarness.differences(item, host: host, kstep: kstep)
                let interpreterDifferences = X87DifferentialHarness.differences(item, host: host, kstep: throughInterpreter,
                                                                                throughInterpreter: true)
                if !differences.isEmpty { mismatchCount += 1 }
                if !interpreterDifferences.isEmpty { interpreterMismatchCount += 1 }
                guard !differences.isEmpty || !interpreterDifferences.isEmpty else { continue }
                if mismatches.count < 40 {
                    mismatches.append((["--- x87 case \(start + offset)", X87DifferentialHarness.describe(case: item)]
                                       + differences.map { "  ! X87State: " + $0 }
                                       + interpreterDifferences.map { "  ! interpreter: " + $0 }).joined(separator: "\n"))
                }
            }
        }
        print("x87 differential: \(count) sequences, seed \(seed), \(instructions) instructions, "
              + "\(mismatchCount) disagreements through X87State, \(interpreterMismatchCount) through the interpreter, "
              + "\(executed.count) instruction forms, "
              + "\(stoppedByPendingException) stopped at an unmasked exception, "
              + "\(withoutStackFault) steps certainly without a stack fault (SF clear), \(stackFaults) that set SF")
        print("x87 differential: \(vendorSpecific) sequences left out for reaching fstp1 with ST(0) empty "
              + "(AMD's fstpnce), \(hostRunsDiffered) run a second time, alone, after a difference "
              + "(a preempted native run loses its FPU pointers)")
        print("x87 modes: " + modes.keys.sorted().map { "\($0):\(modes[$0] ?? 0)" }.joined(separator: " "))
        print("x87 exceptions newly raised: " + exceptions.keys.sorted().map { "\($0):\(exceptions[$0] ?? 0)" }.joined(separator: " "))
        print("x87 coverage: " + executed.keys.sorted().map { "\($0):\(executed[$0] ?? 0)" }.joined(separator: " "))
        for text in mismatches { print(text) }
        #expect(mismatchCount == 0, "\(mismatchCount) of \(count) x87 sequences disagree with the host FPU (X87State)")
        #expect(interpreterMismatchCount == 0,
                "\(interpreterMismatchCount) of \(count) x87 sequences disagree with the host FPU (interpreter)")
    }
}
