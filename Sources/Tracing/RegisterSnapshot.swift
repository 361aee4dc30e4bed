import I386

/// The registers a trace compares before and after each instruction.
struct RegisterSnapshot: Equatable {
    static let names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eflags",
                        "cs", "ds", "es", "fs", "gs", "ss", "cr0", "cr2", "cr3", "cr4", "dr6", "dr7"]

    var values: [UInt32]

    init(_ machine: Machine) {
        values = Self.names.map { (try? machine.register(named: $0)) ?? 0 }
    }

    /// (name, old, new) for each register that differs.
    func changes(to other: RegisterSnapshot) -> [(name: String, old: UInt32, new: UInt32)] {
        var result: [(String, UInt32, UInt32)] = []
        for index in values.indices where values[index] != other.values[index] {
            result.append((Self.names[index], values[index], other.values[index]))
        }
        return result
    }
}
