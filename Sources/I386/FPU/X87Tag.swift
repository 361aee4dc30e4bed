/// A register's two-bit tag as fnstenv, fnsave and fldenv/frstor show it
/// (bits 2p…2p+1 of the tag word for physical register p).
///
/// Current processors keep only "empty or not" internally (fxsave's abridged
/// tag word); the other three values are derived from the register's
/// contents whenever a full tag word is stored, and a loaded tag word only
/// says which registers are empty.
public enum X87Tag: UInt8, Hashable, Sendable, CaseIterable {
    /// A normal value (00).
    case valid = 0
    /// A zero (01).
    case zero = 1
    /// NaN, infinity, denormal or an unsupported encoding (10).
    case special = 2
    /// No value (11).
    case empty = 3
}
