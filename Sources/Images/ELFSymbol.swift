/// A symbol from an ELF file's `.symtab`.
public struct ELFSymbol: Sendable, Equatable {
    /// What the symbol names.
    public enum Kind: Sendable, Equatable {
        case function, object, section, file, other
    }

    /// The symbol's name.
    public var name: String
    /// Its value (an address in a linked image).
    public var value: UInt32
    /// Its size in bytes (0 when unknown).
    public var size: UInt32
    /// Function, object, …
    public var kind: Kind
    /// True for STB_GLOBAL and STB_WEAK.
    public var isGlobal: Bool
    /// Index of the section it is defined in (0 when undefined).
    public var sectionIndex: UInt16
}

/// Name lookups and address symbolization over a set of symbols.
public struct SymbolTable: Sendable {
    /// Symbols that label code or data, sorted by address.
    public let symbols: [ELFSymbol]
    private let byName: [String: ELFSymbol]

    public init(_ symbols: [ELFSymbol]) {
        let useful = symbols.filter {
            !$0.name.isEmpty && $0.sectionIndex != 0 && $0.kind != .section && $0.kind != .file
        }
        self.symbols = useful.sorted { ($0.value, $0.name) < ($1.value, $1.name) }
        var byName: [String: ELFSymbol] = [:]
        for symbol in self.symbols where byName[symbol.name] == nil || symbol.isGlobal {
            byName[symbol.name] = symbol
        }
        self.byName = byName
    }

    /// The symbol called `name`.
    public func symbol(named name: String) -> ELFSymbol? { byName[name] }

    /// The symbols that start exactly at `address`.
    public func symbols(at address: UInt32) -> [ELFSymbol] {
        symbols.filter { $0.value == address }
    }

    /// The best name for a code label at `address`: a function over a plain
    /// label, a global over a local, and the linker's own `_start` last.
    public func label(at address: UInt32) -> String? {
        func rank(_ symbol: ELFSymbol) -> Int {
            (symbol.kind == .function ? 4 : 0) + (symbol.isGlobal ? 2 : 0) + (symbol.name == "_start" ? 0 : 1)
        }
        return symbols(at: address).filter { $0.kind != .object }.max { rank($0) < rank($1) }?.name
    }

    /// The closest symbol at or below `address`, with the offset from it:
    /// `("__switch_to", 12)`. A sized symbol only covers its own bytes.
    public func locate(_ address: UInt32) -> (name: String, offset: UInt32)? {
        var low = 0
        var high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].value <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let symbol = symbols[low - 1]
        let offset = address &- symbol.value
        if symbol.size != 0 && offset >= symbol.size { return nil }
        return (symbol.name, offset)
    }
}
