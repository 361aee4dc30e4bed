import I386

/// A stand-in for a PC's timer and interrupt controller: it raises INTR at
/// the device ticks it is given (or at once), answers each INTA with the
/// vectors in the order they fell due, and records every acknowledgement with
/// the CPU's time, instruction count and eip at that moment.
///
/// It is the machine's `interruptController` and `timeline`; INTR stays
/// asserted while any vector waits to be acknowledged.
final class ScriptedInterruptSource: InterruptAcknowledging, DeviceTimeline {
    /// One INTA cycle, as the CPU was when it asked.
    struct Acknowledgement: Equatable, CustomStringConvertible {
        var vector: UInt8
        var time: UInt64
        var instructionCount: UInt64
        var eip: UInt32

        var description: String {
            "vector 0x\(String(vector, radix: 16)) at time \(time), \(instructionCount) instructions, eip 0x\(String(eip, radix: 16))"
        }
    }

    private weak var machine: Machine?
    /// Vectors still to fall due, earliest first.
    private(set) var schedule: [(tick: UInt64, vector: UInt8?)] = []
    /// Vectors that fell due and wait for INTA, oldest first.
    private(set) var pending: [UInt8] = []
    private(set) var acknowledgements: [Acknowledgement] = []
    /// Every time the CPU brought device time forward (`advance(to:)`).
    private(set) var advances: [UInt64] = []

    /// Connects itself to `machine` as its interrupt controller and timeline.
    init(_ machine: Machine) {
        self.machine = machine
        machine.interruptController = self
        machine.timeline = self
    }

    /// `vector` falls due at device tick `tick` (see `CPUState.time`).
    func schedule(_ vector: UInt8, at tick: UInt64) {
        schedule.append((tick, vector))
        schedule.sort { $0.tick < $1.tick }
    }

    /// A device event at `tick` that requests no interrupt (a timer of the device's own).
    func scheduleQuietEvent(at tick: UInt64) {
        schedule.append((tick, nil))
        schedule.sort { $0.tick < $1.tick }
    }

    /// `vector` is requested now: INTR goes up at once, whatever the time.
    func raise(_ vector: UInt8) {
        pending.append(vector)
        machine?.setInterruptRequest(true)
    }

    // MARK: DeviceTimeline

    var nextDeadline: UInt64 { schedule.first?.tick ?? .max }

    func advance(to time: UInt64) {
        advances.append(time)
        while let next = schedule.first, next.tick <= time {
            schedule.removeFirst()
            if let vector = next.vector { pending.append(vector) }
        }
        if !pending.isEmpty { machine?.setInterruptRequest(true) }
    }

    // MARK: InterruptAcknowledging

    func acknowledgeInterrupt() -> UInt8? {
        guard !pending.isEmpty, let machine else { return nil }
        let vector = pending.removeFirst()
        acknowledgements.append(Acknowledgement(vector: vector, time: machine.time,
                                                instructionCount: machine.instructionCount, eip: machine.eip))
        if pending.isEmpty { machine.setInterruptRequest(false) }
        return vector
    }
}
