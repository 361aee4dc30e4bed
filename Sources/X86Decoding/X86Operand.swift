/// A memory operand: `segment:disp(base, index, scale)`.
public struct X86MemoryOperand: Sendable, Equatable {
    /// The segment override, or nil when the instruction uses its default segment.
    public var segment: X86Register?
    /// The base register, or nil.
    public var base: X86Register?
    /// The index register, or nil.
    public var index: X86Register?
    /// The index scale: 1, 2, 4 or 8.
    public var scale: Int
    /// The signed displacement (a `moffs` address is a displacement without base or index).
    public var displacement: Int64

    public init(segment: X86Register? = nil, base: X86Register? = nil, index: X86Register? = nil,
                scale: Int = 1, displacement: Int64 = 0) {
        self.segment = segment
        self.base = base
        self.index = index
        self.scale = scale
        self.displacement = displacement
    }
}

/// What an operand is.
public enum X86OperandKind: Sendable, Equatable {
    case register(X86Register)
    case immediate(Int64)
    case memory(X86MemoryOperand)
}

/// How an instruction uses an operand.
public struct X86OperandAccess: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let read = X86OperandAccess(rawValue: 1)
    public static let write = X86OperandAccess(rawValue: 2)
}

/// One operand of a decoded instruction, in Intel order (destination first).
public struct X86Operand: Sendable, Equatable {
    /// Register, immediate or memory.
    public var kind: X86OperandKind
    /// Size in bytes.
    public var size: Int
    /// Read, write, both, or neither (Capstone leaves some operands unmarked).
    public var access: X86OperandAccess

    public init(kind: X86OperandKind, size: Int, access: X86OperandAccess) {
        self.kind = kind
        self.size = size
        self.access = access
    }

    /// The register, when this is a register operand.
    public var register: X86Register? {
        if case .register(let register) = kind { return register }
        return nil
    }

    /// The memory reference, when this is a memory operand.
    public var memory: X86MemoryOperand? {
        if case .memory(let memory) = kind { return memory }
        return nil
    }

    /// The immediate, when this is an immediate operand.
    public var immediate: Int64? {
        if case .immediate(let value) = kind { return value }
        return nil
    }
}
