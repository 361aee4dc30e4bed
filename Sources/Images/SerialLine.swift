import I386
import PC

/// COM1 of a PC with a program at the other end instead of a person: what the
/// guest transmits is collected; input is handed to the UART only once the
/// guest enabled its receive interrupt (a driver's set-up usually reads and
/// drops what it finds in the receiver first), looked for every
/// `pollInterval` of device time, so it enters at an instruction boundary the
/// device clock chose; and the run can stop when the output ends with a text.
/// `kstep run`'s console and `kstep test`'s expectations both use it.
public final class SerialLine {
    /// Everything the guest transmitted.
    public private(set) var transmitted: [UInt8] = []
    /// True once the output ended with the stop text (the run was then asked to stop).
    public private(set) var sawStopText = false

    /// How often input is looked for, in nanoseconds of device time.
    public static let pollInterval: UInt64 = 1_000_000

    private let platform: PCPlatform
    private let input: () -> [UInt8]
    private let afterPoll: (SerialLine) -> Void

    /// Connects COM1 of `platform`. `input` is asked for bytes at every poll once the
    /// receiver is ready; `afterTransmit` sees each byte after it was collected;
    /// `afterPoll` runs at the end of every poll.
    public init(platform: PCPlatform, machine: Machine, stopText: String? = nil,
                input: @escaping () -> [UInt8], afterTransmit: @escaping (SerialLine) -> Void = { _ in },
                afterPoll: @escaping (SerialLine) -> Void = { _ in }) {
        self.platform = platform
        self.input = input
        self.afterPoll = afterPoll
        let stopBytes = stopText.map { Array($0.utf8) } ?? []
        // Weak: a line dropped before its machine runs (a second load for a check) must not be reached.
        platform.serialPort.output = { [weak self, unowned machine] byte in
            guard let self else { return }
            self.transmitted.append(byte)
            afterTransmit(self)
            if !stopBytes.isEmpty && byte == stopBytes.last && self.transmitted.count >= stopBytes.count
                && self.transmitted.suffix(stopBytes.count).elementsEqual(stopBytes) {
                self.sawStopText = true
                machine.requestStop()
            }
        }
        schedulePoll()
    }

    /// A line fed from a fixed script: all of `script`, paced by the UART at the line's speed.
    public convenience init(platform: PCPlatform, machine: Machine, script: [UInt8], stopText: String? = nil) {
        var pending = script
        self.init(platform: platform, machine: machine, stopText: stopText, input: {
            defer { pending.removeAll() }
            return pending
        })
    }

    private func schedulePoll() {
        _ = platform.clock.schedule(after: Self.pollInterval) { [weak self] in
            guard let self else { return }
            if self.platform.serialPort.isReceiveInterruptEnabled {
                let bytes = self.input()
                if !bytes.isEmpty { self.platform.serialPort.receive(bytes) }
            }
            self.afterPoll(self)
            self.schedulePoll()
        }
    }
}
