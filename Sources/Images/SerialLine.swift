import I386
import PC

/// COM1 of a PC with a program at the other end instead of a person: what the
/// guest transmits is collected; input is handed to the UART only once the
/// guest enabled its receive interrupt (a driver's set-up usually reads and
/// drops what it finds in the receiver first), looked for every
/// `pollInterval` of device time, so it enters at an instruction boundary the
/// device clock chose; and the run can stop when the output ends with a text.
/// `kstep run`'s console and `kstep test`'s expectations both use it.
///
/// The line polls only while input may still come: a fixed script stops
/// polling once the UART has it, and a line with no input never polls, so a
/// guest idling in `hlt` with nothing else scheduled ends its run (`hlt`)
/// instead of being woken by the line's own timer.
public final class SerialLine {
    /// Where COM1's input comes from.
    public enum Input {
        /// Nothing: the line never polls.
        case none
        /// A fixed script, handed over at the first poll that finds the receiver ready.
        case script([UInt8])
        /// A live source (a terminal, a pipe), asked at every poll once the receiver is ready.
        case live(() -> [UInt8])
    }

    /// Everything the guest transmitted.
    public private(set) var transmitted: [UInt8] = []
    /// True once the output ended with the stop text (the run was then asked to stop).
    public private(set) var sawStopText = false
    /// True while the guest re-runs instructions it ran before (a debugger stepping
    /// back and forward again): what it transmits then was seen already, and what
    /// it receives is what it received the first time.
    public var isReplaying: () -> Bool = { false }
    /// Input handed to the UART, by the device time of the poll that handed it over.
    private var receivedInput: [UInt64: [UInt8]] = [:]

    /// How often input is looked for, in nanoseconds of device time.
    public static let pollInterval: UInt64 = 1_000_000

    private let platform: PCPlatform
    private var input: Input
    private let afterPoll: (SerialLine) -> Void

    /// Connects COM1 of `platform`. `afterTransmit` sees each byte after it was
    /// collected; `afterPoll` runs at the end of every poll.
    public init(platform: PCPlatform, machine: Machine, input: Input, stopText: String? = nil,
                afterTransmit: @escaping (SerialLine) -> Void = { _ in },
                afterPoll: @escaping (SerialLine) -> Void = { _ in }) {
        self.platform = platform
        self.input = input
        self.afterPoll = afterPoll
        let stopBytes = stopText.map { Array($0.utf8) } ?? []
        // Weak: a line dropped before its machine runs (a second load for a check) must not be reached.
        platform.serialPort.output = { [weak self, unowned machine] byte in
            guard let self, !self.isReplaying() else { return }
            self.transmitted.append(byte)
            afterTransmit(self)
            if !stopBytes.isEmpty && byte == stopBytes.last && self.transmitted.count >= stopBytes.count
                && self.transmitted.suffix(stopBytes.count).elementsEqual(stopBytes) {
                self.sawStopText = true
                machine.requestStop()
            }
        }
        if case .none = input { return }
        schedulePoll()
    }

    private func schedulePoll() {
        _ = platform.clock.schedule(after: Self.pollInterval) { [weak self] in
            guard let self else { return }
            let now = self.platform.clock.now
            if self.isReplaying() {
                if let bytes = self.receivedInput[now] { self.platform.serialPort.receive(bytes) }
                self.schedulePoll()
                return
            }
            var more = true
            if self.platform.serialPort.isReceiveInterruptEnabled {
                let bytes: [UInt8]
                switch self.input {
                case .none: bytes = []; more = false
                case .script(let script): bytes = script; self.input = .none; more = false
                case .live(let source): bytes = source()
                }
                if !bytes.isEmpty {
                    self.receivedInput[now] = bytes
                    self.platform.serialPort.receive(bytes)
                }
            }
            self.afterPoll(self)
            if more { self.schedulePoll() }
        }
    }
}
