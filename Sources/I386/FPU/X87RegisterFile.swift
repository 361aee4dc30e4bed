/// The eight physical x87 registers R0–R7, stored inline (no heap storage,
/// no copy-on-write check per access).
struct X87RegisterFile: Hashable, Sendable {
    private var storage: (ExtendedReal, ExtendedReal, ExtendedReal, ExtendedReal,
                          ExtendedReal, ExtendedReal, ExtendedReal, ExtendedReal)

    /// Eight copies of `value`.
    init(repeating value: ExtendedReal) {
        storage = (value, value, value, value, value, value, value, value)
    }

    /// Register `index` mod 8.
    subscript(index: Int) -> ExtendedReal {
        get {
            withUnsafeBytes(of: storage) { raw in
                raw.load(fromByteOffset: (index & 7) * MemoryLayout<ExtendedReal>.stride, as: ExtendedReal.self)
            }
        }
        set {
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.storeBytes(of: newValue, toByteOffset: (index & 7) * MemoryLayout<ExtendedReal>.stride,
                               as: ExtendedReal.self)
            }
        }
    }

    static func == (left: X87RegisterFile, right: X87RegisterFile) -> Bool {
        (0..<8).allSatisfy { left[$0] == right[$0] }
    }

    func hash(into hasher: inout Hasher) {
        for index in 0..<8 { hasher.combine(self[index]) }
    }
}
