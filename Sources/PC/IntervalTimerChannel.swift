/// One counter of the 8254: its control word, count register, latches and the
/// count and OUT as functions of the input clock's tick number.
///
/// The counting element is not stepped: counting starts at a tick (`startTick`)
/// and the count and OUT at any later tick follow from the mode. A new count
/// takes effect at once and restarts the period (a real 8254 waits for the end
/// of the period in modes 2 and 3, and for the next trigger in modes 1 and 5).
struct IntervalTimerChannel {
    /// How the count is read and written (the control word's RW bits).
    enum Access: UInt8 {
        case latchCommand = 0, lowByte = 1, highByte = 2, lowThenHighByte = 3
    }

    /// The control word's mode bits as written (0–7; 6 and 7 act as 2 and 3).
    private(set) var modeBits: UInt8 = 0
    private(set) var access: Access = .lowThenHighByte
    private(set) var isBCD = false
    /// The gate input: channels 0 and 1 have theirs tied high on a PC.
    private(set) var gate: Bool

    /// N, the count loaded: 1…65536 (1…10000 in BCD; larger if the BCD digits were not decimal).
    private var count: UInt64 = 65_536
    /// Whether the counting element is running a count (loaded, and triggered in modes 1 and 5).
    private var isCounting = false
    /// Whether a count is loaded and waiting for a gate trigger (modes 1 and 5).
    private var isWaitingForTrigger = false
    private var startTick: UInt64 = 0
    /// Elapsed ticks frozen while the gate is low in modes 0 and 4 (counting suspended).
    private var suspendedElapsed: UInt64?
    private var isNullCount = false
    /// OUT while not counting: low after a mode 0 control word, high after any other; low at power-on.
    private var idleOutput = false

    private var pendingLowByte: UInt8?
    private var readsHighByteNext = false
    private var latchedStatus: UInt8?
    private var latchedCountBytes: [UInt8] = []

    init(gate: Bool) {
        self.gate = gate
    }

    /// The mode the counter runs in (0–5).
    var mode: UInt8 { modeBits >= 6 ? modeBits - 4 : modeBits }

    // MARK: - Programming

    /// A control word for this counter (RW ≠ 0): resets the counter to the new mode's initial OUT.
    mutating func writeControlWord(_ value: UInt8) {
        access = Access(rawValue: (value >> 4) & 3) ?? .lowThenHighByte
        modeBits = (value >> 1) & 7
        isBCD = value & 1 != 0
        isCounting = false
        isWaitingForTrigger = false
        suspendedElapsed = nil
        isNullCount = true
        idleOutput = mode != 0
        pendingLowByte = nil
        readsHighByteNext = false
        latchedStatus = nil
        latchedCountBytes = []
    }

    /// A byte written to the counter's port, per the access mode.
    mutating func writeCountByte(_ value: UInt8, atTick tick: UInt64) {
        switch access {
        case .lowByte:
            load(UInt16(value), atTick: tick)
        case .highByte:
            load(UInt16(value) << 8, atTick: tick)
        case .lowThenHighByte, .latchCommand:
            if let low = pendingLowByte {
                pendingLowByte = nil
                load(UInt16(value) << 8 | UInt16(low), atTick: tick)
            } else {
                pendingLowByte = value
                // Mode 0: writing the first byte stops the count and drives OUT low at once.
                if mode == 0 { isCounting = false; idleOutput = false }
            }
        }
    }

    /// The counter latch command: the first latch holds until read; later ones are ignored.
    mutating func latchCount(atTick tick: UInt64) {
        guard latchedCountBytes.isEmpty else { return }
        let value = countRegister(atTick: tick)
        let low = UInt8(truncatingIfNeeded: value), high = UInt8(truncatingIfNeeded: value >> 8)
        switch access {
        case .lowByte: latchedCountBytes = [low]
        case .highByte: latchedCountBytes = [high]
        case .lowThenHighByte, .latchCommand: latchedCountBytes = [low, high]
        }
    }

    /// Read-back's status latch: OUT, null count and the control word's low six bits.
    mutating func latchStatus(atTick tick: UInt64) {
        guard latchedStatus == nil else { return }
        var status = access.rawValue << 4 | modeBits << 1 | (isBCD ? 1 : 0)
        if output(atTick: tick) { status |= 0x80 }
        if isNullCount { status |= 0x40 }
        latchedStatus = status
    }

    /// A read of the counter's port: a latched status, then a latched count, else the live count.
    mutating func readByte(atTick tick: UInt64) -> UInt8 {
        if let status = latchedStatus {
            latchedStatus = nil
            return status
        }
        if !latchedCountBytes.isEmpty {
            return latchedCountBytes.removeFirst()
        }
        let value = countRegister(atTick: tick)
        switch access {
        case .lowByte:
            return UInt8(truncatingIfNeeded: value)
        case .highByte:
            return UInt8(truncatingIfNeeded: value >> 8)
        case .lowThenHighByte, .latchCommand:
            let readsHighByte = readsHighByteNext
            readsHighByteNext.toggle()
            return UInt8(truncatingIfNeeded: readsHighByte ? value >> 8 : value)
        }
    }

    /// Drives the gate input. Modes 0 and 4 suspend counting while it is low; modes 2
    /// and 3 stop with OUT high and restart on the rising edge; modes 1 and 5 trigger on it.
    mutating func setGate(_ level: Bool, atTick tick: UInt64) {
        guard level != gate else { return }
        gate = level
        switch mode {
        case 0, 4:
            if level {
                if let elapsed = suspendedElapsed {
                    startTick = tick &- elapsed
                    suspendedElapsed = nil
                }
            } else if isCounting {
                suspendedElapsed = elapsed(atTick: tick)
            }
        case 1, 5:
            if level, isCounting || isWaitingForTrigger {
                isWaitingForTrigger = false
                isCounting = true
                isNullCount = false
                startTick = tick
            }
        default:  // 2, 3
            if level, isCounting { startTick = tick }
        }
    }

    private mutating func load(_ written: UInt16, atTick tick: UInt64) {
        count = isBCD ? Self.decimal(fromBCD: written) : UInt64(written)
        if count == 0 { count = isBCD ? 10_000 : 65_536 }
        startTick = tick
        suspendedElapsed = nil
        switch mode {
        case 1, 5:
            isWaitingForTrigger = true  // counting starts at the next rising edge of the gate
        case 0, 4:
            isCounting = true
            isNullCount = false
            if !gate { suspendedElapsed = 0 }
        default:
            isCounting = true
            isNullCount = false
        }
    }

    // MARK: - Count and OUT

    /// Ticks counted since counting started (frozen while suspended).
    private func elapsed(atTick tick: UInt64) -> UInt64 {
        suspendedElapsed ?? (tick &- startTick)
    }

    /// Whether counting is stopped by a low gate in modes 2 and 3 (OUT high, count held).
    private var isHeldByGate: Bool { !gate && (mode == 2 || mode == 3) }

    /// The counting element as the port shows it: 16-bit binary, or four BCD digits.
    func countRegister(atTick tick: UInt64) -> UInt16 {
        let modulus: UInt64 = isBCD ? 10_000 : 65_536
        guard isCounting, !isHeldByGate else { return isBCD ? Self.bcd(count % modulus) : UInt16(truncatingIfNeeded: count) }
        let elapsed = elapsed(atTick: tick)
        let value: UInt64
        switch mode {
        case 2:
            value = count - elapsed % count
        case 3:
            // Decrements by two each tick, twice per period; the low bit reads 0 (as QEMU shows it).
            value = (count - (2 * (elapsed % count)) % count) & ~1
        default:  // 0, 1, 4, 5: down from N, wrapping after the terminal count
            value = (count &+ modulus &- elapsed % modulus) % modulus
        }
        return isBCD ? Self.bcd(value % modulus) : UInt16(truncatingIfNeeded: value)
    }

    /// OUT at `tick`.
    func output(atTick tick: UInt64) -> Bool {
        guard isCounting else { return idleOutput || isWaitingForTrigger }
        if isHeldByGate { return true }
        let elapsed = elapsed(atTick: tick)
        switch mode {
        case 0:
            return elapsed >= count
        case 1:
            return elapsed >= count
        case 2:
            // Low for the one tick the count is 1; a count of 1 (illegal) keeps OUT high.
            return count == 1 || elapsed % count != count - 1
        case 3:
            return elapsed % count < (count + 1) / 2
        default:  // 4, 5: a one-tick low strobe at the terminal count
            return elapsed != count
        }
    }

    /// The first tick after `tick` at which OUT changes, if it will without reprogramming.
    func nextOutputChange(afterTick tick: UInt64) -> UInt64? {
        guard isCounting, !isHeldByGate, suspendedElapsed == nil else { return nil }
        let elapsed = elapsed(atTick: tick)
        let periodStart = tick &- elapsed  // == startTick
        switch mode {
        case 0, 1:
            return elapsed < count ? periodStart.saturatingAdd(count) : nil
        case 4, 5:
            if elapsed < count { return periodStart.saturatingAdd(count) }
            return elapsed == count ? periodStart.saturatingAdd(count + 1) : nil
        case 2:
            guard count > 1 else { return nil }
            let phase = elapsed % count
            let base = tick &- phase
            return base.saturatingAdd(phase < count - 1 ? count - 1 : count)
        default:  // 3
            guard count > 1 else { return nil }
            let phase = elapsed % count, half = (count + 1) / 2
            let base = tick &- phase
            return base.saturatingAdd(phase < half ? half : count)
        }
    }

    // MARK: - BCD

    /// Four BCD digits as a number; a nibble above 9 counts with its binary value.
    static func decimal(fromBCD value: UInt16) -> UInt64 {
        var result: UInt64 = 0
        for shift in stride(from: 12, through: 0, by: -4) {
            result = result * 10 + UInt64((value >> UInt16(shift)) & 0xF)
        }
        return result
    }

    /// `value` (0…9999) as four BCD digits.
    static func bcd(_ value: UInt64) -> UInt16 {
        var result: UInt16 = 0, rest = value
        for shift in stride(from: 0, through: 12, by: 4) {
            result |= UInt16(rest % 10) << UInt16(shift)
            rest /= 10
        }
        return result
    }
}
