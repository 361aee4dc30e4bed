/// Short byte strings stored contiguously, appended by index without
/// reference counting (register names in the hot path).
final class Fragments {
    private let storage: UnsafeMutablePointer<UInt8>
    private let starts: [Int]
    private let lengths: [Int]

    init(_ texts: [String]) {
        let bytes = texts.map { Array($0.utf8) }
        var starts: [Int] = []
        var offset = 0
        for text in bytes {
            starts.append(offset)
            offset += text.count
        }
        storage = .allocate(capacity: max(offset, 1))
        for (index, text) in bytes.enumerated() {
            (storage + starts[index]).initialize(from: text, count: text.count)
        }
        self.starts = starts
        lengths = bytes.map(\.count)
    }

    deinit { storage.deallocate() }

    @inline(__always) func write(_ index: Int, to sink: ByteSink) {
        sink.append(storage + starts[index], count: lengths[index])
    }
}

/// A decimal number kept as ASCII digits and incremented in place.
final class DecimalCounter {
    private static let width = 24
    private let digits: UnsafeMutablePointer<UInt8>
    private var start = DecimalCounter.width - 1

    init() {
        digits = .allocate(capacity: Self.width)
        digits.initialize(repeating: UInt8(ascii: "0"), count: Self.width)
    }

    deinit { digits.deallocate() }

    @inline(__always) func increment() {
        var index = Self.width - 1
        while index >= 0 {
            if digits[index] == UInt8(ascii: "9") {
                digits[index] = UInt8(ascii: "0")
                index -= 1
            } else {
                digits[index] += 1
                if index < start { start = index }
                return
            }
        }
    }

    @inline(__always) func write(to sink: ByteSink) {
        sink.append(digits + start, count: Self.width - start)
    }
}
