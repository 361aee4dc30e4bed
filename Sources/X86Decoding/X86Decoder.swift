import CCapstone
import Synchronization

/// Serialises every Capstone call in the process. Capstone 4's x86 backend
/// sorts a global register table lazily on first use (capstone-engine/capstone
/// #1647), so separate handles on separate threads can corrupt each other's
/// operands. kstep decodes each address once, so the lock costs nothing that matters.
let capstoneLock = Mutex(())

/// Decodes i386 machine code with Capstone.
///
/// Operands always come from a Capstone handle in Intel syntax, because
/// Capstone's AT&T mode reverses operand order for some instructions and not
/// for others (far jumps); text in AT&T syntax comes from a second handle.
/// A decoder is not thread-safe; give each thread its own.
public final class X86Decoder {
    /// The syntax of `DecodedInstruction.text`.
    public let syntax: AssemblySyntax

    private var handle: csh = 0
    private let scratch: UnsafeMutablePointer<cs_insn>
    private var textHandle: csh = 0
    private let textScratch: UnsafeMutablePointer<cs_insn>?
    private let mnemonicTable: [X86Mnemonic]
    private let registerTable: [X86Register]

    /// Opens Capstone in i386 mode with instruction detail on.
    public init(syntax: AssemblySyntax = .att) throws(DecoderSetupError) {
        self.syntax = syntax
        let (handle, scratch) = try Self.open(syntax: .intel, detail: true)
        self.handle = handle
        self.scratch = scratch
        if syntax == .att {
            do {
                (textHandle, textScratch) = try Self.open(syntax: .att, detail: false)
            } catch {
                var failed = handle
                cs_free(scratch, 1)
                cs_close(&failed)
                throw error
            }
        } else {
            textScratch = nil
        }
        (mnemonicTable, registerTable) = capstoneLock.withLock { _ in
            (Self.makeMnemonicTable(handle), Self.makeRegisterTable(handle))
        }
    }

    deinit {
        cs_free(scratch, 1)
        cs_close(&handle)
        if let textScratch {
            cs_free(textScratch, 1)
            cs_close(&textHandle)
        }
    }

    private static func open(syntax: AssemblySyntax, detail: Bool) throws(DecoderSetupError)
        -> (csh, UnsafeMutablePointer<cs_insn>)
    {
        let opened: Result<(csh, UnsafeMutablePointer<cs_insn>), DecoderSetupError> = capstoneLock.withLock { _ in
            var handle: csh = 0
            let openStatus = cs_open(CS_ARCH_X86, CS_MODE_32, &handle)
            guard openStatus == CS_ERR_OK else { return .failure(DecoderSetupError(code: Int(openStatus.rawValue))) }
            cs_option(handle, CS_OPT_DETAIL, Int((detail ? CS_OPT_ON : CS_OPT_OFF).rawValue))
            let syntaxValue = syntax == .att ? CS_OPT_SYNTAX_ATT : CS_OPT_SYNTAX_INTEL
            let syntaxStatus = cs_option(handle, CS_OPT_SYNTAX, Int(syntaxValue.rawValue))
            guard syntaxStatus == CS_ERR_OK, let scratch = cs_malloc(handle) else {
                cs_close(&handle)
                return .failure(DecoderSetupError(code: Int(syntaxStatus.rawValue)))
            }
            return .success((handle, scratch))
        }
        return try opened.get()
    }

    /// Decodes the instruction at the start of `bytes`, located at `address`,
    /// as the modelled P6 decodes it (Capstone, with the corrections in
    /// `X86Decoder+P6.swift`).
    public func decode(_ bytes: UnsafeRawBufferPointer, address: UInt32) throws(DecodeError) -> DecodedInstruction {
        guard bytes.baseAddress != nil, bytes.count > 0 else { throw .empty(address: address) }
        let decoded = capstoneLock.withLock { _ in decodeAsP6(bytes, address: address) }
        return try decoded.get()
    }

    /// Capstone's decoding of the instruction at the start of `bytes`
    /// (operands from the detail handle; text in the decoder's syntax).
    /// Call with `capstoneLock` held.
    func capstoneDecode(_ bytes: UnsafeRawBufferPointer, address: UInt32) -> DecodedInstruction? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        var code: UnsafePointer<UInt8>? = base.assumingMemoryBound(to: UInt8.self)
        var remaining = bytes.count
        var pc = UInt64(address)
        guard cs_disasm_iter(handle, &code, &remaining, &pc, scratch) else { return nil }
        var instruction = convert(scratch.pointee, address: address)
        if let textScratch {
            var textCode: UnsafePointer<UInt8>? = base.assumingMemoryBound(to: UInt8.self)
            var textRemaining = bytes.count
            var textPC = UInt64(address)
            if cs_disasm_iter(textHandle, &textCode, &textRemaining, &textPC, textScratch) {
                instruction.syntaxMnemonic = withUnsafeBytes(of: textScratch.pointee.mnemonic) { Self.string(fromCString: $0) }
                instruction.operandText = withUnsafeBytes(of: textScratch.pointee.op_str) { Self.string(fromCString: $0) }
            }
        }
        return instruction
    }

    /// `capstoneDecode` of an array of bytes. Call with `capstoneLock` held.
    func capstoneDecode(_ bytes: [UInt8], address: UInt32) -> DecodedInstruction? {
        bytes.withUnsafeBytes { capstoneDecode($0, address: address) }
    }

    /// Decodes the instruction at the start of `bytes`, located at `address`.
    public func decode(_ bytes: [UInt8], address: UInt32) throws(DecodeError) -> DecodedInstruction {
        var result: Result<DecodedInstruction, DecodeError> = .failure(.empty(address: address))
        bytes.withUnsafeBytes { buffer in
            do throws(DecodeError) {
                result = .success(try decode(buffer, address: address))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// Decodes a run of code: one entry per instruction, and one failure per
    /// undecodable byte (decoding resumes at the next byte, as objdump does).
    public func decodeAll(_ bytes: [UInt8], address: UInt32) -> [Result<DecodedInstruction, DecodeError>] {
        var results: [Result<DecodedInstruction, DecodeError>] = []
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let here = address &+ UInt32(truncatingIfNeeded: offset)
                let slice = UnsafeRawBufferPointer(rebasing: buffer[offset...])
                do throws(DecodeError) {
                    let instruction = try decode(slice, address: here)
                    results.append(.success(instruction))
                    offset += instruction.length
                } catch {
                    results.append(.failure(.invalidInstruction(address: here, bytes: [buffer[offset]])))
                    offset += 1
                }
            }
        }
        return results
    }

    // MARK: Converting Capstone's view

    private func convert(_ insn: cs_insn, address: UInt32) -> DecodedInstruction {
        let length = Int(insn.size)
        let bytes = withUnsafeBytes(of: insn.bytes) { Array($0.prefix(length)) }
        let mnemonicText = withUnsafeBytes(of: insn.mnemonic) { Self.string(fromCString: $0) }
        let operandText = withUnsafeBytes(of: insn.op_str) { Self.string(fromCString: $0) }
        let name = cs_insn_name(handle, insn.id).map { String(cString: $0) } ?? mnemonicText
        let mnemonic = Int(insn.id) < mnemonicTable.count ? mnemonicTable[Int(insn.id)] : .other

        var instruction = DecodedInstruction(
            address: address, bytes: bytes, mnemonic: mnemonic, name: name,
            syntaxMnemonic: mnemonicText, operandText: operandText, operands: [],
            prefixes: [], segmentOverride: nil, opcode: [], modRM: 0, hasModRM: false,
            flagEffects: X86FlagEffects())
        guard let x86 = kstep_x86_detail(scratch)?.pointee else { return instruction }

        let prefixBytes = withUnsafeBytes(of: x86.prefix) { Array($0) }
        var prefixes: X86Prefixes = []
        for prefix in prefixBytes {
            switch prefix {
            case 0xF0: prefixes.insert(.lock)
            case 0xF3: prefixes.insert(.rep)
            case 0xF2: prefixes.insert(.repne)
            case 0x66: prefixes.insert(.operandSize)
            case 0x67: prefixes.insert(.addressSize)
            case 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65:
                prefixes.insert(.segmentOverride)
                instruction.segmentOverride = Self.segment(forPrefix: prefix)
            default: break
            }
        }
        instruction.prefixes = prefixes
        instruction.opcode = withUnsafeBytes(of: x86.opcode) { Array($0.prefix(while: { $0 != 0 })) }
        if instruction.opcode.isEmpty { instruction.opcode = [0] }
        instruction.hasModRM = x86.encoding.modrm_offset != 0
        instruction.modRM = x86.modrm
        instruction.flagEffects = Self.flagEffects(x86.eflags)

        let count = min(Int(x86.op_count), 8)
        instruction.operands = withUnsafeBytes(of: x86.operands) { raw in
            let operands = raw.bindMemory(to: cs_x86_op.self)
            return (0..<count).map { convert(operands[$0]) }
        }
        return instruction
    }

    private func convert(_ operand: cs_x86_op) -> X86Operand {
        let kind: X86OperandKind
        switch operand.type {
        case X86_OP_REG:
            kind = .register(register(operand.reg))
        case X86_OP_IMM:
            kind = .immediate(operand.imm)
        default:
            let mem = operand.mem
            let segment = mem.segment == X86_REG_INVALID ? nil : register(mem.segment)
            let base = mem.base == X86_REG_INVALID ? nil : register(mem.base)
            let index = mem.index == X86_REG_INVALID ? nil : register(mem.index)
            kind = .memory(X86MemoryOperand(segment: segment, base: base, index: index,
                                            scale: Int(mem.scale), displacement: mem.disp))
        }
        var access: X86OperandAccess = []
        if operand.access & UInt8(CS_AC_READ.rawValue) != 0 { access.insert(.read) }
        if operand.access & UInt8(CS_AC_WRITE.rawValue) != 0 { access.insert(.write) }
        return X86Operand(kind: kind, size: Int(operand.size), access: access)
    }

    private func register(_ reg: x86_reg) -> X86Register {
        let index = Int(reg.rawValue)
        return index < registerTable.count ? registerTable[index] : .other
    }

    private static func segment(forPrefix prefix: UInt8) -> X86Register {
        switch prefix {
        case 0x26: .es
        case 0x2E: .cs
        case 0x36: .ss
        case 0x64: .fs
        case 0x65: .gs
        default: .ds
        }
    }

    private static func flagEffects(_ bits: UInt64) -> X86FlagEffects {
        func flags(_ table: [(UInt64, X86Flags)]) -> X86Flags {
            table.reduce(into: X86Flags()) { result, entry in
                if bits & entry.0 != 0 { result.insert(entry.1) }
            }
        }
        return X86FlagEffects(
            modified: flags([(kstep_eflags_modify_cf, .cf), (kstep_eflags_modify_pf, .pf),
                             (kstep_eflags_modify_af, .af), (kstep_eflags_modify_zf, .zf),
                             (kstep_eflags_modify_sf, .sf), (kstep_eflags_modify_of, .of),
                             (kstep_eflags_modify_df, .df)]),
            set: flags([(kstep_eflags_set_cf, .cf), (kstep_eflags_set_df, .df), (kstep_eflags_set_if, .if)]),
            reset: flags([(kstep_eflags_reset_cf, .cf), (kstep_eflags_reset_of, .of),
                          (kstep_eflags_reset_df, .df), (kstep_eflags_reset_if, .if),
                          (kstep_eflags_reset_af, .af)]),
            undefined: flags([(kstep_eflags_undefined_of, .of), (kstep_eflags_undefined_sf, .sf),
                              (kstep_eflags_undefined_zf, .zf), (kstep_eflags_undefined_pf, .pf),
                              (kstep_eflags_undefined_af, .af), (kstep_eflags_undefined_cf, .cf)]),
            tested: flags([(kstep_eflags_test_cf, .cf), (kstep_eflags_test_pf, .pf),
                           (kstep_eflags_test_af, .af), (kstep_eflags_test_zf, .zf),
                           (kstep_eflags_test_sf, .sf), (kstep_eflags_test_of, .of),
                           (kstep_eflags_test_df, .df)]))
    }

    private static func string(fromCString raw: UnsafeRawBufferPointer) -> String {
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }

    private static func makeMnemonicTable(_ handle: csh) -> [X86Mnemonic] {
        (0..<Int(X86_INS_ENDING.rawValue)).map { id in
            guard id > 0, let name = cs_insn_name(handle, UInt32(id)) else { return .other }
            return X86Mnemonic(rawValue: String(cString: name)) ?? .other
        }
    }

    private static func makeRegisterTable(_ handle: csh) -> [X86Register] {
        (0..<Int(X86_REG_ENDING.rawValue)).map { id in
            guard id > 0, let name = cs_reg_name(handle, UInt32(id)) else { return .other }
            return X86Register(name: String(cString: name)) ?? .other
        }
    }
}

/// Capstone could not be opened or configured.
public struct DecoderSetupError: Error, Sendable, CustomStringConvertible {
    /// Capstone's `cs_err` code.
    public var code: Int
    public var description: String { "Capstone could not be opened for i386 (cs_err \(code))" }
}
