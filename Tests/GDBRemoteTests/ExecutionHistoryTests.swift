import Foundation
@testable import GDBRemote
import I386
import Images
import PC
import Testing

/// Reverse execution on a PC taking timer interrupts: every position reached
/// by stepping back (and forward again) holds exactly the state forward
/// stepping had there — registers, memory, device time and deadlines — the
/// interrupts landing on the same instructions.
@Suite struct ExecutionHistoryTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/timer_irq.S").path

    struct Fingerprint: Equatable, CustomStringConvertible {
        var position: ExecutionPosition
        var registers: [UInt32]
        var time: UInt64
        var deviceDeadline: UInt64
        var isInterruptAsserted: Bool
        var memory: [UInt8]

        var description: String { "\(position) eip \(String(registers[8], radix: 16)) time \(time)" }
    }

    struct Program {
        let image: LoadedImage
        let platform: PCPlatform
        var machine: Machine { image.machine }

        init(ticks: UInt32) throws {
            var image = try ImageLoader.load(.file(ExecutionHistoryTests.fixture))
            image.attachPC()
            self.image = image
            guard let platform = image.platform else { throw CocoaError(.featureUnsupported) }
            self.platform = platform
            let limit = image.symbols.symbol(named: "tick_limit")?.value ?? 0
            try image.machine.write([UInt8(ticks), 0, 0, 0], at: limit)
        }

        func symbol(_ name: String) -> UInt32 { image.symbols.symbol(named: name)?.value ?? 0 }

        var fingerprint: Fingerprint {
            let data = symbol("tick_limit")
            let stack = (try? machine.read(0x015f_c000 - 64, count: 64)) ?? []
            return Fingerprint(position: machine.position, registers: Register.allCases.map { machine[$0] },
                               time: machine.time, deviceDeadline: platform.nextDeadline,
                               isInterruptAsserted: platform.interruptController.isOutputAsserted,
                               memory: ((try? machine.read(data, count: 20)) ?? []) + stack)
        }

        func history(interval: UInt64, dense: UInt64) -> ExecutionHistory {
            var configuration = ExecutionHistory.Configuration()
            configuration.interval = interval
            configuration.denseInterval = dense
            return ExecutionHistory(machine: machine, participants: [{ [platform] in
                let saved = platform.snapshot()
                return { platform.restore(saved) }
            }], configuration: configuration)
        }
    }

    /// Every position of a run and its state, by stepping forward one step at a time.
    static func reference(ticks: UInt32) throws -> [Fingerprint] {
        let program = try Program(ticks: ticks)
        var states = [program.fingerprint]
        var stepping = SteppingObserver(inner: NoObserver())
        while true {
            stepping.requestedStop = false
            let reason = program.machine.run(maxSteps: 1, until: nil, observer: &stepping)
            if stepping.requestedStop && reason != .stopRequested { program.machine.cancelStopRequest() }
            states.append(program.fingerprint)
            if reason == .halted { break }
            if states.count > 1_000_000 { throw CocoaError(.fileReadTooLarge) }
        }
        return states
    }

    @Test func steppingBackAcrossTheLastInterruptsGivesForwardSteppingsStates() throws {
        let reference = try Self.reference(ticks: 3)
        #expect(reference.last?.position.interruptions == 3)
        let program = try Program(ticks: 3)
        let history = program.history(interval: 20_000, dense: 2_000)
        var none = NoObserver()
        #expect(history.run(limit: nil, until: nil, observer: &none) == .halted)
        #expect(program.fingerprint == reference.last)
        var index = reference.count - 1
        for _ in 0..<200 {
            #expect(history.stepBack() == .stopped(nil))
            index -= 1
            guard program.fingerprint == reference[index] else {
                Issue.record("after stepping back to \(reference[index]): \(program.fingerprint)")
                return
            }
        }
        // Forward again to the end, step by step for a while, then at full speed.
        for _ in 0..<50 {
            _ = history.step(observer: &none)
            index += 1
            #expect(program.fingerprint == reference[index])
        }
        #expect(history.run(limit: nil, until: nil, observer: &none) == .halted)
        #expect(program.fingerprint == reference.last)
    }

    @Test func reverseContinueToTheHandlerAndAcrossTheDelivery() throws {
        let reference = try Self.reference(ticks: 3)
        let byPosition = Dictionary(reference.map { ($0.position, $0) }, uniquingKeysWith: { first, _ in first })
        let program = try Program(ticks: 3)
        let history = program.history(interval: 50_000, dense: 5_000)
        var none = NoObserver()
        #expect(history.run(limit: nil, until: nil, observer: &none) == .halted)
        let timer = program.symbol("timer")
        program.machine.breakpoints = [timer]
        // Back to the third tick's handler, then the second's.
        #expect(history.continueBack() == .stopped(.breakpoint(timer)))
        #expect(program.machine.position.interruptions == 3)
        #expect(program.fingerprint == byPosition[program.machine.position])
        #expect(history.continueBack() == .stopped(.breakpoint(timer)))
        #expect(program.machine.position.interruptions == 2)
        let handler = program.fingerprint
        #expect(handler == byPosition[program.machine.position])
        // One step back: before the delivery, in the main loop.
        #expect(history.stepBack() == .stopped(nil))
        #expect(program.machine.position.interruptions == 1)
        #expect(program.machine.eip != timer)
        #expect(program.fingerprint == byPosition[program.machine.position])
        // Forward: the same interrupt at the same instruction.
        #expect(history.step(observer: &none) == nil)
        #expect(program.fingerprint == handler)
        // Past the first tick to the beginning, then all the way forward.
        #expect(history.continueBack() == .stopped(.breakpoint(timer)))
        #expect(history.continueBack() == .beginning)
        #expect(program.fingerprint == reference.first)
        program.machine.breakpoints = []
        #expect(history.run(limit: nil, until: nil, observer: &none) == .halted)
        #expect(program.fingerprint == reference.last)
    }

    @Test func watchpointGoingBackStopsBeforeTheWrite() throws {
        let program = try Program(ticks: 2)
        let history = program.history(interval: 30_000, dense: 3_000)
        var none = NoObserver()
        #expect(history.run(limit: nil, until: nil, observer: &none) == .halted)
        let lastWork = program.symbol("last_work")
        let final = try program.machine.word(at: lastWork)
        program.machine.watchpoints = [Watchpoint(address: lastWork, length: 4, kind: .write)]
        guard case .stopped(.watchpoint(let hit)?) = history.continueBack() else {
            Issue.record("no watchpoint going back")
            return
        }
        // Stopped before the handler's store: the value is the first tick's.
        #expect(program.machine.eip == hit.instructionAddress)
        #expect(try program.machine.word(at: lastWork) != final)
        #expect(hit.newBytes == [UInt8(final & 0xFF), UInt8(final >> 8 & 0xFF), UInt8(final >> 16 & 0xFF), UInt8(final >> 24)])
        #expect(program.machine.watchpoints.count == 1)
    }
}
