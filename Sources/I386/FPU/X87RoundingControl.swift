/// The control word's rounding-control field (RC, bits 10–11).
public enum X87RoundingControl: UInt16, Hashable, Sendable, CaseIterable {
    /// Round to nearest, ties to even (00; the default).
    case nearest = 0
    /// Round toward −∞ (01).
    case down = 1
    /// Round toward +∞ (10).
    case up = 2
    /// Round toward zero, truncating (11).
    case towardZero = 3
}
