/// The x87 state as a debugger sees it.
extension Machine {
    /// The x87/SSE state in fxsave's 512-byte layout (FCW at 0, FSW at 2,
    /// the abridged tag byte at 4, FOP at 6, FIP/FCS at 8/12, FDP/FDS at
    /// 16/20, ST0–ST7 at 32 + 16 i; bytes 288–511, which fxsave leaves
    /// alone in 32-bit mode, read as zero). Setting it loads the state as
    /// fxrstor would; a value of another length, or with MXCSR bits the
    /// model does not have, is ignored.
    public var fxsaveImage: [UInt8] {
        get {
            var image = state.pointee.x87.fxsaveImage()
            image += [UInt8](repeating: 0, count: X87State.fxsaveSize - image.count)
            return image
        }
        set {
            guard newValue.count == X87State.fxsaveSize else { return }
            var x87 = state.pointee.x87
            guard (try? x87.restoreFXSAVEImage(newValue)) != nil else { return }
            state.pointee.x87 = x87
        }
    }
}
