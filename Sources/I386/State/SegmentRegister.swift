/// A segment register: the visible selector and the hidden descriptor cache.
public struct SegmentRegister: Sendable, Equatable {
    public var selector: UInt16
    /// Linear base address from the descriptor.
    public var base: UInt32
    /// Limit in bytes (granularity already applied).
    public var limit: UInt32
    /// Descriptor attribute bits: type (0–3), S (4), DPL (5–6), P (7),
    /// AVL (12), D/B (14), G (15) — bits 40–55 of the descriptor.
    public var attributes: UInt16

    public init(selector: UInt16, base: UInt32, limit: UInt32, attributes: UInt16) {
        self.selector = selector
        self.base = base
        self.limit = limit
        self.attributes = attributes
    }

    /// The segment a descriptor describes (granularity applied to the limit).
    public init(descriptorLow low: UInt32, high: UInt32, selector: UInt16) {
        self.selector = selector
        base = (low >> 16) | ((high & 0xFF) << 16) | (high & 0xFF00_0000)
        limit = (low & 0xFFFF) | (high & 0x000F_0000)
        attributes = UInt16((high >> 8) & 0xF0FF)
        if attributes & 0x8000 != 0 { limit = (limit << 12) | 0xFFF }
    }

    /// True for a present, expand-up data (or readable code) segment with base 0
    /// and a 4 GB limit: accesses through it need no limit check.
    public var isFlatData: Bool {
        base == 0 && limit == 0xFFFF_FFFF && attributes & 0x0C != 0x04 && attributes & 0x80 != 0
    }

    /// A flat 4 GB ring-0 segment: code (execute/read) or data (read/write).
    public static func flat(selector: UInt16, isCode: Bool) -> SegmentRegister {
        SegmentRegister(selector: selector, base: 0, limit: 0xFFFF_FFFF,
                        attributes: isCode ? 0xC09B : 0xC093)
    }
}

/// A descriptor-table register (GDTR, IDTR).
public struct TableRegister: Sendable, Equatable {
    public var base: UInt32
    public var limit: UInt16
    public init(base: UInt32 = 0, limit: UInt16 = 0xFFFF) {
        self.base = base
        self.limit = limit
    }
}

/// Segment register numbers, as the hardware encodes them.
public enum SegmentName: Int, Sendable, CaseIterable {
    case es = 0, cs, ss, ds, fs, gs
}
