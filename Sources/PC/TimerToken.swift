/// Names one action scheduled on a `VirtualClock`, so it can be cancelled.
///
/// Tokens are never reused: cancelling a token whose action already ran, or
/// was already cancelled, does nothing.
public struct TimerToken: Hashable, Sendable {
    /// The clock's sequence number for the action; later schedules get larger numbers.
    let sequence: UInt64
}
