/// A set of the 256 interrupt vectors, as the local APIC's IRR, ISR and TMR hold them.
struct VectorSet {
    private var words: [UInt64] = [0, 0, 0, 0]

    func contains(_ vector: UInt8) -> Bool {
        words[Int(vector >> 6)] & (1 << UInt64(vector & 63)) != 0
    }

    mutating func insert(_ vector: UInt8) {
        words[Int(vector >> 6)] |= 1 << UInt64(vector & 63)
    }

    mutating func remove(_ vector: UInt8) {
        words[Int(vector >> 6)] &= ~(1 << UInt64(vector & 63))
    }

    /// The highest vector in the set (the highest priority), nil when empty.
    var highest: UInt8? {
        for index in stride(from: 3, through: 0, by: -1) where words[index] != 0 {
            return UInt8(index * 64 + 63 - words[index].leadingZeroBitCount)
        }
        return nil
    }

    /// The 32-bit register that holds vectors 32 × `index` … 32 × `index` + 31 (index 0–7).
    func register(_ index: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: words[(index & 7) >> 1] >> UInt64((index & 1) * 32))
    }
}
