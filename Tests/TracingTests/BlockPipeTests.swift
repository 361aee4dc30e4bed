import Foundation
import Synchronization
import Testing
@testable import Tracing

/// The ring between the run loop and the formatter: every record arrives
/// once, in order and intact, across block boundaries, wraps of the ring,
/// records larger than a block, drains and restarts.
struct BlockPipeTests {
    /// What the consumer saw; only the consumer writes it until the producer has drained.
    private final class Received: @unchecked Sendable {
        var sequence: [Int] = []
        var corrupt = 0
    }

    /// A record: its length, its number, then its number repeated as filler.
    private func produce(_ number: Int, length: Int, into pipe: BlockPipe) {
        let record = pipe.reserve(length)
        record.storeBytes(of: length, as: Int.self)
        for offset in stride(from: 8, to: length, by: 8) { record.storeBytes(of: number, toByteOffset: offset, as: Int.self) }
        pipe.commit(length)
    }

    private func consume(_ block: UnsafeRawBufferPointer, into received: Received) {
        var offset = 0
        while offset < block.count {
            let length = block.load(fromByteOffset: offset, as: Int.self)
            let number = block.load(fromByteOffset: offset + 8, as: Int.self)
            for filler in stride(from: offset + 8, to: offset + length, by: 8)
            where block.load(fromByteOffset: filler, as: Int.self) != number {
                received.corrupt += 1
            }
            received.sequence.append(number)
            offset += length
        }
    }

    @Test(arguments: [true, false])
    func recordsArriveInOrderAcrossWrapsAndJumboRecords(threaded: Bool) {
        let received = Received()
        let pipe = BlockPipe(threaded: threaded) { consume($0, into: received) }
        var expected: [Int] = []
        // About 40 ring wraps of 8–800-byte records, with a record larger than a block now and then.
        for number in 0..<200_000 {
            let jumbo = number % 25_000 == 24_999
            // Sizes scattered by a multiplicative hash of the number (Knuth's constant).
            let length = jumbo ? BlockPipe.blockSize * 3 + 8 : 8 * (2 + Int((UInt32(number) &* 2_654_435_761) >> 25))
            produce(number, length: length, into: pipe)
            expected.append(number)
            if number == 100_000 {
                pipe.drain()
                #expect(received.sequence.count == expected.count, "drain returned before the consumer caught up")
            }
        }
        pipe.close()
        #expect(received.sequence == expected)
        #expect(received.corrupt == 0)
    }

    @Test func aClosedPipeStartsAgainOnTheNextRecord() {
        let received = Received()
        let pipe = BlockPipe(threaded: true) { consume($0, into: received) }
        for round in 0..<3 {
            for number in 0..<1_000 { produce(round * 1_000 + number, length: 64, into: pipe) }
            pipe.close()
            #expect(received.sequence == Array(0..<((round + 1) * 1_000)))
        }
        pipe.close()  // closing twice is harmless
        #expect(received.corrupt == 0)
    }
}
