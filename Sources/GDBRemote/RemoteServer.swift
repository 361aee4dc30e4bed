import Foundation
import I386
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the server could not start.
public enum RemoteServerError: Error, CustomStringConvertible {
    case socket(String)

    public var description: String {
        switch self {
        case .socket(let message): message
        }
    }
}

/// A TCP listener on 127.0.0.1 (never any other address) that serves one
/// debugger at a time: a second connection while one is active is closed
/// at once; when a debugger disconnects without killing or detaching, the
/// next one may connect (as QEMU's stub allows).
public final class RemoteServer {
    /// The port listened on (the one the system picked when asked for 0).
    public let port: UInt16
    private let listener: Int32

    /// Listens on 127.0.0.1:`port` (0: any free port).
    public init(port: UInt16) throws(RemoteServerError) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw .socket("cannot create a socket: \(Self.lastError())") }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian  // 127.0.0.1
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let message = Self.lastError()
            Glibc.close(descriptor)
            throw .socket("cannot listen on 127.0.0.1:\(port): \(message)")
        }
        guard listen(descriptor, 1) == 0 else {
            let message = Self.lastError()
            Glibc.close(descriptor)
            throw .socket("cannot listen on 127.0.0.1:\(port): \(message)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        listener = descriptor
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    deinit {
        Glibc.close(listener)
    }

    static func lastError() -> String { String(cString: strerror(errno)) }

    /// Serves debuggers until one kills or detaches (returned), or accepting fails (nil).
    public func serve(_ session: GDBSession) -> GDBSession.Ending? {
        while true {
            let descriptor = accept(listener, nil, nil)
            guard descriptor >= 0 else {
                if errno == EINTR { continue }
                return nil
            }
            var noDelay: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
            let connection = RemoteConnection(socket: descriptor, listener: listener, machine: session.machine)
            session.runControl = connection
            session.connectionDidStart()
            connection.start()
            let ending = converse(session, over: connection)
            session.runControl = nil
            connection.close()
            if let ending { return ending }
        }
    }

    /// Answers packets until the session ends (its ending) or the debugger goes away (nil).
    func converse(_ session: GDBSession, over connection: RemoteConnection) -> GDBSession.Ending? {
        while let event = connection.nextEvent() {
            switch event {
            case .packet(let payload):
                if !session.isNoAckMode { connection.write([UInt8(ascii: "+")]) }
                let response = session.handle(payload)
                for packet in response.packets { connection.send(packet) }
                if let ending = response.ending { return ending }
            case .badChecksum:
                if session.isNoAckMode { connection.send(Array("E01".utf8)) } else { connection.write([UInt8(ascii: "-")]) }
            case .oversized:
                if !session.isNoAckMode { connection.write([UInt8(ascii: "+")]) }
                connection.send(Array("E02".utf8))
            case .negativeAcknowledged:
                if !session.isNoAckMode { connection.resend() }
            case .acknowledged, .interrupt:
                break
            }
        }
        return nil
    }
}

/// One debugger's socket: a reader thread turns its bytes into events for
/// the session's thread, and turns Ctrl-C into `Machine.requestStop()`
/// while a run is in progress.
final class RemoteConnection: RunControl, @unchecked Sendable {
    private let socket: Int32
    private let listener: Int32
    /// The machine the interrupt stops; the reader calls only `requestStop()` (thread-safe).
    private unowned(unsafe) let machine: Machine
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var events: [PacketParser.Event] = []
    private var isClosed = false
    private var isRunning = false
    /// A resume packet was read and its run has not started yet.
    private var expectsRun = false
    private var interruptPending = false
    private var lastSent: [UInt8] = []
    private let finished = DispatchSemaphore(value: 0)

    init(socket: Int32, listener: Int32, machine: Machine) {
        self.socket = socket
        self.listener = listener
        self.machine = machine
    }

    func start() {
        let thread = Thread { [self] in
            readLoop()
            finished.signal()
        }
        thread.start()
    }

    /// Closes the socket and waits for the reader to end.
    func close() {
        shutdown(socket, Int32(SHUT_RDWR))
        finished.wait()
        Glibc.close(socket)
    }

    /// The next event, waiting for it; nil once the debugger is gone.
    func nextEvent() -> PacketParser.Event? {
        condition.lock()
        defer { condition.unlock() }
        while events.isEmpty && !isClosed { condition.wait() }
        return events.isEmpty ? nil : events.removeFirst()
    }

    private func readLoop() {
        var parser = PacketParser(maximumPayload: GDBSession.packetSize)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var descriptors = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if descriptors[1].revents & Int16(POLLIN) != 0 {
                // A second debugger while this one is connected: closed at once.
                let extra = accept(listener, nil, nil)
                if extra >= 0 { Glibc.close(extra) }
            }
            guard descriptors[0].revents != 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            for byte in buffer[0..<count] {
                guard let event = parser.consume(byte) else { continue }
                if event == .interrupt {
                    interrupt()
                } else {
                    enqueue(event)
                }
            }
        }
        condition.lock()
        isClosed = true
        if isRunning { machine.requestStop() }  // the debugger is gone: stop running for nobody
        condition.signal()
        condition.unlock()
    }

    private func enqueue(_ event: PacketParser.Event) {
        condition.lock()
        if case .packet(let payload) = event, Self.resumes(payload) { expectsRun = true }
        events.append(event)
        condition.signal()
        condition.unlock()
    }

    /// Packets that run the target (after which gdb may send Ctrl-C).
    private static func resumes(_ payload: [UInt8]) -> Bool {
        guard let first = payload.first else { return false }
        if "cCsS".utf8.contains(first) { return true }
        let text = String(decoding: payload.prefix(6), as: UTF8.self)
        return text.hasPrefix("vCont;") || text == "bc" || text == "bs"
    }

    private func interrupt() {
        condition.lock()
        if isRunning {
            machine.requestStop()
        } else if expectsRun {
            interruptPending = true
        }
        condition.unlock()
    }

    func runWillStart() {
        condition.lock()
        isRunning = true
        expectsRun = false
        if interruptPending || isClosed {
            interruptPending = false
            machine.requestStop()
        }
        condition.unlock()
    }

    func runDidEnd() {
        condition.lock()
        isRunning = false
        machine.cancelStopRequest()  // one that came after the run's last look
        condition.unlock()
    }

    /// Sends a packet.
    func send(_ payload: [UInt8]) {
        let framed = PacketCoding.frame(payload)
        lastSent = framed
        write(framed)
    }

    /// Sends the last packet again (after `-`).
    func resend() {
        write(lastSent)
    }

    /// Writes raw bytes (a packet, or an acknowledgement).
    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.send(socket, raw.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
