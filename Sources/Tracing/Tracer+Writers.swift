import I386

/// The four formats, each writing straight into the sink.
extension Tracer {
    private static let names: [StaticString] = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                                "eip", "eflags", "es", "cs", "ss", "ds", "fs", "gs",
                                                "cr0", "cr2", "cr3", "cr4", "dr0", "dr1", "dr2", "dr3", "dr6", "dr7"]
    private static let eipSlot = 8
    private static let eflagsSlot = 9

    /// Registers to put in this record: the changed ones (eip aside), and on
    /// the first JSONL record all of them.
    @inline(__always)
    private func recordedRegisters() -> UInt32 {
        if isFirstRecord && configuration.format == .jsonl { return shownRegisters }
        return changedRegisters & shownRegisters & ~(1 << UInt32(Self.eipSlot))  // eip: the record's own field
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
        writeStatic(info.textStart, info.textLength)
        let changed = recordedRegisters()
        color("33")
        for index in 0..<Machine.registerFileCount where changed & (1 << UInt32(index)) != 0 {
            sink.append(Self.names[index])
            sink.append("=")
            sink.appendHex32(before[index])
            sink.append("->")
            sink.appendHex32(after[index])
            if index == Self.eflagsSlot {
                sink.append("[")
                sink.appendString(flagLetters(after[index]))
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
                sink.appendHexBytes(write.oldValue, size: Int(write.size))
                sink.append("->")
                sink.appendHexBytes(write.newValue, size: Int(write.size))
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
        sink.appendString(event.text)
        color("0")
        sink.append("\n")
    }

    func writeExceptionText(_ machine: Machine, _ exception: CPUException, at address: UInt32, delivered: Bool,
                            writes: MemoryAccesses) {
        sink.append("        ")
        color("31")
        sink.append("-- ")
        sink.appendString(exception.description)
        sink.append(" at ")
        sink.appendHex32(address)
        if let label = symbols.label(for: address) {
            sink.append(" ")
            sink.appendString(label)
        }
        if delivered {
            sink.append(", delivered to ")
            sink.appendHex(UInt64(machine.segments[SegmentName.cs.rawValue].selector), digits: 4)
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
                    sink.appendHexBytes(write.newValue, size: Int(write.size))
                }
            }
        }
        color("0")
        sink.append("\n")
    }

    // MARK: JSONL

    /// `text` as a JSON string: at most 2 + 6 bytes per UTF-8 byte.
    private func jsonString(_ text: String, to cursor: inout SinkCursor) {
        cursor.put(byte: UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): cursor.put("\\\"")
            case UInt8(ascii: "\\"): cursor.put("\\\\")
            case 0..<0x20:
                cursor.put("\\u00")
                cursor.putHex(UInt64(byte), digits: 2)
            default: cursor.put(byte: byte)
            }
        }
        cursor.put(byte: UInt8(ascii: "\""))
    }

    /// `"0x…"`: 12 bytes.
    private func jsonHex(_ value: UInt32, to cursor: inout SinkCursor) {
        cursor.put("\"0x")
        cursor.putHex32(value)
        cursor.put(byte: UInt8(ascii: "\""))
    }

    private func jsonHex(_ value: UInt32) {
        var cursor = sink.cursor(reserving: 12)
        jsonHex(value, to: &cursor)
        sink.commit(cursor)
    }

    /// One JSONL record, formatted through a cursor (the hot path); events, rare, go through the sink.
    func writeJSON(address: UInt32, info: StaticInfoCache.Entry, writes: MemoryAccesses) {
        // Room for everything but the events: 8 + 24 step digits, the static part
        // with its 15 bytes of copy overrun, 26 registers of at most 16 + 8 + 1
        // bytes, 26 bytes of brackets, and at most 88 bytes per write (plus an 8-byte overrun).
        var cursor = sink.cursor(reserving: info.jsonLength + 96 + 26 * 25 + writes.count * 104)
        cursor.put("{\"step\":")
        stepDigits.write(to: &cursor)
        infos.write(start: info.jsonStart, length: info.jsonLength, to: &cursor)
        var changed = recordedRegisters()
        if changed != 0 {
            while true {
                let index = changed.trailingZeroBitCount
                changed &= changed - 1
                jsonNames.write(index, to: &cursor)
                cursor.putHex32(after[index])
                cursor.put(byte: UInt8(ascii: "\""))
                if changed == 0 { break }
                cursor.put(byte: UInt8(ascii: ","))
            }
        }
        cursor.put("},\"mem\":[")
        if configuration.includeMemory { writeJSONMemory(writes, to: &cursor) }
        if events.isEmpty {
            cursor.put("],\"events\":[]}\n")
            sink.commit(cursor)
        } else {
            cursor.put("],\"events\":[")
            sink.commit(cursor)
            writeJSONEvents()
            sink.append("]}\n")
        }
    }

    /// `{"addr", "size", "old", "new"}` for each write, comma-separated: at most 88 bytes each,
    /// and the reservation must allow 8 more after the last.
    private func writeJSONMemory(_ writes: MemoryAccesses, to cursor: inout SinkCursor) {
        var first = true
        for write in writes {
            if !first { cursor.put(byte: UInt8(ascii: ",")) }
            first = false
            let size = min(Int(write.size), 8)
            cursor.put("{\"addr\":\"0x")
            cursor.putHex32(write.address)
            cursor.put("\",\"size\":")
            cursor.putDecimal(UInt64(size), maxDigits: 1)
            cursor.put(",\"old\":\"0x")
            cursor.putHexValue(write.oldValue, size: size)
            cursor.put("\",\"new\":\"0x")
            cursor.putHexValue(write.newValue, size: size)
            cursor.put("\"}")
        }
    }

    /// Memory writes through the sink (exception records).
    private func writeJSONMemory(_ writes: MemoryAccesses) {
        var cursor = sink.cursor(reserving: writes.count * 104)
        writeJSONMemory(writes, to: &cursor)
        sink.commit(cursor)
    }

    private func writeJSONEvents() {
        for (position, event) in events.enumerated() {
            // The fixed parts of an event take under 160 bytes; its strings at most 6 per byte.
            var cursor = sink.cursor(reserving: 160 + 6 * event.stringBytes)
            if position > 0 { cursor.put(byte: UInt8(ascii: ",")) }
            cursor.put("{\"kind\":\"")
            cursor.put(event.kind)
            cursor.put(byte: UInt8(ascii: "\""))
            switch event {
            case .current(let task, let comm, let pid, let threadInfo):
                cursor.put(",\"task\":")
                jsonHex(task, to: &cursor)
                cursor.put(",\"comm\":")
                jsonString(comm, to: &cursor)
                cursor.put(",\"pid\":")
                cursor.putDecimal(UInt64(pid), maxDigits: 10)
                cursor.put(",\"thread_info\":")
                jsonHex(threadInfo, to: &cursor)
            case .switchTask(let prev, let next):
                cursor.put(",\"prev\":")
                jsonString(prev, to: &cursor)
                cursor.put(",\"next\":")
                jsonString(next, to: &cursor)
            case .stackWarning(let esp, let threadInfo, let distance):
                cursor.put(",\"esp\":")
                jsonHex(esp, to: &cursor)
                cursor.put(",\"thread_info\":")
                jsonHex(threadInfo, to: &cursor)
                cursor.put(",\"distance\":")
                if distance < 0 { cursor.put(byte: UInt8(ascii: "-")) }
                cursor.putDecimal(UInt64(distance.magnitude), maxDigits: 20)
            case .privilege(let from, let to):
                cursor.put(",\"from\":")
                cursor.putDecimal(UInt64(from.magnitude), maxDigits: 20)
                cursor.put(",\"to\":")
                cursor.putDecimal(UInt64(to.magnitude), maxDigits: 20)
            case .segmentLoad(let name, let selector):
                cursor.put(",\"register\":")
                jsonString(name, to: &cursor)
                cursor.put(",\"selector\":")
                jsonHex(selector, to: &cursor)
            case .tssESP0(let value):
                cursor.put(",\"value\":")
                jsonHex(value, to: &cursor)
            case .userMode(let esp):
                cursor.put(",\"esp\":")
                jsonHex(esp, to: &cursor)
            case .halt:
                break
            }
            cursor.put(byte: UInt8(ascii: "}"))
            sink.commit(cursor)
        }
    }

    func writeExceptionJSON(_ machine: Machine, _ exception: CPUException, at address: UInt32, delivered: Bool,
                            writes: MemoryAccesses) {
        sink.append("{\"step\":")
        sink.appendDecimal(step + 1)
        sink.append(",\"eip\":")
        jsonHex(address)
        sink.append(",\"exception\":{\"name\":\"")
        sink.appendString(exception.mnemonic)
        sink.append("\",\"vector\":")
        sink.appendDecimal(exception.vector)
        if let code = exception.errorCode {
            sink.append(",\"error_code\":")
            jsonHex(code)
        }
        if case .pageFault(let faultAddress, _) = exception {
            sink.append(",\"address\":")
            jsonHex(faultAddress)
        }
        sink.append(",\"delivered\":")
        sink.append(delivered ? "true" : "false")
        if delivered {
            sink.append(",\"handler\":")
            jsonHex(machine.eip)
        }
        sink.append("},\"mem\":[")
        writeJSONMemory(writes)
        sink.append("]}\n")
    }

    // MARK: Tenet

    private static let tenetSlots = [0, 3, 1, 2, 5, 4, 6, 7]  // eax ebx ecx edx ebp esp esi edi

    /// Tenet's first line: every register, then eip.
    func writeTenetStart() {
        for slot in Self.tenetSlots where shownRegisters & (1 << UInt32(slot)) != 0 {
            sink.append(Self.names[slot])
            sink.append("=0x")
            sink.appendString(String(before[slot], radix: 16))
            sink.append(",")
        }
        sink.append("eip=0x")
        sink.appendString(String(before[Self.eipSlot], radix: 16))
        sink.append("\n")
        tenetPrevious = Array(UnsafeBufferPointer(start: before, count: Machine.registerFileCount))
    }

    /// One line per instruction: the registers it changed, eip (of the next
    /// instruction) last, then the memory it read (`mr=`) and wrote (`mw=`).
    func writeTenet(writes: MemoryAccesses, reads: MemoryAccesses) {
        for slot in Self.tenetSlots where shownRegisters & (1 << UInt32(slot)) != 0 && after[slot] != before[slot] {
            sink.append(Self.names[slot])
            sink.append("=0x")
            sink.appendString(String(after[slot], radix: 16))
            sink.append(",")
        }
        sink.append("eip=0x")
        sink.appendString(String(after[Self.eipSlot], radix: 16))
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
        let regs = before
        func labeled(_ pairs: [(StaticString, UInt32)]) {
            for (label, value) in pairs {
                sink.append(label)
                sink.appendHex32(value)
            }
        }
        labeled([("EAX=", regs[0]), (" EBX=", regs[3]), (" ECX=", regs[1]), (" EDX=", regs[2]),
                 ("\nESI=", regs[6]), (" EDI=", regs[7]), (" EBP=", regs[5]), (" ESP=", regs[4]),
                 ("\nEIP=", regs[8]), (" EFL=", regs[9])])
        sink.append(" [")
        for (bit, letter) in [(10, "D"), (11, "O"), (7, "S"), (6, "Z"), (4, "A"), (2, "P"), (0, "C")] as [(UInt32, StaticString)] {
            sink.append(regs[9] & (1 << bit) != 0 ? letter : "-")
        }
        sink.append("] CPL=")
        sink.appendDecimal(machine.cpl)
        sink.append(" II=0 A20=1 SMM=0 HLT=0\n")
        let labels: [StaticString] = ["ES =", "CS =", "SS =", "DS =", "FS =", "GS ="]
        for (index, label) in labels.enumerated() { qemuSegment(label, machine.segments[index]) }
        qemuSegment("LDT=", SegmentRegister(selector: machine.ldtr, base: 0, limit: 0, attributes: 0x82))
        qemuSegment("TR =", machine.taskSegment)
        labeled([("GDT=     ", machine.gdtr.base), (" ", UInt32(machine.gdtr.limit)),
                 ("\nIDT=     ", machine.idtr.base), (" ", UInt32(machine.idtr.limit)),
                 ("\nCR0=", regs[16]), (" CR2=", regs[17]), (" CR3=", regs[18]), (" CR4=", regs[19]),
                 ("\nDR0=", regs[20]), (" DR1=", regs[21]), (" DR2=", regs[22]), (" DR3=", regs[23]),
                 (" \nDR6=", regs[24]), (" DR7=", regs[25])])
        sink.append("\n")
        sink.flushIfFull()
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
