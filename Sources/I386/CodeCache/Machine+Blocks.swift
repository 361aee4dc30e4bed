import X86Decoding

/// Building blocks: decode straight-line code at eip once, through the
/// fetch translation, into ops kept in the block cache.
extension Machine {
    /// The block at `eip` for the current privilege class: from the hash
    /// table if the bytes there were decoded before, else decoded now.
    /// Throws the fault of fetching the first instruction.
    ///
    /// `passingStop` builds a block of the one instruction at eip even when
    /// eip is a stop address, outside the cache (`BlockCache.makeTransient`):
    /// the caller runs it once and releases it (a debugger resuming from a breakpoint).
    func buildBlock(at eip: UInt32, passingStop: Bool = false) throws(CPUException) -> UnsafeMutablePointer<Block> {
        let user = cpl == 3
        let codeBase = segments[SegmentName.cs.rawValue].base
        let linear = codeBase &+ eip
        let physical = try translateFetch(linear)
        if !passingStop, let block = blocks.find(physical: physical, eip: eip), tailStillMaps(block) {
            blocks.remember(block, user: user)
            return block
        }
        var ops: [Op] = []
        ops.reserveCapacity(16)
        if !passingStop && blocks.isStop(eip) {
            // A stop address: its block is one op that ends the run there.
            var stop = Op()
            stop.kind = .stop
            stop.address = eip
            ops.append(stop)
        }
        var address = eip
        var tailFrame = Block.noFrame
        var tailPage: UInt32 = 0
        let firstPage = linear >> 12
        while ops.count < BlockCache.maxOps && ops.first?.kind != .stop {
            let instructionLinear = codeBase &+ address
            guard instructionLinear >> 12 == firstPage else { break }  // the next page starts a new block
            if address != eip && blocks.isStop(address) { break }
            let fetched: FetchedBytes
            do {
                fetched = try fetchInstructionBytes(at: instructionLinear, firstPhysical: physical)
            } catch {
                if ops.isEmpty { throw error }
                break  // the instruction faults when it is reached: its own block raises it
            }
            var op: Op
            do {
                let instruction = try decoder.decode(fetchBuffer, address: address)
                op = OpTranslator.translate(instruction)
            } catch {
                // Bytes that do not decode are #UD when executed (#GP(0) past
                // 15 bytes); a fetch that ran into an unfetchable page first
                // faults there, as the CPU would.
                if let fault = fetched.tailFault {
                    if ops.isEmpty { throw fault }
                    break
                }
                op = Op()
                if case .tooLong = error {
                    op.kind = .tooLong
                    op.length = 15
                } else {
                    op.kind = .undecodable
                    op.length = 1
                }
                op.address = address
            }
            // An instruction that needs the exact time runs as a block of its own.
            let offsetInPage = instructionLinear & 0xFFF
            let reachesDevice = op.needsExactTime
                || blocks.deviceAccessAddresses.contains((physical & ~0xFFF) | offsetInPage)
            if reachesDevice && !ops.isEmpty { break }
            let length = Int(op.length)
            let offset = Int(instructionLinear & 0xFFF)
            let physicalAddress = (physical & ~0xFFF) | UInt32(offset)
            physicalMemory.markCode(frame: Int(physicalAddress >> 12), offset: offset, length: min(length, 4096 - offset))
            if offset + length > 4096, let tail = fetched.tailPhysical {
                physicalMemory.markCode(frame: Int(tail >> 12), offset: 0, length: offset + length - 4096)
                tailFrame = tail >> 12
                tailPage = (instructionLinear >> 12) &+ 1
            }
            ops.append(op)
            address = address &+ UInt32(max(length, 1))
            if op.endsBlock || reachesDevice || offset + length >= 4096 || passingStop { break }
        }
        if passingStop {
            return ops.withUnsafeBufferPointer { blocks.makeTransient(eip: eip, physical: physical, ops: $0) }
        }
        let block = ops.withUnsafeBufferPointer { buffer in
            blocks.insert(eip: eip, physical: physical, tailFrame: tailFrame, tailPage: tailPage, ops: buffer)
        }
        blocks.remember(block, user: user)
        return block
    }

    /// True when the page a block's last instruction straddles into still maps to the same frame.
    private func tailStillMaps(_ block: UnsafeMutablePointer<Block>) -> Bool {
        guard block.pointee.tailFrame != Block.noFrame else { return true }
        guard let physical = try? translateFetch(block.pointee.tailPage << 12) else { return false }
        return physical >> 12 == block.pointee.tailFrame
    }

    /// An instruction's bytes, and what the page after them held.
    struct FetchedBytes {
        /// The physical address of the first byte past the first page, when fetched.
        var tailPhysical: UInt32?
        /// Why bytes past the first page could not be fetched, if they could not.
        var tailFault: CPUException?
    }

    /// Reads up to 15 bytes from `linear` into `fetchBuffer`: those left in
    /// its page, then, if fewer than 15, from the next page when it can be fetched.
    private func fetchInstructionBytes(at linear: UInt32, firstPhysical: UInt32) throws(CPUException) -> FetchedBytes {
        fetchBuffer.removeAll(keepingCapacity: true)
        let physical = (firstPhysical & ~0xFFF) | (linear & 0xFFF)
        guard let host = physicalMemory.frames[Int(physical >> 12)] else {
            throw .pageFault(address: linear, errorCode: userAccess ? 4 : 0)
        }
        let offset = Int(physical & 0xFFF)
        let inPage = min(15, 4096 - offset)
        for index in 0..<inPage { fetchBuffer.append(host.load(fromByteOffset: offset + index, as: UInt8.self)) }
        var fetched = FetchedBytes()
        guard inPage < 15 else { return fetched }
        let nextLinear = (linear | 0xFFF) &+ 1
        guard nextLinear != 0 else { return fetched }
        do {
            let next = try translateFetch(nextLinear)
            fetched.tailPhysical = next
            if let tail = physicalMemory.frames[Int(next >> 12)] {
                for index in 0..<(15 - inPage) { fetchBuffer.append(tail.load(fromByteOffset: index, as: UInt8.self)) }
            }
        } catch {
            fetched.tailFault = error
        }
        return fetched
    }

    /// The instruction at `address` as text, for messages ("movl %eax, (%ebx)").
    public func describe(_ address: UInt32) -> String {
        guard let bytes = try? read(address, count: 15), !bytes.isEmpty,
              let instruction = try? decoder.decode(bytes, address: address) else {
            return "0x\(hex8(address)): (undecodable)"
        }
        let text = instruction.bytes.map { hex2($0) }.joined(separator: " ")
        return "0x\(hex8(address)): \(instruction.text) (\(text))"
    }

    /// The bytes of the instruction at `address` (up to `length`, stopping at
    /// unreadable memory), for #UD reports.
    func instructionBytes(_ address: UInt32, length: Int) -> InstructionBytes {
        var bytes: [UInt8] = []
        for offset in 0..<max(1, min(length, 15)) {
            guard let byte = try? read(address &+ UInt32(offset), count: 1) else { break }
            bytes += byte
        }
        return InstructionBytes(bytes)
    }
}
