/// A device clock that ticks `ticks` times every `nanoseconds` ns of virtual time,
/// converted both ways with exact integer arithmetic (128-bit intermediates).
///
/// Tick k happens at the first nanosecond whose elapsed ticks reach k, so
/// `ticks(at: nanoseconds(atTick: k)) == k` for every k that fits.
struct TickRate {
    /// Ticks per `nanoseconds` ns; never 0.
    let ticks: UInt64
    /// The nanoseconds that hold `ticks` ticks; never 0.
    let nanoseconds: UInt64

    /// The 8254 PIT's input clock: 1,193,182 Hz.
    static let intervalTimer = TickRate(ticks: 1_193_182, nanoseconds: 1_000_000_000)
    /// The MC146818's time base: a 32,768 Hz crystal.
    static let realTimeClock = TickRate(ticks: 32_768, nanoseconds: 1_000_000_000)

    init(ticks: UInt64, nanoseconds: UInt64) {
        self.ticks = max(ticks, 1)
        self.nanoseconds = max(nanoseconds, 1)
    }

    /// Whole ticks elapsed at `time` ns (counting from 0 ns), saturating at `UInt64.max`.
    func ticks(at time: UInt64) -> UInt64 {
        Self.multiplyDivide(time, ticks, nanoseconds, roundingUp: false)
    }

    /// The first nanosecond at which `tick` ticks have elapsed, saturating at `UInt64.max`.
    func nanoseconds(atTick tick: UInt64) -> UInt64 {
        Self.multiplyDivide(tick, nanoseconds, ticks, roundingUp: true)
    }

    /// `value × multiplier ÷ divisor` without overflow in between; `UInt64.max` when the result does not fit.
    static func multiplyDivide(_ value: UInt64, _ multiplier: UInt64, _ divisor: UInt64, roundingUp: Bool) -> UInt64 {
        let product = value.multipliedFullWidth(by: multiplier)
        guard product.high < divisor else { return .max }
        let (quotient, remainder) = divisor.dividingFullWidth(product)
        if roundingUp, remainder != 0 {
            return quotient == .max ? .max : quotient + 1
        }
        return quotient
    }
}
