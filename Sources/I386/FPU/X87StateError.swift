/// Why an x87 state image was refused.
public enum X87StateError: Error, Hashable, Sendable {
    /// fxrstor: the MXCSR field sets bits outside MXCSR_MASK. The SDM's
    /// response is #GP(0), and nothing is loaded.
    case reservedMXCSRBits(UInt32)
}
