import I386

/// The four formats, each writing straight into the sink.
extension Tracer {
    /// Registers to put in this record: the changed ones (eip aside), and on
    /// the first JSONL record all of them.
    @inline(__always)
    private func recordedRegisters() -> RegisterSet {
        if isFirstRecord && configuration.format == .jsonl { return shownRegisters }
        return changedRegisters.intersection(shownRegisters).subtracting(RegisterSet(.eip))  // eip: the record's own field
    }

    // MARK: Text

    private func color(_ code: StaticString) {
        guard configuration.useColor else { return }
        sink.append("\u{1B}[")
        sink.append(code)
        sink.append("m")
    }

    func writeText(address: UInt32, info: StaticInfoCache.Entry, writes: MemoryAccesses) {
        color("2")
        sink.appendString(String(step).leftPadded(to: 7))
        color("0")
        sink.append("  ")
        sink.append(info.text, count: info.textLength)
        let changed = recordedRegisters()
        color("33")
        for (index, register) in TraceRegisters.order.enumerated() where changed.contains(register) {
            sink.append(TraceRegisters.names[index])
            sink.append("=")
            sink.appendHex32(beforeFile.pointee[register])
            sink.append("->")
            sink.appendHex32(afterFile.pointee[register])
            if register == .eflags {
                sink.append("[")
                sink.appendString(flagLetters(afterFile.pointee[register]))
                sink.append("]")
            }
            sink.append(" ")
        }
        color("0")
        if configuration.includeMemory {
            for write in writes {
                sink.append("[")
                sink.appendHex32(write.address)
                sink.append("]")
                sink.appendDecimal(Int(write.size))
                sink.append(":")
                // Values of the write's size (a pushl of 0xc010002a shows c010002a), as JSONL shows them.
                sink.appendHex(write.oldValue, digits: Int(write.size) &* 2)
                sink.append("->")
                sink.appendHex(write.newValue, digits: Int(write.size) &* 2)
                sink.append(" ")
            }
        }
        while sink.lastByte == UInt8(ascii: " ") { sink.removeLast() }
        sink.append("\n")
        for event in events { writeTextEvent(event) }
    }

    private func writeTextEvent(_ event: TraceEvent) {
        sink.append("        ")
        color("35")
        sink.append("-- ")
        sink.appendString(event.text(vocabulary) { self.symbols.label(for: $0) })
        color("0")
        sink.append("\n")
    }

    func writeExceptionText(_ machine: Machine, _ exception: CPUException, at address: UInt32, delivered: Bool,
                            writes: MemoryAccesses, taskSwitch: TraceEvent?) {
        sink.append("        ")
        color("31")
        sink.append("-- ")
        sink.appendString(exception.summary)
        sink.append(" at ")
        sink.appendHex32(address)
        if let label = symbols.label(for: address) {
            sink.append(" ")
            sink.appendString(label)
        }
        // Not for #DB: a debug trap's address is the next instruction's.
        if exception != .debug, let (text, bytes) = instruction(at: address, machine: machine) {
            sink.append(": ")
            sink.appendString(text)
            sink.append(" (")
            sink.appendString(bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " "))
            sink.append(")")
        }
        if delivered { appendDelivery(machine, writes: writes) }
        color("0")
        sink.append("\n")
        if let taskSwitch { writeTextEvent(taskSwitch) }
    }

    /// ", delivered to CS:EIP <symbol>" and, with memory, the frame the delivery pushed.
    private func appendDelivery(_ machine: Machine, writes: MemoryAccesses) {
        sink.append(", delivered to ")
        sink.appendHex(UInt64(machine[.cs]), digits: 4)
        sink.append(":")
        sink.appendHex32(machine.eip)
        if let label = symbols.label(for: machine.eip) {
            sink.append(" ")
            sink.appendString(label)
        }
        if configuration.includeMemory {
            sink.append(", frame")
            for write in writes {
                sink.append(" [")
                sink.appendHex32(write.address)
                sink.append("]=")
                sink.appendHex(write.newValue, digits: Int(write.size) &* 2)
            }
        }
    }

    /// An interrupt's lines: the `irq` event with where it was delivered (and the
    /// frame it pushed), then the events that go with it (the privilege change).
    func writeInterruptText(_ machine: Machine, events: [TraceEvent], writes: MemoryAccesses) {
        for (position, event) in events.enumerated() {
            sink.append("        ")
            color("35")
            sink.append("-- ")
            sink.appendString(event.text(vocabulary) { self.symbols.label(for: $0) })
            if position == 0 { appendDelivery(machine, writes: writes) }
            color("0")
            sink.append("\n")
        }
    }

    // MARK: JSONL

    /// Hands one instruction's record to the JSONL formatter: the values of
    /// the registers it shows, its writes and its events, copied as they are.
    func recordJSON(info: StaticInfoCache.Entry, writes: MemoryAccesses) {
        let registers = TraceRegisters.displayBits(recordedRegisters())
        let writeCount = configuration.includeMemory ? writes.count : 0
        let eventCount = events.count
        // Room for all 26 registers: the exact length is known once they are written.
        let record = pipe.reserve(JSONLRecord.length(registers: JSONLRecord.allRegisters, writeCount: writeCount,
                                                     eventCount: eventCount, textLength: 0))
        let firstValue = (record + JSONLRecord.headerSize).assumingMemoryBound(to: UInt32.self)
        var values = firstValue
        var remaining = registers
        while remaining != 0 {
            values.pointee = afterFile.pointee[TraceRegisters.order[remaining.trailingZeroBitCount]]
            values += 1
            remaining &= remaining - 1
        }
        var tail = UnsafeMutableRawPointer(firstValue) + ((values - firstValue) &* 4 &+ 7) & ~7
        for index in 0..<writeCount {
            tail.storeBytes(of: writes[index], as: MemoryWrite.self)
            tail += JSONLRecord.writeSize
        }
        for event in events {
            tail.storeBytes(of: event, as: TraceEvent.self)
            tail += JSONLRecord.eventSize
        }
        let length = tail - record
        record.storeBytes(of: JSONLRecord.Header(length: length, step: step, prefix: info.json,
                                                 prefixLength: info.jsonLength, writeCount: writeCount,
                                                 eventCount: eventCount, textLength: 0, registers: registers,
                                                 kind: JSONLRecord.Kind.instruction.rawValue),
                          as: JSONLRecord.Header.self)
        pipe.commit(length)
    }

    /// Hands a line formatted into `scratch` to the JSONL formatter.
    func recordScratchLine() {
        let textLength = scratch.count
        let length = JSONLRecord.length(registers: 0, writeCount: 0, eventCount: 0, textLength: textLength)
        let record = pipe.reserve(length)
        record.storeBytes(of: JSONLRecord.Header(length: length, step: step, prefix: nil, prefixLength: 0,
                                                 writeCount: 0, eventCount: 0, textLength: textLength, registers: 0,
                                                 kind: JSONLRecord.Kind.preformatted.rawValue),
                          as: JSONLRecord.Header.self)
        if let bytes = scratch.buffered.baseAddress {
            (record + JSONLRecord.headerSize).copyMemory(from: bytes, byteCount: textLength)
        }
        pipe.commit(length)
    }

    /// An exception record: formatted here and queued behind the records before it.
    /// A delivery that switched tasks (through a task gate, or a switch that
    /// faulted in the new task) adds `"events"` with the `task-switch` event.
    func recordExceptionJSON(_ machine: Machine, _ exception: CPUException, at address: UInt32, delivered: Bool,
                             writes: MemoryAccesses, taskSwitch: TraceEvent?) {
        scratch.removeAll()
        let line = scratch
        line.append("{\"step\":")
        line.appendDecimal(step + 1)
        line.append(",\"eip\":")
        jsonHex(address, to: line)
        line.append(",\"exception\":{\"name\":\"")
        line.appendString(exception.mnemonic)
        line.append("\",\"vector\":")
        line.appendDecimal(exception.vector)
        if let code = exception.errorCode {
            line.append(",\"error_code\":")
            jsonHex(code, to: line)
        }
        if case .pageFault(let faultAddress, _) = exception {
            line.append(",\"address\":")
            jsonHex(faultAddress, to: line)
        }
        line.append(",\"delivered\":")
        line.append(delivered ? "true" : "false")
        if delivered {
            line.append(",\"handler\":")
            jsonHex(machine.eip, to: line)
        }
        if exception != .debug, let (text, bytes) = instruction(at: address, machine: machine) {
            line.append(",\"instruction\":")
            line.appendString(StaticInfo.jsonQuoted(text))
            line.append(",\"bytes\":\"")
            line.appendString(bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined())
            line.append("\"")
        }
        line.append("},\"mem\":[")
        var cursor = line.cursor(reserving: writes.count * 104)
        cursor.putJSONWrites(writes)
        line.commit(cursor)
        line.append("]")
        if let taskSwitch {
            line.append(",\"events\":[")
            line.appendJSONEvents(CollectionOfOne(taskSwitch), vocabulary)
            line.append("]")
        }
        line.append("}\n")
        recordScratchLine()
    }

    /// An interrupt record, formatted here (interrupts are rare) and queued behind
    /// the records before it: the step it came after, the interrupted eip, the
    /// registers delivery changed (`registers`), the frame, and the events.
    func recordInterruptJSON(interrupted address: UInt32, registers: RegisterSet, events: [TraceEvent],
                             writes: MemoryAccesses) {
        scratch.removeAll()
        let line = scratch
        line.append("{\"step\":")
        line.appendDecimal(step)
        line.append(",\"eip\":")
        jsonHex(address, to: line)
        line.append(",\"sym\":")
        let symbol = symbols.locate(address).map { $0.offset == 0 ? $0.name : "\($0.name)+0x\(String($0.offset, radix: 16))" }
        line.appendString(symbol.map { StaticInfo.jsonQuoted($0) } ?? "null")
        line.append(",\"regs\":{")
        var first = true
        for (index, register) in TraceRegisters.order.enumerated() where registers.contains(register) {
            if !first { line.append(",") }
            first = false
            line.append("\"")
            line.append(TraceRegisters.names[index])
            line.append("\":\"0x")
            line.appendHex32(afterFile.pointee[register])
            line.append("\"")
        }
        line.append("},\"mem\":[")
        if configuration.includeMemory {
            var cursor = line.cursor(reserving: writes.count * 104)
            cursor.putJSONWrites(writes)
            line.commit(cursor)
        }
        line.append("],\"events\":[")
        line.appendJSONEvents(events, vocabulary)
        line.append("]}\n")
        recordScratchLine()
    }

    private func jsonHex(_ value: UInt32, to sink: ByteSink) {
        var cursor = sink.cursor(reserving: 12)
        cursor.putJSONHex(value)
        sink.commit(cursor)
    }

    // MARK: Tenet

    private static let tenetOrder: [Register] = [.eax, .ebx, .ecx, .edx, .ebp, .esp, .esi, .edi]

    /// Tenet's first line: every register, then eip.
    func writeTenetStart() {
        for register in Self.tenetOrder where shownRegisters.contains(register) {
            sink.appendString(register.name)
            sink.append("=0x")
            sink.appendString(String(beforeFile.pointee[register], radix: 16))
            sink.append(",")
        }
        sink.append("eip=0x")
        sink.appendString(String(beforeFile.pointee[.eip], radix: 16))
        sink.append("\n")
        tenetPrevious = beforeFile.pointee
    }

    /// One line per instruction: the registers it changed, eip (of the next
    /// instruction) last, then the memory it read (`mr=`) and wrote (`mw=`).
    func writeTenet(writes: MemoryAccesses, reads: MemoryAccesses) {
        for register in Self.tenetOrder where shownRegisters.contains(register) && afterFile.pointee[register] != beforeFile.pointee[register] {
            sink.appendString(register.name)
            sink.append("=0x")
            sink.appendString(String(afterFile.pointee[register], radix: 16))
            sink.append(",")
        }
        sink.append("eip=0x")
        sink.appendString(String(afterFile.pointee[.eip], radix: 16))
        if configuration.includeMemory {
            for read in reads {
                sink.append(",mr=0x")
                sink.appendString(String(read.address, radix: 16))
                sink.append(":")
                sink.appendHexBytes(read.newValue, size: Int(read.size))
            }
            for write in writes {
                sink.append(",mw=0x")
                sink.appendString(String(write.address, radix: 16))
                sink.append(":")
                sink.appendHexBytes(write.newValue, size: Int(write.size))
            }
        }
        sink.append("\n")
    }

    // MARK: QEMU

    private func qemuSegment(_ label: StaticString, _ segment: SegmentRegister) {
        sink.append(label)
        sink.appendHex(UInt64(segment.selector), digits: 4)
        sink.append(" ")
        sink.appendHex32(segment.base)
        sink.append(" ")
        sink.appendHex32(segment.limit)
        sink.append(" ")
        sink.appendHex32(UInt32(segment.attributes) << 8 & 0x00F0_FF00)
        sink.append("\n")
    }

    /// QEMU's `-d cpu` layout for the state before the instruction (without
    /// QEMU's internal CCS/CCD/CCO and EFER lines).
    func writeQEMU(_ machine: Machine) {
        let regs = beforeFile.pointee
        func labeled(_ pairs: [(StaticString, UInt32)]) {
            for (label, value) in pairs {
                sink.append(label)
                sink.appendHex32(value)
            }
        }
        labeled([("EAX=", regs[.eax]), (" EBX=", regs[.ebx]), (" ECX=", regs[.ecx]), (" EDX=", regs[.edx]),
                 ("\nESI=", regs[.esi]), (" EDI=", regs[.edi]), (" EBP=", regs[.ebp]), (" ESP=", regs[.esp]),
                 ("\nEIP=", regs[.eip]), (" EFL=", regs[.eflags])])
        sink.append(" [")
        for (bit, letter) in [(10, "D"), (11, "O"), (7, "S"), (6, "Z"), (4, "A"), (2, "P"), (0, "C")] as [(UInt32, StaticString)] {
            sink.append(regs[.eflags] & (1 << bit) != 0 ? letter : "-")
        }
        sink.append("] CPL=")
        sink.appendDecimal(machine.cpl)
        sink.append(" II=0 A20=1 SMM=0 HLT=0\n")
        let labels: [StaticString] = ["ES =", "CS =", "SS =", "DS =", "FS =", "GS ="]
        for (index, label) in labels.enumerated() {
            qemuSegment(label, machine.segment(SegmentName(rawValue: index) ?? .ds))
        }
        qemuSegment("LDT=", SegmentRegister(selector: machine.ldtr.selector, base: 0, limit: 0, attributes: 0x82))
        qemuSegment("TR =", machine.taskRegister)
        labeled([("GDT=     ", machine.gdtr.base), (" ", UInt32(machine.gdtr.limit)),
                 ("\nIDT=     ", machine.idtr.base), (" ", UInt32(machine.idtr.limit)),
                 ("\nCR0=", regs[.cr0]), (" CR2=", regs[.cr2]), (" CR3=", regs[.cr3]), (" CR4=", regs[.cr4]),
                 ("\nDR0=", regs[.dr0]), (" DR1=", regs[.dr1]), (" DR2=", regs[.dr2]), (" DR3=", regs[.dr3]),
                 (" \nDR6=", regs[.dr6]), (" DR7=", regs[.dr7])])
        sink.append("\n")
        sink.flushIfFull()
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
