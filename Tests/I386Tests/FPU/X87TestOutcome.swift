/// What one run (native or through `X87State`) of a case produced.
struct X87TestOutcome: Equatable {
    /// How many instructions ran (a sequence stops after the first that
    /// leaves an exception pending, as the next waiting one would fault).
    var steps: Int
    /// The status word after each instruction that ran.
    var statusWords: [UInt16]
    /// EFLAGS after each instruction that ran.
    var eflags: [UInt32]
    /// fnsave's image at the end.
    var finalImage: [UInt8]
    /// The memory block at the end.
    var memory: [UInt8]
    /// Set (by the run through `X87State`) when the sequence reached an
    /// encoding whose behaviour differs between Intel and AMD, so the host
    /// cannot judge it: fstp1 (D9 D8+i) with ST(0) empty, which AMD executes as
    /// fstpnce (pop, no store, no stack fault) and a P6, as kstep, as fstp.
    var reachesVendorSpecificBehaviour = false
}
