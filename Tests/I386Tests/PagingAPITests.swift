import I386
import Testing

/// Paging seen from the embedding API: `isPagingEnabled`, `peekTranslation`,
/// `read`/`write` through the page tables, and the TLB flushes that the
/// register setter applies (`machine[.cr3] = …`).
///
/// The machine: a page directory at 0x1000 whose entry 0 points at an
/// identity table for 0–4 MB (supervisor read/write) and entry 256 at a
/// table for 0x40000000 (`test`); code at 0x10000; two data frames, A at
/// 0x20000 and B at 0x21000, whose first words are 0xaaaa0000 and 0xbbbb0000.
@Suite struct PagingAPITests {
    static let directory: UInt32 = 0x1000
    static let lowTable: UInt32 = 0x2000
    static let testTable: UInt32 = 0x3000
    static let code: UInt32 = 0x1_0000
    static let frameA: UInt32 = 0x2_0000
    static let frameB: UInt32 = 0x2_1000
    static let test: UInt32 = 0x4000_0000

    static let p: UInt32 = 1, rw: UInt32 = 2, accessed: UInt32 = 0x20, global: UInt32 = 0x100
    static let pg: UInt32 = 0x8000_0000, wp: UInt32 = 0x1_0000, pse: UInt32 = 0x10, pge: UInt32 = 0x80

    /// Builds the tables with paging off (linear = physical) and loads `code` at 0x10000.
    static func pagedMachine(code text: String = "hlt") throws -> Machine {
        let machine = try Machine()
        machine.map(0, size: 0x2_2000)
        for index in 0..<1024 as Range<UInt32> {
            try machine.write(bytes(index << 12 | p | rw), at: lowTable + index * 4)
        }
        try machine.write(bytes(lowTable | p | rw), at: directory)
        try machine.write(bytes(testTable | p | rw), at: directory + 256 * 4)
        try machine.write(bytes(0xAAAA_0000), at: frameA)
        try machine.write(bytes(0xBBBB_0000), at: frameB)
        try machine.write(try assemble(text, origin: code), at: code)
        machine[.cr3] = directory
        machine[.cr0] |= pg
        machine.eip = code
        machine[.esp] = 0x1_F000
        return machine
    }

    static func bytes(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    /// Sets the entry of `test_table` for TEST+index*4K.
    static func mapTest(_ machine: Machine, page index: UInt32, to value: UInt32) throws {
        try machine.write(bytes(value), at: testTable + index * 4)
    }

    /// Runs the code from its start to hlt.
    static func runCode(_ machine: Machine) -> StopReason {
        machine.eip = code
        return machine.run(maxSteps: 1000)
    }

    @Test func pagingIsOnWhenCR0PGIsSet() throws {
        let machine = try Machine()
        #expect(!machine.isPagingEnabled)
        #expect(machine.peekTranslation(0x1234_5678) == 0x1234_5678)  // paging off: linear = physical
        let paged = try Self.pagedMachine()
        #expect(paged.isPagingEnabled)
        #expect(paged[.cr0] == 0x8000_0011)
        paged[.cr0] &= ~Self.pg
        #expect(!paged.isPagingEnabled)
    }

    @Test func peekTranslationWalksTheTablesWithoutSettingBits() throws {
        let machine = try Self.pagedMachine()
        try Self.mapTest(machine, page: 2, to: Self.frameB | Self.p)
        #expect(machine.peekTranslation(Self.test + 0x2ABC) == Self.frameB + 0xABC)
        #expect(machine.peekTranslation(Self.test + 0x3ABC) == nil)      // table entry 3 is zero
        #expect(machine.peekTranslation(0x8000_0000) == nil)             // directory entry 512 is zero
        #expect(machine.peekTranslation(0x1_2345) == 0x1_2345)           // the identity table
        #expect(try machine.word(at: Self.testTable + 8) == Self.frameB | Self.p)  // no A
        #expect(try machine.word(at: Self.directory + 256 * 4) == Self.testTable | Self.p | Self.rw)

        // A 4 MB page: only with CR4.PSE.
        try machine.write(Self.bytes(0x0040_0000 | 0x80 | Self.p), at: Self.directory + 512 * 4)
        #expect(machine.peekTranslation(0x8012_3456) == nil)             // PSE off: a table at 0x400000, no RAM there
        machine[.cr4] |= Self.pse
        #expect(machine.peekTranslation(0x8012_3456) == 0x0052_3456)
    }

    @Test func readAndWriteGoThroughPagingAndIgnoreProtection() throws {
        let machine = try Self.pagedMachine()
        try Self.mapTest(machine, page: 0, to: Self.frameA | Self.p)  // read-only
        machine[.cr0] |= Self.wp
        try machine.write([0x11, 0x22, 0x33, 0x44], at: Self.test + 0x10)
        #expect(try machine.read(Self.frameA + 0x10, count: 4) == [0x11, 0x22, 0x33, 0x44])
        #expect(try machine.read(Self.test, count: 4) == [0x00, 0x00, 0xAA, 0xAA])
        #expect(try machine.word(at: Self.test) == 0xAAAA_0000)
        #expect(machine.readWord(at: Self.test + 0x1000) == nil)
        // The debugger's accesses set neither A nor D.
        #expect(try machine.word(at: Self.testTable) == Self.frameA | Self.p)
        // Absent pages: the error names the first linear address without a translation.
        #expect(throws: CPUException.pageFault(address: Self.test + 0x1000, errorCode: 0)) {
            try machine.read(Self.test + 0xFFE, count: 4)
        }
        #expect(throws: CPUException.pageFault(address: Self.test + 0x1000, errorCode: 2)) {
            try machine.write([1, 2, 3, 4], at: Self.test + 0xFFE)
        }
    }

    @Test func writingCR3FlushesTheTLB() throws {
        let machine = try Self.pagedMachine(code: "movl 0x40000000, %eax; hlt")
        try Self.mapTest(machine, page: 0, to: Self.frameA | Self.p)
        #expect(Self.runCode(machine) == .halted)
        #expect(machine[.eax] == 0xAAAA_0000)
        #expect(try machine.word(at: Self.testTable) == Self.frameA | Self.p | Self.accessed)

        try Self.mapTest(machine, page: 0, to: Self.frameB | Self.p)
        #expect(machine.peekTranslation(Self.test) == Self.frameB)       // the tables say B ...
        #expect(Self.runCode(machine) == .halted)
        #expect(machine[.eax] == 0xAAAA_0000)                            // ... the TLB still says A
        machine[.cr3] = Self.directory
        #expect(Self.runCode(machine) == .halted)
        #expect(machine[.eax] == 0xBBBB_0000)
    }

    @Test func globalPagesSurviveCR3WritesUntilCR4PGEChanges() throws {
        let machine = try Self.pagedMachine(code: "movl 0x40000000, %eax; hlt")
        machine[.cr4] |= Self.pge
        try Self.mapTest(machine, page: 0, to: Self.frameA | Self.p | Self.global)
        #expect(Self.runCode(machine) == .halted)
        try Self.mapTest(machine, page: 0, to: Self.frameB | Self.p | Self.global)
        machine[.cr3] = Self.directory
        #expect(Self.runCode(machine) == .halted)
        #expect(machine[.eax] == 0xAAAA_0000)
        machine[.cr4] &= ~Self.pge
        #expect(Self.runCode(machine) == .halted)
        #expect(machine[.eax] == 0xBBBB_0000)
    }

    @Test func changingCR0WPFlushesWriteTranslations() throws {
        // A supervisor write to a read-only page is allowed with WP = 0 (and
        // remembered); setting WP through the API makes the next one fault.
        let machine = try Self.pagedMachine(code: "movl $5, 0x40000004; hlt")
        try Self.mapTest(machine, page: 0, to: Self.frameA | Self.p)
        #expect(Self.runCode(machine) == .halted)
        #expect(try machine.word(at: Self.frameA + 4) == 5)
        machine[.cr0] |= Self.wp
        #expect(Self.runCode(machine) == .exception(.pageFault(address: Self.test + 4, errorCode: 3)))
        #expect(machine[.cr2] == Self.test + 4)
        #expect(machine.eip == Self.code)
    }

    @Test func restoringAStateSwitchesAddressSpaces() throws {
        // A second directory maps TEST to frame B; a CPUState saved under the
        // first, restored after switching, brings its CR3 and a flushed TLB back.
        let machine = try Self.pagedMachine(code: "movl 0x40000000, %eax; hlt")
        try Self.mapTest(machine, page: 0, to: Self.frameA | Self.p)
        let secondDirectory: UInt32 = 0x4000, secondTable: UInt32 = 0x5000
        try machine.write(Self.bytes(Self.lowTable | Self.p | Self.rw), at: secondDirectory)
        try machine.write(Self.bytes(secondTable | Self.p | Self.rw), at: secondDirectory + 256 * 4)
        try machine.write(Self.bytes(Self.frameB | Self.p), at: secondTable)
        let saved = machine.cpuState
        #expect(Self.runCode(machine) == .halted)
        #expect(machine[.eax] == 0xAAAA_0000)
        machine[.cr3] = secondDirectory
        #expect(Self.runCode(machine) == .halted)
        #expect(machine[.eax] == 0xBBBB_0000)
        machine.restore(saved)
        #expect(machine[.cr3] == Self.directory)
        #expect(machine.peekTranslation(Self.test) == Self.frameA)
        #expect(Self.runCode(machine) == .halted)
        #expect(machine[.eax] == 0xAAAA_0000)
    }
}
