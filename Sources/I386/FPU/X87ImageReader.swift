/// Little-endian reads from an image that may be short (missing bytes are zero).
struct X87ImageReader {
    let image: [UInt8]

    init(_ image: [UInt8]) { self.image = image }

    func byte(_ offset: Int) -> UInt8 { offset >= 0 && offset < image.count ? image[offset] : 0 }

    func word(_ offset: Int) -> UInt16 { UInt16(byte(offset)) | UInt16(byte(offset + 1)) << 8 }

    func doubleword(_ offset: Int) -> UInt32 { UInt32(word(offset)) | UInt32(word(offset + 2)) << 16 }

    func extendedReal(_ offset: Int) -> ExtendedReal { ExtendedReal(bytes: (offset..<(offset + 10)).map(byte)) }
}
