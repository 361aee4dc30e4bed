import GDBRemote
import Testing

/// Framing, checksums, escapes and hostile input at the byte level.
@Suite struct PacketFramingTests {
    private func events(_ text: String, maximum: Int = 64) -> [PacketParser.Event] {
        events(Array(text.utf8), maximum: maximum)
    }

    private func events(_ bytes: [UInt8], maximum: Int = 64) -> [PacketParser.Event] {
        var parser = PacketParser(maximumPayload: maximum)
        return bytes.compactMap { parser.consume($0) }
    }

    @Test func packetsAcknowledgementsAndInterrupts() {
        #expect(events("$g#67") == [.packet(Array("g".utf8))])
        #expect(events("+$?#3f-") == [.acknowledged, .packet(Array("?".utf8)), .negativeAcknowledged])
        #expect(events([0x03]) == [.interrupt])
        #expect(events("$qC#B4") == [.packet(Array("qC".utf8))])  // upper-case checksum digits
    }

    @Test func badChecksumsAndGarbage() {
        #expect(events("$g#68") == [.badChecksum])
        #expect(events("$g#zz") == [.badChecksum])
        #expect(events("hello $g#67 world") == [.packet(Array("g".utf8))])
        // A new `$` before `#` starts over; the first packet is lost.
        #expect(events("$ab$g#67") == [.packet(Array("g".utf8))])
    }

    @Test func interruptByteInsideAPacketIsData() {
        let payload: [UInt8] = [UInt8(ascii: "X"), 0x03]
        let framed = PacketCoding.frame(payload)
        #expect(events(framed) == [.packet(payload)])
    }

    @Test func oversizedPacketsAreReportedNotKept() {
        let payload = String(repeating: "a", count: 100)
        let framed = PacketCoding.frame(Array(payload.utf8))
        #expect(events(framed, maximum: 64) == [.oversized])
        // The parser is usable afterwards.
        #expect(events(framed + Array("$g#67".utf8), maximum: 64) == [.oversized, .packet(Array("g".utf8))])
    }

    @Test func bytesInAnyChunks() {
        var parser = PacketParser(maximumPayload: 64)
        var seen: [PacketParser.Event] = []
        for byte in Array("$m1000,4#".utf8) { if let event = parser.consume(byte) { seen.append(event) } }
        #expect(parser.isInsidePacket)
        for byte in Array("8f".utf8) { if let event = parser.consume(byte) { seen.append(event) } }
        #expect(!parser.isInsidePacket)
        #expect(seen == [.packet(Array("m1000,4".utf8))] || seen == [.badChecksum])
        let sum = Array("m1000,4".utf8).reduce(UInt8(0), &+)
        #expect(PacketCoding.frame(Array("m1000,4".utf8)).suffix(2) == Array(PacketCoding.hex([sum]).utf8))
    }

    @Test func escapingRoundTrips() {
        let payload: [UInt8] = [UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "}"), UInt8(ascii: "*"), 0, 0xFF]
        let framed = PacketCoding.frame(payload)
        #expect(!framed.dropFirst().dropLast(3).contains(UInt8(ascii: "#")))
        guard case .packet(let received)? = events(framed).first else {
            Issue.record("no packet")
            return
        }
        #expect(PacketCoding.unescape(received) == payload)
    }

    @Test func hexAndNumbers() {
        #expect(PacketCoding.hex([0, 0xAB, 0x7F]) == "00ab7f")
        #expect(PacketCoding.bytes(fromHex: Array("00ab7F".utf8)) == [0, 0xAB, 0x7F])
        #expect(PacketCoding.bytes(fromHex: Array("abc".utf8)) == nil)
        #expect(PacketCoding.bytes(fromHex: Array("zz".utf8)) == nil)
        #expect(PacketCoding.number(Array("ffffffff".utf8)) == 0xFFFF_FFFF)
        #expect(PacketCoding.number(Array("".utf8)) == nil)
        #expect(PacketCoding.number(Array("1ffffffffffffffff".utf8)) == nil)  // 17 digits: no overflow trap
        #expect(PacketCoding.number(Array("-1".utf8)) == nil)
    }
}
