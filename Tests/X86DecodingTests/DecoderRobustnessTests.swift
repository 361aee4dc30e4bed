import Testing
import X86Decoding

/// Every first byte, followed by random tails, decodes or fails with the typed error.
@Suite struct DecoderRobustnessTests {
    @Test func everyFirstByteWithRandomTails() throws {
        let decoder = try X86Decoder()
        var generator = SplitMix64(seed: 0x6b73_7465_70)
        var decoded = 0
        var rejected = 0
        for first in 0...255 {
            for _ in 0..<64 {
                let bytes = [UInt8(first)] + (0..<15).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                do {
                    let instruction = try decoder.decode(bytes, address: 0xC010_0000)
                    #expect((1...15).contains(instruction.length))
                    #expect(instruction.bytes == Array(bytes.prefix(instruction.length)))
                    decoded += 1
                } catch {
                    guard case .invalidInstruction(let address, let carried) = error else {
                        Issue.record("unexpected error \(error)")
                        continue
                    }
                    #expect(address == 0xC010_0000)
                    #expect(carried == Array(bytes.prefix(15)))
                    rejected += 1
                }
            }
        }
        #expect(decoded + rejected == 256 * 64)
        #expect(decoded > rejected)
        #expect(rejected > 0)
    }

    @Test func emptyInputIsATypedError() throws {
        let decoder = try X86Decoder()
        #expect(throws: DecodeError.empty(address: 5)) { try decoder.decode([], address: 5) }
    }

    @Test func truncatedInstructionIsRejected() throws {
        let decoder = try X86Decoder()
        #expect(throws: DecodeError.invalidInstruction(address: 0, bytes: [0x89, 0xA0, 0xE4])) {
            try decoder.decode([0x89, 0xA0, 0xE4], address: 0)
        }
    }
}

/// A small seeded generator (SplitMix64), so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
