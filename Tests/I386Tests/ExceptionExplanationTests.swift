import Testing
@testable import I386

/// Issue 16, item 4: every exception has its SDM name and a cause decoded from its error code.
@Suite struct ExceptionExplanationTests {
    @Test(arguments: [
        (CPUException.divideError, "Divide Error"),
        (.debug, "Debug"),
        (.breakpoint, "Breakpoint"),
        (.overflow, "Overflow"),
        (.boundRangeExceeded, "BOUND Range Exceeded"),
        (.invalidOpcode(bytes: []), "Invalid Opcode"),
        (.deviceNotAvailable, "Device Not Available"),
        (.doubleFault, "Double Fault"),
        (.invalidTSS(errorCode: 0), "Invalid TSS"),
        (.segmentNotPresent(errorCode: 0), "Segment Not Present"),
        (.stackFault(errorCode: 0), "Stack-Segment Fault"),
        (.generalProtection(errorCode: 0), "General Protection"),
        (.pageFault(address: 0, errorCode: 0), "Page Fault"),
    ])
    func everyExceptionHasItsSDMName(exception: CPUException, name: String) {
        #expect(exception.name == name)
    }

    @Test func selectorErrorCodesAreDecoded() {
        #expect(CPUException.generalProtection(errorCode: 0x402).cause(idtLimit: 0)
                == "vector 0x80 in the IDT: no IDT loaded (IDTR limit 0)")
        #expect(CPUException.generalProtection(errorCode: 0x402).cause(idtLimit: 0x7ff)
                == "vector 0x80 in the IDT: the gate (IDT index 128)")
        #expect(CPUException.generalProtection(errorCode: 0x402).cause(idtLimit: 0x3ff)
                == "vector 0x80 in the IDT: beyond the IDT limit 0x3ff")
        #expect(CPUException.generalProtection(errorCode: 0x40a).cause(idtLimit: 0xff)
                == "vector 0x81 in the IDT: beyond the IDT limit 0xff")
        #expect(CPUException.generalProtection(errorCode: 0x1234).cause(idtLimit: 0x7ff)
                == "selector 0x1234: LDT index 582")
        #expect(CPUException.segmentNotPresent(errorCode: 0x69).cause(idtLimit: 0x7ff)
                == "selector 0x0068: GDT index 13, external event (EXT)")
        #expect(CPUException.generalProtection(errorCode: 0).cause(idtLimit: 0) == nil)
    }

    @Test func pageFaultBitsAreDecoded() {
        #expect(CPUException.pageFault(address: 0x50000000, errorCode: 0).cause(idtLimit: 0)
                == "read of linear address 0x50000000 in supervisor mode: page not present")
        #expect(CPUException.pageFault(address: 0x1000, errorCode: 7).cause(idtLimit: 0)
                == "write of linear address 0x00001000 in user mode: protection violation (the page is present)")
        #expect(CPUException.pageFault(address: 0x1000, errorCode: 0x10).cause(idtLimit: 0)
                == "instruction fetch of linear address 0x00001000 in supervisor mode: page not present")
    }
}
