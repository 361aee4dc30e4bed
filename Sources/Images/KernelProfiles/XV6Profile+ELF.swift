import KernelModel
import X86Decoding

/// Builds the xv6 profile from a kernel ELF: layouts and addresses from its
/// DWARF (`struct proc`, `struct cpu`, `struct taskstate`, `enum procstate`,
/// `cpus`), the stack switch by decoding `swtch`, and system-call names from
/// the kernel's own `syscalls[]` table (`sys_fork` → `fork`).
extension XV6Profile {
    /// The symbols an xv6 kernel has (auto-detection looks for them).
    public static let signatureSymbols = ["swtch", "switchuvm", "scheduler", "cpus", "ptable"]

    /// True when `symbols` look like xv6's.
    public static func isXV6(_ symbols: SymbolTable) -> Bool {
        signatureSymbols.allSatisfy { symbols.symbol(named: $0) != nil }
    }

    /// The profile of the xv6 kernel `elf` (it needs the kernel's DWARF: `-g`).
    public init(elf: ELF32File) throws(KernelProfileError) {
        func failure(_ reason: String) -> KernelProfileError {
            KernelProfileError(path: elf.path, kernel: "xv6", reason: reason)
        }
        let dwarf: DWARFInfo
        do {
            dwarf = try DWARFInfo(elf: elf)
        } catch {
            throw failure("its debug information cannot be read (\(error)); build it with -g")
        }
        func structure(_ name: String) throws(KernelProfileError) -> DWARFStructure {
            guard let structure = dwarf.structure(named: name) else { throw failure("no struct \(name) in its DWARF") }
            return structure
        }
        func offset(_ path: String, in structure: DWARFStructure) throws(KernelProfileError) -> UInt32 {
            guard let member = dwarf.member(path, of: structure), let offset = UInt32(exactly: member.offset) else {
                throw failure("struct \(structure.name ?? "?") has no member \(path)")
            }
            return offset
        }
        func size(_ structure: DWARFStructure) throws(KernelProfileError) -> UInt32 {
            guard let size = UInt32(exactly: structure.size) else { throw failure("struct \(structure.name ?? "?") is too large") }
            return size
        }

        let proc = try structure("proc")
        guard let nameLength = proc.member(named: "name")?.size.flatMap({ UInt32(exactly: $0) }), nameLength > 0 else {
            throw failure("struct proc's name has no size")
        }
        let process = ProcessLayout(size: try size(proc), kernelStack: try offset("kstack", in: proc),
                                    state: try offset("state", in: proc), pid: try offset("pid", in: proc),
                                    name: try offset("name", in: proc), nameLength: nameLength)
        let cpuStructure = try structure("cpu")
        let cpu = CPULayout(size: try size(cpuStructure), scheduler: try offset("scheduler", in: cpuStructure),
                            taskState: try offset("ts", in: cpuStructure),
                            taskStateESP0: try offset("ts.esp0", in: cpuStructure),
                            process: try offset("proc", in: cpuStructure))
        guard let states = dwarf.enumeration(named: "procstate"), !states.enumerators.isEmpty else {
            throw failure("no enum procstate in its DWARF")
        }
        var stateNames: [String] = []
        for enumerator in states.enumerators.sorted(by: { $0.value < $1.value }) {
            guard enumerator.value == Int64(stateNames.count) else { throw failure("enum procstate is not 0, 1, 2, …") }
            stateNames.append(enumerator.name)
        }
        guard let cpus = dwarf.variable(named: "cpus"), let cpusAddress = UInt32(exactly: cpus.address) else {
            throw failure("no variable cpus with an address in its DWARF")
        }
        let symbols = SymbolTable(elf.symbols)
        guard let swtch = symbols.symbol(named: "swtch") else { throw failure("no symbol swtch") }
        guard let stackSwitch = Self.stackSwitch(in: elf, from: swtch.value) else {
            throw failure("swtch (0x\(hex(swtch.value))) has no mov %reg,%esp before its ret")
        }
        self.init(process: process, cpu: cpu, processStates: stateNames, cpus: cpusAddress, stackSwitch: stackSwitch,
                  systemCalls: Self.systemCalls(in: elf, symbols: symbols) ?? Self.defaultSystemCalls)
    }

    /// The address of the first `mov %reg,%esp` in the code from `start` up to its first `ret` (at most 64 bytes).
    static func stackSwitch(in elf: ELF32File, from start: UInt32) -> UInt32? {
        guard let decoder = try? X86Decoder() else { return nil }
        // 64 bytes, or what is left of the section.
        var code: [UInt8] = []
        for count in stride(from: 64, through: 1, by: -1) {
            if let bytes = elf.bytes(atVirtualAddress: start, count: count) {
                code = bytes
                break
            }
        }
        var offset = 0
        while offset < code.count {
            guard let instruction = try? decoder.decode(Array(code[offset...]), address: start &+ UInt32(offset)) else { return nil }
            if instruction.mnemonic == .ret { return nil }
            if instruction.mnemonic == .mov, instruction.operands.count == 2,
               instruction.operands[0].register == .esp, instruction.operands[1].register != nil {
                return instruction.address
            }
            offset += instruction.length
        }
        return nil
    }

    /// Names from the kernel's `syscalls[]` (function pointers to `sys_NAME`), if it has one.
    static func systemCalls(in elf: ELF32File, symbols: SymbolTable) -> SystemCallTable? {
        guard let table = symbols.symbol(named: "syscalls"), table.size >= 8, table.size % 4 == 0,
              table.size <= 4 * 1024 else { return nil }
        var names: [String?] = []
        for index in 0..<(table.size / 4) {
            guard let pointer = elf.word(atVirtualAddress: table.value &+ 4 * index) else { return nil }
            let name = pointer == 0 ? nil : symbols.symbols(at: pointer).first { $0.name.hasPrefix("sys_") }?.name
            names.append(name.map { String($0.dropFirst(4)) })
        }
        guard names.contains(where: { $0 != nil }) else { return nil }
        return SystemCallTable(vector: systemCallVector, names: names)
    }
}
