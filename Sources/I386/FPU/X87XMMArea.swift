/// The 128 bytes of fxsave's XMM0–XMM7 area, stored inline: with no heap
/// storage `X87State` is a plain value, so the copy an x87 store works on
/// is a memory copy without reference counting.
struct X87XMMArea: Hashable, Sendable {
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                          UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    /// The size of the area in bytes.
    static let size = 128

    /// All zeros.
    init() {
        storage = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// The first 128 bytes of `bytes`, zeros where it is shorter.
    init<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        self.init()
        withUnsafeMutableBytes(of: &storage) { raw in
            for (offset, byte) in zip(0..<Self.size, bytes) { raw[offset] = byte }
        }
    }

    /// The area as 128 bytes.
    var bytes: [UInt8] {
        withUnsafeBytes(of: storage) { Array($0) }
    }

    static func == (left: X87XMMArea, right: X87XMMArea) -> Bool {
        withUnsafeBytes(of: left.storage) { leftBytes in
            withUnsafeBytes(of: right.storage) { rightBytes in leftBytes.elementsEqual(rightBytes) }
        }
    }

    func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: storage) { hasher.combine(bytes: $0) }
    }
}
