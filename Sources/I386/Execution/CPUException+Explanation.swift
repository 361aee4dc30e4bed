/// What an exception means, in the SDM's words: its name (Vol. 3A Table 6-1)
/// and the cause its error code encodes (§6.13 for selector error codes,
/// §4.7 for page faults).
extension CPUException {
    /// The SDM's name: "General Protection", "Page Fault", …
    public var name: String {
        switch self {
        case .divideError: "Divide Error"
        case .debug: "Debug"
        case .breakpoint: "Breakpoint"
        case .overflow: "Overflow"
        case .boundRangeExceeded: "BOUND Range Exceeded"
        case .invalidOpcode: "Invalid Opcode"
        case .deviceNotAvailable: "Device Not Available"
        case .doubleFault: "Double Fault"
        case .invalidTSS: "Invalid TSS"
        case .segmentNotPresent: "Segment Not Present"
        case .stackFault: "Stack-Segment Fault"
        case .generalProtection: "General Protection"
        case .pageFault: "Page Fault"
        default: mnemonic
        }
    }

    /// One line decoded from the error code, or nil when there is none to decode
    /// (no error code, or 0 for a selector error code). `idtLimit` is IDTR's limit
    /// when the exception was raised: an IDT-vector error code says whether the
    /// vector lies beyond it, or that no IDT is loaded.
    public func cause(idtLimit: UInt16) -> String? {
        switch self {
        case .pageFault(let address, let code):
            let access = code & 0x10 != 0 ? "instruction fetch" : (code & 2 != 0 ? "write" : "read")
            let mode = code & 4 != 0 ? "user mode" : "supervisor mode"
            var text = "\(access) of linear address 0x\(hex8(address)) in \(mode): "
            text += code & 1 != 0 ? "protection violation (the page is present)" : "page not present"
            if code & 8 != 0 { text += ", reserved bit set in a paging entry" }
            return text
        case .invalidTSS(let code), .segmentNotPresent(let code), .stackFault(let code), .generalProtection(let code):
            return Self.selectorCause(code, idtLimit: idtLimit)
        default:
            return nil
        }
    }

    /// A selector error code: EXT (bit 0), IDT (bit 1), TI (bit 2), index (bits 3–15).
    private static func selectorCause(_ code: UInt32, idtLimit: UInt16) -> String? {
        guard code != 0 else { return nil }
        let external = code & 1 != 0 ? ", external event (EXT)" : ""
        let index = (code >> 3) & 0x1FFF
        if code & 2 != 0 {
            let where_: String
            if idtLimit == 0 {
                where_ = "no IDT loaded (IDTR limit 0)"
            } else if UInt32(index) &* 8 &+ 7 > UInt32(idtLimit) {
                where_ = "beyond the IDT limit 0x\(String(idtLimit, radix: 16))"
            } else {
                where_ = "the gate (IDT index \(index))"
            }
            return "vector 0x\(String(index, radix: 16)) in the IDT: \(where_)\(external)"
        }
        let digits = String(code & 0xFFFC, radix: 16)
        let selector = "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return "selector \(selector): \(code & 4 != 0 ? "LDT" : "GDT") index \(index)\(external)"
    }
}

extension CPUException {
    /// The mnemonic with the SDM name, then the error code (and for #PF the
    /// address): "#GP (General Protection) error code 0x402".
    public var summary: String {
        var text = "\(mnemonic) (\(name))"
        if case .pageFault(let address, let code) = self {
            text += " at linear address 0x\(hex8(address)), error code 0x\(String(code, radix: 16))"
        } else if let code = errorCode {
            text += " error code 0x\(String(code, radix: 16))"
        }
        return text
    }
}
