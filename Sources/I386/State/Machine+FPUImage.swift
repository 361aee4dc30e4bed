/// The x87 state as a debugger sees it.
extension Machine {
    /// The x87/SSE state in fxsave's 512-byte layout (FCW at 0, FSW at 2,
    /// the abridged tag byte at 4, FOP at 6, FIP/FCS at 8/12, FDP/FDS at
    /// 16/20, ST0–ST7 at 32 + 16 i). Setting it loads the state as fxrstor
    /// would; a value of another length is ignored.
    public var fxsaveImage: [UInt8] {
        get { state.pointee.fpuArea }
        set {
            guard newValue.count == 512 else { return }
            state.pointee.fpuArea = newValue
        }
    }
}
