import Foundation
@testable import GDBRemote
import I386
import Images
import Testing

/// The session's answers to packets, without a socket: registers, memory,
/// breakpoints that leave memory alone, stop replies, reverse steps,
/// malformed and hostile requests.
@Suite struct GDBSessionTests {
    static let program = """
        movl $0x11, %eax
    second:
        movl $0x22, %ebx
        movl $0x33, %ecx
        movl %eax, value
    last:
        movl $0x44, %edx
        hlt
    .data
    value: .long 0
    """

    private func session(_ text: String = Self.program) throws -> (GDBSession, LoadedImage) {
        let image = try ImageLoader.load(.assembly(text))
        let target = GDBSession.Target(machine: image.machine, symbols: image.symbols)
        return (GDBSession(target: target), image)
    }

    private func reply(_ session: GDBSession, _ packet: String) -> [String] {
        session.handle(Array(packet.utf8)).packets.map { String(decoding: $0, as: UTF8.self) }
    }

    private func stop(_ session: GDBSession, _ packet: String) -> String {
        reply(session, packet).last ?? ""
    }

    @Test func handshake() throws {
        let (session, _) = try session()
        let features = reply(session, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386")
        #expect(features.first?.contains("PacketSize=4000") == true)
        #expect(features.first?.contains("qXfer:features:read+") == true)
        #expect(features.first?.contains("ReverseStep+;ReverseContinue+") == true)
        #expect(reply(session, "QStartNoAckMode") == ["OK"])
        #expect(session.isNoAckMode)
        #expect(reply(session, "vMustReplyEmpty") == [""])
        #expect(reply(session, "?").first?.hasPrefix("T05") == true)
        #expect(reply(session, "qfThreadInfo") == ["m01"])
        #expect(reply(session, "qsThreadInfo") == ["l"])
        let xml = reply(session, "qXfer:features:read:target.xml:0,3fff").first ?? ""
        #expect(xml.hasPrefix("l<?xml"))
        #expect(xml.contains("<architecture>i386</architecture>"))
        #expect(reply(session, "qXfer:features:read:other.xml:0,100") == ["E00"])
    }

    @Test func targetDescriptionHasTheCoreFeaturesThirtyTwoRegistersInOrder() {
        let xml = TargetDescription.xml
        let core = xml.components(separatedBy: "org.gnu.gdb.i386.core")[1].components(separatedBy: "</feature>")[0]
        let names = core.components(separatedBy: "<reg name=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(names == ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags",
                          "cs", "ss", "ds", "es", "fs", "gs", "st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7",
                          "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"])
        // Chunks put together give the document.
        var document = ""
        var offset = 0
        while true {
            let part = String(decoding: TargetDescription.reply(offset: offset, length: 500), as: UTF8.self)
            document += part.dropFirst()
            offset += 500
            if part.hasPrefix("l") { break }
        }
        #expect(document == xml)
    }

    @Test func registersReadAndWrite() throws {
        let (session, image) = try session()
        let machine = image.machine
        let all = reply(session, "g").first ?? ""
        #expect(all.count == 2 * RegisterFileLayout.totalSize)
        #expect(RegisterFileLayout.totalSize == 16 * 4 + 8 * 10 + 8 * 4 + 10 * 4)
        // eip is register 8, little-endian.
        let eip = machine.eip
        #expect(reply(session, "p8") == [PacketCoding.hex(RegisterFileLayout.littleEndian(eip))])
        #expect(reply(session, "P0=efbeadde") == ["OK"])
        #expect(machine[.eax] == 0xDEAD_BEEF)
        // fctrl after reset, the full tag word all empty.
        #expect(reply(session, "p18") == ["00000000"] || reply(session, "p18") == ["7f030000"])
        #expect(reply(session, "p1a") == ["ffff0000"])
        // G with the same values changes nothing; a new eax sticks.
        var bytes = PacketCoding.bytes(fromHex: Array((reply(session, "g").first ?? "").utf8)) ?? []
        bytes[0] = 0x78
        #expect(reply(session, "G" + PacketCoding.hex(bytes)) == ["OK"])
        #expect(machine[.eax] == 0xDEAD_BE78)
        #expect(machine[.cs] == 0x60)
        // A selector without a descriptor is refused.
        #expect(reply(session, "Pe=ffff0000") == ["E01"])
        #expect(reply(session, "P99=00000000") == ["E00"])
        #expect(reply(session, "P0=zz") == ["E00"])
        #expect(reply(session, "pzz") == ["E00"])
        #expect(reply(session, "Gabc") == ["E00"])
    }

    @Test func memoryReadsWritesAndHostileRanges() throws {
        let (session, image) = try session()
        let value = image.symbols.symbol(named: "value")?.value ?? 0
        let address = String(value, radix: 16)
        #expect(reply(session, "m\(address),4") == ["00000000"])
        #expect(reply(session, "M\(address),4:01020304") == ["OK"])
        #expect(reply(session, "m\(address),4") == ["01020304"])
        // X with escaped binary data, and gdb's zero-length probe.
        let binary: [UInt8] = Array("X\(address),2:".utf8) + [UInt8(ascii: "}"), UInt8(ascii: "#") ^ 0x20, 0x07]
        #expect(session.handle(binary).packets == [Array("OK".utf8)])
        #expect(reply(session, "m\(address),2") == ["2307"])
        #expect(reply(session, "X\(address),0:") == ["OK"])
        // Unmapped, huge, malformed.
        #expect(reply(session, "m0,4") == ["E14"])
        #expect(reply(session, "mfffffff0,100000") == ["E16"])
        #expect(reply(session, "m\(address),ffffffffffffffff") == ["E00"])
        #expect(reply(session, "mzz,4") == ["E00"])
        #expect(reply(session, "M0,2:0000") == ["E14"])
        #expect(reply(session, "M\(address),4:00") == ["E00"])
        // A read running off the end of memory gives what is there.
        let end = (value | 0xFFF) &+ 1
        let tail = reply(session, "m\(String(end - 2, radix: 16)),8").first ?? ""
        #expect(tail.count == 4 || tail == "E14")
    }

    @Test func softwareBreakpointsLeaveMemoryAloneAndStopWithSwbreak() throws {
        let (session, image) = try session()
        let second = image.symbols.symbol(named: "second")?.value ?? 0
        let address = String(second, radix: 16)
        let before = reply(session, "m\(address),5")
        #expect(reply(session, "Z0,\(address),1") == ["OK"])
        #expect(reply(session, "m\(address),5") == before)
        let stopReply = stop(session, "c")
        #expect(stopReply.hasPrefix("T05swbreak:;"))
        #expect(image.machine.eip == second)
        #expect(reply(session, "z0,\(address),1") == ["OK"])
        #expect(reply(session, "Z9,\(address),1") == [""])
        #expect(reply(session, "Z0,\(address)") == ["E00"])
    }

    @Test func stepsWatchpointsAndReverseExecution() throws {
        let (session, image) = try session()
        let machine = image.machine
        let start = machine.eip
        let value = image.symbols.symbol(named: "value")?.value ?? 0
        #expect(stop(session, "bs").contains("replaylog:begin;"))
        #expect(stop(session, "s").hasPrefix("T05"))
        #expect(stop(session, "vCont;s:1").hasPrefix("T05"))
        #expect(machine.instructionCount == 2)
        #expect(reply(session, "Z2,\(String(value, radix: 16)),4") == ["OK"])
        let watched = stop(session, "vCont;c")
        #expect(watched.hasPrefix("T05watch:\(String(value, radix: 16));"))
        #expect(machine.eip == image.symbols.symbol(named: "last")?.value)
        #expect(try machine.word(at: value) == 0x11)
        // Back over the write: memory is as it was.
        #expect(stop(session, "bs").hasPrefix("T05"))
        #expect(try machine.word(at: value) == 0)
        #expect(machine.instructionCount == 3)
        // Reverse continue stops before the instruction that wrote the watched bytes, going back.
        _ = stop(session, "c")
        #expect(stop(session, "bc").hasPrefix("T05watch:"))
        #expect(machine.instructionCount == 3)
        #expect(reply(session, "z2,\(String(value, radix: 16)),4") == ["OK"])
        #expect(stop(session, "bc").contains("replaylog:begin;"))
        #expect(machine.eip == start)
        #expect(machine.instructionCount == 0)
        #expect(machine[.eax] == 0)
        #expect(reply(session, "Z2,\(String(value, radix: 16)),10000") == ["E16"])
    }

    /// A guest exception's stop reply names it as Linux i386 signals it.
    @Test(arguments: [
        ("xorl %ecx, %ecx; divl %ecx", "#DE", "T08"),    // SIGFPE
        ("ud2", "#UD", "T04"),                           // SIGILL
        ("movw $0x1234, %ax; movw %ax, %ds", "#GP", "T0b"),  // beyond the GDT's limit: SIGSEGV
        ("movl $0x80000011, %eax; movl %eax, %cr0; nop", "#PF", "T0b"),  // an empty page directory: SIGSEGV
        ("int3", "#BP", "T05"),                          // SIGTRAP
    ])
    func exceptionStopsNameTheirSignal(_ snippet: String, _ exception: String, _ expected: String) throws {
        let (session, _) = try session(snippet)
        let packets = reply(session, "c")
        #expect(packets.last?.hasPrefix(expected) == true, "\(packets)")
        let note = String(decoding: PacketCoding.bytes(fromHex: Array((packets.first ?? "").dropFirst().utf8)) ?? [], as: UTF8.self)
        #expect(note.contains("kstep: \(exception)") && note.contains("with no IDT to deliver it"), "\(note)")
    }

    @Test func haltStaysHaltedAndKillEnds() throws {
        let (session, _) = try session()
        let first = reply(session, "c")
        #expect(first.count == 2)  // why (O), then the stop
        #expect(first.first?.hasPrefix("O") == true)
        let again = reply(session, "c")
        #expect(again.last == first.last)
        #expect(session.handle(Array("vKill;a410".utf8)).ending == .killed)
        #expect(session.handle(Array("k".utf8)).ending == .killed)
        #expect(session.handle(Array("D".utf8)).ending == .detached)
    }

    @Test func monitorCommands() throws {
        let (session, _) = try session()
        func monitor(_ command: String) -> String {
            let packets = reply(session, "qRcmd," + PacketCoding.hex(Array(command.utf8)))
            let hex = packets.count == 1 ? packets[0] : packets.dropLast().map { String($0.dropFirst()) }.joined()
            return String(decoding: PacketCoding.bytes(fromHex: Array(hex.utf8)) ?? [], as: UTF8.self)
        }
        #expect(monitor("help").contains("monitor commands"))
        #expect(monitor("current").contains("current: pid 0 comm \"swapper\""))
        #expect(monitor("tasks").contains("swapper"))
        #expect(monitor("stack").contains("thread_info.task"))
        #expect(monitor("tss").contains("esp0"))
        #expect(monitor("gdt").contains("code 32-bit"))
        #expect(monitor("idt").contains("no IDT"))
        #expect(monitor("steps").contains("0 instructions retired"))
        #expect(monitor("catch none").contains("no exception"))
        #expect(monitor("catch gp 14").contains("#GP #PF"))
        #expect(monitor("catch bogus").contains("unknown"))
        #expect(monitor("bogus").contains("unknown monitor command"))
        #expect(reply(session, "qRcmd,zz") == ["E00"])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-monitor-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(monitor("trace on \(path)").contains("tracing to"))
        _ = reply(session, "s")
        _ = reply(session, "s")
        #expect(monitor("trace off").contains("closed"))
        let lines = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n") ?? []
        #expect(lines.count == 2)
        #expect(lines.first?.contains("\"step\":1") == true)
    }

    @Test func theExecutableIsReadableOverTheConnectionAndNothingElse() throws {
        let image = try ImageLoader.load(.assembly(Self.program))
        var elf = (0..<300).map { UInt8(truncatingIfNeeded: $0) }  // every byte, the escaped ones included
        elf[0] = 0x7F
        let target = GDBSession.Target(machine: image.machine, symbols: image.symbols,
                                       executable: GDBSession.Executable(name: "/kstep/snippet.elf", bytes: elf))
        let session = GDBSession(target: target)
        func raw(_ packet: String) -> [UInt8] { session.handle(Array(packet.utf8)).packets.last ?? [] }
        #expect(reply(session, "qSupported:xmlRegisters=i386").first?.contains("qXfer:exec-file:read+") == true)
        #expect(reply(session, "qXfer:exec-file:read::0,fff") == ["l/kstep/snippet.elf"])
        #expect(reply(session, "qXfer:exec-file:read::7,5") == ["msnipp"])
        #expect(reply(session, "qXfer:exec-file:read::ffffffffffffffff,ffffffffffffffff") == ["l"])
        #expect(reply(session, "qXfer:exec-file:read::1,ffffffffffffffff") == ["lkstep/snippet.elf"])
        #expect(reply(session, "vFile:setfs:0") == ["F0"])
        let name = PacketCoding.hex(Array("/kstep/snippet.elf".utf8))
        #expect(reply(session, "vFile:open:\(PacketCoding.hex(Array("/etc/passwd".utf8))),0,0") == ["F-1,2"])
        #expect(reply(session, "vFile:open:\(name),1,0") == ["F-1,d"])      // O_WRONLY
        #expect(reply(session, "vFile:open:\(name),200,1a4") == ["F-1,d"])  // O_CREAT
        #expect(reply(session, "vFile:open:\(name),0,0") == ["F1"])
        #expect(raw("vFile:pread:1,100,0") == Array("F100;".utf8) + elf[0..<256])
        #expect(raw("vFile:pread:1,100,100") == Array("F2c;".utf8) + elf[256...])
        #expect(raw("vFile:pread:1,100,1000") == Array("F0;".utf8))
        #expect(raw("vFile:pread:1,ffffffffffffffff,ffffffffffffffff") == Array("F0;".utf8))
        #expect(raw("vFile:pread:1,ffffffffffffffff,0") == Array("F12c;".utf8) + elf)
        let status = raw("vFile:fstat:1")
        #expect(status.count == 4 + 64 && Array(status.prefix(4)) == Array("F40;".utf8))
        #expect(Array(status[(4 + 28)..<(4 + 36)]) == [0, 0, 0, 0, 0, 0, 0x01, 0x2C])  // st_size 300, big-endian
        #expect(reply(session, "vFile:pread:2,10,0") == ["F-1,9"])
        #expect(reply(session, "vFile:close:1") == ["F0"])
        #expect(reply(session, "vFile:close:1") == ["F-1,9"])
        #expect(reply(session, "vFile:pread:1,10,0") == ["F-1,9"])
        #expect(reply(session, "vFile:unlink:\(name)") == [""])
        // Without an executable: not offered, not served.
        let (plain, _) = try self.session()
        #expect(reply(plain, "qSupported").first?.contains("exec-file") == false)
        #expect(reply(plain, "qXfer:exec-file:read::0,fff") == [""])
        #expect(reply(plain, "vFile:open:\(name),0,0") == ["F-1,16"])
    }

    @Test func unknownAndEmptyPacketsGetEmptyReplies() throws {
        let (session, _) = try session()
        #expect(reply(session, "") == [""])
        #expect(reply(session, "qTStatus") == [""])
        #expect(reply(session, "vCont;x") == ["E00"])
        #expect(reply(session, "cxyz") == ["E00"])
    }
}
