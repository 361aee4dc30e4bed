import Images
import Testing

/// The reader on the real xv6 kernel (kernelmemfs: DWARF 5 from gcc 12, and
/// DWARF 2 units from GNU as): the layouts `../shared/xv6/README.md` lists.
@Suite struct XV6DWARFTests {
    @Test func structProcAndStructCPUAsTheREADMEStatesThem() throws {
        guard let elf = try XV6Kernel.load() else { return }
        let dwarf = try DWARFInfo(elf: elf)
        #expect(Set(dwarf.units.map(\.version)) == [2, 5])
        let proc = try #require(dwarf.structure(named: "proc"))
        #expect(proc.size == 124)
        let offsets = Dictionary(uniqueKeysWithValues: proc.members.compactMap { member in member.name.map { ($0, member.offset) } })
        #expect(offsets == ["sz": 0, "pgdir": 4, "kstack": 8, "state": 12, "pid": 16, "parent": 20, "tf": 24,
                            "context": 28, "chan": 32, "killed": 36, "ofile": 40, "cwd": 104, "name": 108])
        #expect(proc.member(named: "name")?.size == 16)
        #expect(proc.member(named: "ofile")?.size == 64)

        let cpu = try #require(dwarf.structure(named: "cpu"))
        #expect(cpu.size == 176)
        #expect(cpu.members.map(\.name) == ["apicid", "scheduler", "ts", "gdt", "started", "ncli", "intena", "proc"])
        #expect(cpu.members.map(\.offset) == [0, 4, 8, 112, 160, 164, 168, 172])
        #expect(dwarf.member("ts.esp0", of: cpu)?.offset == 12)
        #expect(dwarf.member("ts.ss0", of: cpu)?.offset == 16)

        let context = try #require(dwarf.structure(named: "context"))
        #expect(context.members.map(\.name) == ["edi", "esi", "ebx", "ebp", "eip"])

        let states = try #require(dwarf.enumeration(named: "procstate"))
        #expect(states.enumerators.map(\.name) == ["UNUSED", "EMBRYO", "SLEEPING", "RUNNABLE", "RUNNING", "ZOMBIE"])
        #expect(states.enumerators.map(\.value) == [0, 1, 2, 3, 4, 5])

        let cpus = try #require(dwarf.variable(named: "cpus"))
        #expect(cpus.address == 0x8018_E740)
        #expect(cpus.elementCount == 8)
        let ptable = try #require(dwarf.variable(named: "ptable"))
        let table = try #require(ptable.typeOffset.flatMap { dwarf.structure(ofType: $0) })
        #expect(ptable.address + UInt64(try #require(table.member(named: "proc")).offset) == 0x8018_ECF4)
        #expect(table.member(named: "proc")?.size == 64 * 124)
    }
}
