/// The two protected-mode layouts of the x87 environment (fnstenv, fldenv,
/// and the head of fnsave and frstor images), chosen by the operand size.
public enum X87EnvironmentFormat: Hashable, Sendable, CaseIterable {
    /// 32-bit operand size: 28 bytes, every field in a doubleword (SDM Vol. 1 Figure 8-9).
    case protectedMode32
    /// 16-bit operand size (a 0x66 prefix in 32-bit code): 14 bytes, one word
    /// each for FCW, FSW, FTW, FIP (its low 16 bits), FCS, FDP (low 16 bits)
    /// and FDS; FOP is not stored, and a load clears it (Figure 8-10).
    case protectedMode16

    /// The environment's size in bytes.
    public var size: Int { self == .protectedMode32 ? 28 : 14 }

    /// The size of an fnsave/frstor image: the environment and eight 10-byte registers.
    public var saveSize: Int { size + 80 }
}
