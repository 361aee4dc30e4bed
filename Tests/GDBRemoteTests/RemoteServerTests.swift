import Foundation
import GDBRemote
import I386
import Images
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The stub over a real socket: acknowledgements, bad and oversized packets,
/// Ctrl-C while running, a second connection, a debugger that vanishes
/// mid-packet, and 127.0.0.1 only. Every read has a timeout.
@Suite(.serialized) struct RemoteServerTests {
    /// A server thread serving one session; `ending` once it returns.
    final class Served: @unchecked Sendable {
        let server: RemoteServer
        let session: GDBSession
        let done = DispatchSemaphore(value: 0)
        var ending: GDBSession.Ending?

        init(_ program: String) throws {
            let image = try ImageLoader.load(.assembly(program))
            session = GDBSession(target: GDBSession.Target(machine: image.machine, symbols: image.symbols))
            server = try RemoteServer(port: 0)
            Thread { [self] in
                ending = server.serve(session)
                done.signal()
            }.start()
        }

        /// Waits for `serve` to return (kill or detach).
        func finished(within seconds: Double = 10) -> Bool { done.wait(timeout: .now() + seconds) == .success }
    }

    /// A client socket with a 5-second receive timeout.
    struct Client {
        let descriptor: Int32

        init?(port: UInt16, host: UInt32 = 0x7F00_0001) {
            let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socketDescriptor >= 0 else { return nil }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(socketDescriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = host.bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                Glibc.close(socketDescriptor)
                return nil
            }
            descriptor = socketDescriptor
        }

        func send(_ text: String) { send(Array(text.utf8)) }

        func send(_ bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        func packet(_ payload: String) { send(PacketCoding.frame(Array(payload.utf8))) }

        /// Bytes until `count` events came (an ack, or a whole packet), or nothing for 5 s.
        func receive(events count: Int = 1) -> [PacketParser.Event] {
            var parser = PacketParser(maximumPayload: 1 << 20)
            var events: [PacketParser.Event] = []
            var byte: UInt8 = 0
            while events.count < count {
                guard recv(descriptor, &byte, 1, 0) == 1 else { break }
                if let event = parser.consume(byte) { events.append(event) }
            }
            return events
        }

        /// True when the other side closed the connection (within the timeout).
        var isClosedByPeer: Bool {
            var byte: UInt8 = 0
            return recv(descriptor, &byte, 1, 0) == 0
        }

        func close() { Glibc.close(descriptor) }
    }

    private func text(_ event: PacketParser.Event?) -> String? {
        guard case .packet(let payload)? = event else { return nil }
        return String(decoding: payload, as: UTF8.self)
    }

    @Test func acknowledgementsBadAndOversizedPackets() throws {
        let served = try Served("nop\nhlt")
        guard let client = Client(port: served.server.port) else {
            Issue.record("cannot connect")
            return
        }
        defer { client.close() }
        client.packet("qC")
        let reply = client.receive(events: 2)
        #expect(reply.first == .acknowledged)
        #expect(text(reply.last) == "QC01")
        client.send("$qC#00")
        #expect(client.receive() == [.negativeAcknowledged])
        client.packet(String(repeating: "m", count: GDBSession.packetSize + 10))
        let oversized = client.receive(events: 2)
        #expect(oversized.first == .acknowledged)
        #expect(text(oversized.last) == "E02")
        client.packet("QStartNoAckMode")
        #expect(text(client.receive(events: 2).last) == "OK")
        client.packet("qC")
        #expect(text(client.receive().first) == "QC01")  // no acknowledgement any more
        client.send("$qC#00")
        #expect(text(client.receive().first) == "E01")
        client.packet("k")
        #expect(served.finished())
        #expect(served.ending == .killed)
    }

    @Test func interruptStopsARunningTarget() throws {
        let served = try Served("loop: jmp loop")
        guard let client = Client(port: served.server.port) else {
            Issue.record("cannot connect")
            return
        }
        defer { client.close() }
        client.packet("QStartNoAckMode")
        _ = client.receive(events: 2)
        client.packet("c")
        usleep(200_000)
        client.send([0x03])
        let stop = text(client.receive().first) ?? ""
        #expect(stop.hasPrefix("T02"))
        #expect(served.session.machine.instructionCount > 1000)
        // Ctrl-C while stopped changes nothing; the next continue runs until the next one.
        client.send([0x03])
        client.packet("c")
        usleep(100_000)
        client.send([0x03])
        #expect(text(client.receive().first)?.hasPrefix("T02") == true)
        client.packet("D")
        #expect(text(client.receive().first) == "OK")
        #expect(served.finished())
        #expect(served.ending == .detached)
    }

    @Test func secondConnectionIsClosedAndAVanishedDebuggerCanBeReplaced() throws {
        let served = try Served("nop\nhlt")
        guard let first = Client(port: served.server.port) else {
            Issue.record("cannot connect")
            return
        }
        first.packet("qC")
        #expect(text(first.receive(events: 2).last) == "QC01")
        if let second = Client(port: served.server.port) {
            #expect(second.isClosedByPeer)
            second.close()
        }
        // The first one still works; then it goes away in the middle of a packet.
        first.packet("?")
        #expect(text(first.receive(events: 2).last)?.hasPrefix("T05") == true)
        first.send("$m1000,")
        first.close()
        var replacement: Client?
        for _ in 0..<50 where replacement == nil {
            usleep(50_000)
            if let client = Client(port: served.server.port) {
                client.packet("qC")
                if text(client.receive(events: 2).last) == "QC01" { replacement = client } else { client.close() }
            }
        }
        guard let client = replacement else {
            Issue.record("no second session after the first debugger vanished")
            return
        }
        defer { client.close() }
        client.packet("k")
        #expect(served.finished())
    }

    @Test func listensOnLoopbackOnly() throws {
        let served = try Served("nop\nhlt")
        // Any IPv4 address of this host other than 127.x must refuse the connection.
        var interfaces: UnsafeMutablePointer<ifaddrs>?
        if getifaddrs(&interfaces) == 0, let first = interfaces {
            defer { freeifaddrs(interfaces) }
            var cursor: UnsafeMutablePointer<ifaddrs>? = first
            while let entry = cursor {
                if let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) {
                    let ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
                    if ipv4 >> 24 != 127 {
                        let client = Client(port: served.server.port, host: ipv4)
                        #expect(client == nil, "reachable on \(ipv4 >> 24).\(ipv4 >> 16 & 0xFF).\(ipv4 >> 8 & 0xFF).\(ipv4 & 0xFF)")
                        client?.close()
                    }
                }
                cursor = entry.pointee.ifa_next
            }
        }
        guard let client = Client(port: served.server.port) else {
            Issue.record("cannot connect on 127.0.0.1")
            return
        }
        defer { client.close() }
        client.packet("k")
        #expect(served.finished())
    }
}
