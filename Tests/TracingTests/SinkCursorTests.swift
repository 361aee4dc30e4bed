import Testing
@testable import Tracing

/// The hot-path formatting primitives against Swift's own formatting.
struct SinkCursorTests {
    private func written(_ body: (inout SinkCursor) -> Void) -> String {
        let sink = ByteSink(handle: nil)
        var cursor = sink.cursor(reserving: 256)
        body(&cursor)
        sink.commit(cursor)
        return String(decoding: sink.contents, as: UTF8.self)
    }

    private func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    @Test func hex32MatchesStringRadixForEdgeAndRandomValues() {
        var generator = SystemRandomNumberGenerator()
        var values: [UInt32] = [0, 1, 9, 10, 15, 16, 0x9999_9999, 0xA0A0_A0A0, 0x0F0F_0F0F, 0xFFFF_FFFF, 0x1234_ABCD]
        for _ in 0..<20_000 { values.append(UInt32.random(in: .min ... .max, using: &generator)) }
        for value in values {
            #expect(written { $0.putHex32(value) } == hex(UInt64(value), digits: 8), "value \(value)")
        }
    }

    @Test func valuesOfEachSizeKeepTheirDigitsAndNothingElse() {
        let value: UInt64 = 0xFEDC_BA98_7654_3210
        for size in [1, 2, 4, 8] {
            let expected = hex(size == 8 ? value : value & ((1 << (8 * UInt64(size))) - 1), digits: 2 * size)
            // The store may run past the digits; what follows must overwrite it.
            #expect(written { $0.putHexValue(value, size: size); $0.put("|") } == expected + "|")
        }
        #expect(written { $0.putHexValue(0xABC, size: 3); $0.put("|") } == "000abc|")
    }

    @Test func littleEndianBytesAndDecimals() {
        #expect(written { $0.putHexBytes(0x1122_3344, size: 4) } == "44332211")
        for number: UInt64 in [0, 7, 10, 99, 100, 12_345, .max] {
            #expect(written { $0.putDecimal(number, maxDigits: 20) } == String(number))
        }
        let sink = ByteSink(handle: nil)
        for number in [0, -1, 42, Int.min, Int.max] {
            sink.appendDecimal(number)
            sink.append(",")
        }
        #expect(String(decoding: sink.contents, as: UTF8.self) == "0,-1,42,\(Int.min),\(Int.max),")
    }

    @Test func paddedCopiesAndFragments() {
        let source: [UInt8] = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8) + [UInt8](repeating: 0, count: 16)
        for count in [0, 1, 15, 16, 17, 36] {
            let text = source.withUnsafeBufferPointer { buffer in
                written { $0.copyPadded(buffer.baseAddress!, count: count); $0.put("|") }
            }
            #expect(text == String(decoding: source.prefix(count), as: UTF8.self) + "|")
        }
        let fragments = Fragments(["\"eax\":\"0x", "", "\"eflags\":\"0x"])
        #expect(written { fragments.write(2, to: &$0); fragments.write(1, to: &$0); fragments.write(0, to: &$0) }
                == "\"eflags\":\"0x\"eax\":\"0x")
    }

    @Test func decimalCounterCountsLikeInt() {
        let counter = DecimalCounter()
        for step in 1...1_100 {
            counter.increment()
            if step < 12 || step % 97 == 0 || [99, 100, 999, 1000].contains(step) {
                #expect(written { counter.write(to: &$0) } == String(step))
            }
        }
    }
}
