import I386
import Testing

/// The x87 as the interpreter runs it: #NM by CR0.EM, TS and MP; #MF at the
/// next waiting instruction with CR0.NE set, and what NE = 0 does; the
/// last-instruction pointers; memory faults that leave the FPU untouched;
/// fxsave's alignment and fxrstor's MXCSR check; snapshots.
@Suite struct X87InterpreterTests {
    static let data = Snippet.data

    @Test func arithmeticAndStoresGoThroughGuestMemory() throws {
        let snippet = try Snippet("""
            fninit
            fldl \(Self.data)
            faddl \(Self.data + 8)
            fstpl \(Self.data + 16)
            fildl \(Self.data + 24)
            fistps \(Self.data + 28)
            """)
        try snippet.machine.write([0, 0, 0, 0, 0, 0, 0xF8, 0x3F] + [0, 0, 0, 0, 0, 0, 2, 0x40] + [UInt8](repeating: 0, count: 8)
                                  + [0x39, 0x30, 0, 0], at: Self.data)  // 1.5, 2.25, -, 12345
        #expect(snippet.run() == .endOfCode)
        #expect(try snippet.machine.read(Self.data + 16, count: 8) == [0, 0, 0, 0, 0, 0, 0x0E, 0x40])  // 3.75
        #expect(try snippet.machine.read(Self.data + 28, count: 2) == [0x39, 0x30])
        let fpu = snippet.machine.cpuState.x87
        #expect(fpu.top == 0 && fpu.isEmpty(st: 0) && fpu.statusWord.rawValue == 0)
    }

    @Test func theLastInstructionPointersFollowNonControlInstructions() throws {
        let snippet = try Snippet("""
            fninit
            flds \(Self.data)
            here: fld1
            fnstcw \(Self.data + 8)
            fnstenv \(Self.data + 32)
            """)
        #expect(snippet.run() == .endOfCode)
        let environment = try snippet.machine.read(Self.data + 32, count: 28)
        func doubleword(_ offset: Int) -> UInt32 {
            (0..<4).reduce(0) { $0 | UInt32(environment[offset + $1]) << (8 * UInt32($1)) }
        }
        // fld1 (D9 E8) was last: FIP at it, FOP 0x1E8; FDP still flds's operand.
        #expect(doubleword(12) == Snippet.origin + 2 + 6)
        #expect(doubleword(16) == 0x01E8_0000 | snippet.machine[.cs])
        #expect(doubleword(20) == Self.data)
        #expect(doubleword(24) & 0xFFFF == snippet.machine[.ds])
    }

    @Test func emulationOrTaskSwitchedRaiseDeviceNotAvailable() throws {
        for (cr0Bits, instruction, faults) in [(UInt32(0x4), "fld1", true), (0x8, "fld1", true), (0x8, "fwait", false),
                                               (0xA, "fwait", true), (0x4, "fwait", false), (0x8, "fxsave \(Self.data)", true),
                                               (0x4, "fnstsw %ax", true)] {
            let snippet = try Snippet(instruction)
            snippet.machine[.cr0] = snippet.machine[.cr0] | cr0Bits
            let stop = snippet.run()
            if faults {
                #expect(stop == .exception(.deviceNotAvailable), "CR0 bits \(cr0Bits): \(instruction)")
            } else {
                #expect(stop == .endOfCode, "CR0 bits \(cr0Bits): \(instruction)")
            }
        }
        // fninit itself is an x87 instruction: EM faults it before anything changes.
        let snippet = try Snippet("fninit")
        snippet.machine[.cr0] = snippet.machine[.cr0] | 0x4
        #expect(snippet.run() == .exception(.deviceNotAvailable))
        #expect(snippet.machine.eip == Snippet.origin)
    }

    @Test func aPendingExceptionRaisesMathFaultAtTheNextWaitingInstruction() throws {
        let program = try SystemProgram("""
                GATE 16, mf_handler
                LOAD_IDT
                movl %cr0, %eax
                orl $0x22, %eax          # NE, MP
                movl %eax, %cr0
                fninit
                fldcw unmask_zero_divide
                fldz
                fld1
                fdiv %st(1), %st         # 1/0 with ZE unmasked: nothing written, ES set
                fnstsw %ax               # does not wait
                movw %ax, status
            faulting:
                fld1                     # waits: #MF here, then again after the handler
                fnstsw %ax
                movw %ax, status_after
                hlt
            mf_handler:
                incl mf_count
                movl (%esp), %edx
                movl %edx, mf_eip
                fnclex
                iret
            .data
            unmask_zero_divide: .word 0x037B
            status: .word 0
            status_after: .word 0
            mf_count: .long 0
            mf_eip: .long 0
            """)
        #expect(program.run() == .halted)
        #expect(try program.word(program.symbol("mf_count")) == 1)
        #expect(try program.word(program.symbol("mf_eip")) == program.symbol("faulting"))
        let status = try program.word(program.symbol("status")) & 0xFFFF
        #expect(status & 0x8084 == 0x8084)  // B, ES, ZE
        let after = try program.word(program.symbol("status_after")) & 0xFFFF
        #expect(after & 0x80FF == 0 && (after >> 11) & 7 == 5)  // cleared, three registers in use
        #expect(program.machine.deliveredEvents.contains { $0.vector == 16 && $0.errorCode == nil })
    }

    @Test func withNumericErrorClearAPendingExceptionIsIgnored() throws {
        let snippet = try Snippet("""
            fninit
            fldcw \(Self.data)
            fldz
            fld1
            fdiv %st(1), %st
            fld1
            fstps \(Self.data + 4)
            """)
        try snippet.machine.write([0x7B, 0x03], at: Self.data)
        #expect(snippet.machine[.cr0] & 0x20 == 0)
        #expect(snippet.run() == .endOfCode)  // as with IGNNE# asserted: no #MF, no FERR#
        #expect(try snippet.word(Self.data + 4) == 0x3F80_0000)
        let fpu = snippet.machine.cpuState.x87
        #expect(fpu.isExceptionPending && fpu.statusWord.exceptions.contains(.zeroDivide))
    }

    /// A store that faults (here on its second page) changes neither memory
    /// nor the FPU: no pop, no flags, no pointers, fnsave does not reinitialize.
    @Test func faultingStoresLeaveTheFPUUnchanged() throws {
        let end = Self.data + 0x10000
        for (store, address) in [("fstpl", end - 4), ("fistpll", end - 6), ("fstpt", end - 2), ("fbstp", end - 8),
                                  ("fnsave", end - 100), ("fnstenv", end - 20), ("fxsave", end - 256),
                                  ("fnstcw", end - 1)] {
            let snippet = try Snippet("fninit; fldpi; fld1; fcom %st(1); \(store) \(address)")
            #expect(snippet.run(maxSteps: 4) == .stepLimit)
            let before = snippet.machine.cpuState.x87
            let stop = snippet.run()
            #expect(stop == .exception(.pageFault(address: end, errorCode: 2)), "\(store)")
            #expect(snippet.machine.cpuState.x87 == before, "\(store) changed the FPU")
            #expect(try snippet.machine.read(address, count: Int(end - address)).allSatisfy { $0 == 0 }, "\(store)")
        }
        // Loads, which run on the FPU state in place: the fault comes before
        // any change, the last-instruction pointers included.
        for (load, address) in [("fldl", end - 4), ("frstor", end - 4), ("fldenv", end - 4), ("fxrstor", end - 256),
                                ("faddl", end - 4), ("fildll", end - 4), ("fbld", end - 4), ("fcompl", end - 4),
                                ("fimuls", end - 1), ("fldcw", end - 1)] {
            let snippet = try Snippet("fninit; fldpi; \(load) \(address)")
            #expect(snippet.run(maxSteps: 2) == .stepLimit)
            let before = snippet.machine.cpuState.x87
            #expect(snippet.run() == .exception(.pageFault(address: end, errorCode: 0)), "\(load)")
            #expect(snippet.machine.cpuState.x87 == before, "\(load) changed the FPU")
        }
    }

    @Test func fxsaveAndFxrstorNeedSixteenByteAlignment() throws {
        for instruction in ["fxsave", "fxrstor"] {
            let snippet = try Snippet("fninit; fld1; \(instruction) \(Self.data + 8)")
            #expect(snippet.run() == .exception(.generalProtection(errorCode: 0)), "\(instruction)")
            #expect(snippet.machine.cpuState.x87.top == 7)
        }
    }

    @Test func fxrstorRefusesReservedMXCSRBits() throws {
        let snippet = try Snippet("fninit; fld1; fxsave \(Self.data); orl $0x40, \(Self.data + 24); fninit; fxrstor \(Self.data)")
        #expect(snippet.run() == .exception(.generalProtection(errorCode: 0)))  // DAZ: not in a P6's MXCSR_MASK
        #expect(snippet.machine.cpuState.x87.top == 0 && snippet.machine.cpuState.x87.isEmpty(st: 0))
        let fits = try Snippet("fninit; fld1; fxsave \(Self.data); fninit; fxrstor \(Self.data)")
        #expect(fits.run() == .endOfCode)
        #expect(fits.machine.cpuState.x87.top == 7 && fits.machine.cpuState.x87.st(0) == .one)
    }

    /// X87State holds nothing on the heap (the XMM area is inline): an x87
    /// store's copy of it, and a snapshot's, involve no reference counting.
    @Test func theFPUStateIsAPlainValue() {
        #expect(_isPOD(X87State.self))
        var state = X87State()
        state.xmmArea = [1, 2, 3]
        #expect(state.xmmArea == [1, 2, 3] + [UInt8](repeating: 0, count: 125))
        state.xmmArea = [UInt8](repeating: 7, count: 200)
        #expect(state.xmmArea == [UInt8](repeating: 7, count: 128))
    }

    @Test func snapshotsHoldTheFPU() throws {
        let snippet = try Snippet("fninit; fldpi; fldl2e; fmul %st(1), %st; fsqrt; fstpl \(Self.data)")
        #expect(snippet.run(maxSteps: 3) == .stepLimit)
        let saved = snippet.machine.cpuState
        #expect(snippet.run() == .endOfCode)
        let result = try snippet.machine.read(Self.data, count: 8)
        #expect(snippet.machine.cpuState.x87 != saved.x87)
        snippet.machine.restore(saved)
        #expect(snippet.machine.cpuState.x87 == saved.x87)
        try snippet.machine.write([UInt8](repeating: 0, count: 8), at: Self.data)
        #expect(snippet.run() == .endOfCode)
        #expect(try snippet.machine.read(Self.data, count: 8) == result)
    }

    @Test func reservedEncodingsAndFisttpAreInvalidOpcodes() throws {
        for bytes in ["d9 d1", "d9 e2", "db e5", "df e1", "dd 08", "db 08"] {
            let machine = try Machine()
            machine.map(0x1000, size: 0x1000)
            machine.map(0, size: 0x1000)
            let code = bytes.split(separator: " ").compactMap { UInt8($0, radix: 16) }
            try machine.write(code, at: 0x1000)
            machine.eip = 0x1000
            guard case .exception(.invalidOpcode) = machine.run(maxSteps: 1) else {
                Issue.record("\(bytes) is not #UD")
                continue
            }
        }
    }
}
