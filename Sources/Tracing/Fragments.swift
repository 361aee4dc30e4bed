/// Short byte strings (at most 16 bytes each) in 16-byte slots, written by
/// index with one chunk copy and no reference counting (register names in
/// the hot path).
final class Fragments {
    private static let slot = 16
    private let storage: UnsafeMutablePointer<UInt8>
    private let lengths: UnsafeMutablePointer<Int>

    init(_ texts: [String]) {
        let bytes = texts.map { Array($0.utf8.prefix(Self.slot)) }
        storage = .allocate(capacity: max(bytes.count, 1) * Self.slot)
        storage.initialize(repeating: 0, count: max(bytes.count, 1) * Self.slot)
        lengths = .allocate(capacity: max(bytes.count, 1))
        for (index, text) in bytes.enumerated() {
            (storage + index * Self.slot).update(from: text, count: text.count)
            lengths[index] = text.count
        }
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
    }

    /// Fragment `index`; the cursor's reservation must have 16 bytes for it.
    @inline(__always) func write(_ index: Int, to cursor: inout SinkCursor) {
        cursor.copyPadded(storage + index * Self.slot, count: lengths[index])
    }
}

/// A decimal number kept as ASCII digits and incremented in place.
final class DecimalCounter {
    private static let width = 24
    /// `width` digits and 16 spare bytes, so `copyPadded` may read past the last digit.
    private let digits: UnsafeMutablePointer<UInt8>
    private var start = DecimalCounter.width - 1

    init() {
        digits = .allocate(capacity: Self.width + 16)
        digits.initialize(repeating: UInt8(ascii: "0"), count: Self.width + 16)
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

    /// Sets the digits to `value` (negative values count as their magnitude).
    func set(_ value: Int) {
        digits.update(repeating: UInt8(ascii: "0"), count: Self.width)
        var remaining = value.magnitude
        var index = Self.width - 1
        repeat {
            digits[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining % 10)
            remaining /= 10
            index -= 1
        } while remaining > 0 && index >= 0
        start = index + 1
    }

    /// The digits; the cursor's reservation must have 24 + 15 bytes for them.
    @inline(__always) func write(to cursor: inout SinkCursor) {
        cursor.copyPadded(digits + start, count: Self.width - start)
    }
}
