import I386
import Testing

/// 32-bit paging as SDM Vol. 3A chapter 4 describes it, one rule per test:
/// each program builds its tables (`PagingProgram`), turns CR0.PG on and
/// touches memory; the tests read back the #PF error codes, CR2, the pushed
/// frames and the accessed and dirty bits.
///
/// Error code bits (SDM §4.7): P (bit 0) = 0 for a not-present page, 1 for a
/// protection violation; W/R (bit 1) = a write; U/S (bit 2) = CPL 3; RSVD
/// (bit 3) = a reserved bit set in a paging-structure entry.
@Suite struct PagingTests {
    typealias Entry = PagingProgram.Entry
    typealias PageFault = PagingProgram.PageFault
    static let test = PagingProgram.testLinear

    // MARK: Not-present entries

    @Test func aNotPresentDirectoryEntryFaultsWithPAndWR() throws {
        // Directory entry 512 (0x80000000–0x803fffff) is zero.
        let program = try PagingProgram("""
                ENABLE_PAGING
                RESUME 0, 1f
                RESUME 1, 2f
            read_site:
                movl 0x80000123, %eax
            1:
            write_site:
                movl %eax, 0x80000123
            2:  hlt
            """)
        #expect(program.run() == .halted)
        #expect(try program.pageFaults() == [
            PageFault(errorCode: 0, address: 0x8000_0123, eip: program.symbol("read_site")),
            PageFault(errorCode: 2, address: 0x8000_0123, eip: program.symbol("write_site")),
        ])
        #expect(program.machine[.cr2] == 0x8000_0123)
        #expect(program.machine.deliveredEvents.map(\.vector) == [14, 14])
    }

    @Test func aNotPresentTableEntryFaultsFromRing0AndRing3() throws {
        // test_table maps nothing: TEST_LINEAR+0x5678 has a present directory
        // entry and a zero table entry.
        let program = try PagingProgram("""
                MAP low_table, user_code, user_code, P|US
                ENABLE_PAGING
                RESUME 0, 1f
                RESUME 1, 2f
                RESUME 2, 3f
                RESUME 3, 4f
            read_site:
                movl TEST_LINEAR+0x5678, %eax
            1:
            write_site:
                movb %al, TEST_LINEAR+0x5678
            2:  TO_RING3 user_code
            .align 4096
            user_code:
            user_read_site:
                movw TEST_LINEAR+0x5678, %ax
            3:
            user_write_site:
                movl %eax, TEST_LINEAR+0x5678
            4:  int $0x80
            .align 4096
            """)
        #expect(program.run() == .halted)
        let address = Self.test + 0x5678
        #expect(try program.pageFaults() == [
            PageFault(errorCode: 0, address: address, eip: program.symbol("read_site")),
            PageFault(errorCode: 2, address: address, eip: program.symbol("write_site")),
            PageFault(errorCode: 4, address: address, eip: program.symbol("user_read_site")),
            PageFault(errorCode: 6, address: address, eip: program.symbol("user_write_site")),
        ])
        // The directory entry was used for the walks: its accessed bit is set.
        #expect(try program.directoryEntry(for: Self.test) & Entry.a != 0)
    }

    // MARK: U/S and R/W

    @Test func ring3MayNotTouchSupervisorPagesNorWriteReadOnlyUserPages() throws {
        // TEST_LINEAR: frame_a, supervisor read/write. TEST_LINEAR+0x1000:
        // frame_b, user read-only. Directory entry 257 (0x40400000) points at
        // the same table without U/S: a user entry below it is still supervisor.
        let program = try PagingProgram("""
                MAP low_table, user_code, user_code, P|US
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                MAP test_table, TEST_LINEAR+0x1000, frame_b, P|US
                movl $test_table+P+RW, page_directory+257*4
                ENABLE_PAGING
                RESUME 0, 1f
                RESUME 1, 2f
                RESUME 2, 3f
                RESUME 3, 4f
                RESUME 4, 5f
                TO_RING3 user_code
            .align 4096
            user_code:
            supervisor_read:
                movl TEST_LINEAR, %eax
            1:
            supervisor_write:
                movl %eax, TEST_LINEAR+8
            2:
                movl TEST_LINEAR+0x1000, %esi     # a user read-only page: reading is allowed
            read_only_write:
                movl %esi, TEST_LINEAR+0x1000
            3:
            supervisor_directory_read:
                movl TEST_LINEAR+0x401000, %eax
            4:
                movl $TEST_LINEAR+0x10, %ebx
            supervisor_fetch:
                call *%ebx
            5:  int $0x80
            .align 4096
            """)
        #expect(program.run() == .halted)
        #expect(try program.pageFaults() == [
            PageFault(errorCode: 5, address: Self.test, eip: program.symbol("supervisor_read")),
            PageFault(errorCode: 7, address: Self.test + 8, eip: program.symbol("supervisor_write")),
            PageFault(errorCode: 7, address: Self.test + 0x1000, eip: program.symbol("read_only_write")),
            PageFault(errorCode: 5, address: Self.test + 0x40_1000, eip: program.symbol("supervisor_directory_read")),
            // An instruction fetch is a read; the saved eip is the target itself.
            PageFault(errorCode: 5, address: Self.test + 0x10, eip: Self.test + 0x10),
        ])
        #expect(program.machine[.esi] == 0xB0B0_B0B0)
        #expect(try program.word("frame_a", plus: 8) == 0)
        #expect(try program.word("frame_b") == 0xB0B0_B0B0)
        // Denied accesses leave the page's accessed bit clear; the allowed read sets it.
        #expect(try program.entry("test_table", for: Self.test) == program.symbol("frame_a") | Entry.p | Entry.rw)
        #expect(try program.entry("test_table", for: Self.test + 0x1000)
                == program.symbol("frame_b") | Entry.p | Entry.us | Entry.a)
    }

    @Test func translationsRememberedForRing0DoNotServeRing3() throws {
        // Ring 0 reads and writes TEST_LINEAR (supervisor) and writes the user
        // read-only page at +0x1000 (allowed with CR0.WP = 0). Ring 3 doing the
        // same must still fault: the TLB keeps the privilege of each translation.
        let program = try PagingProgram("""
                MAP low_table, user_code, user_code, P|US
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                MAP test_table, TEST_LINEAR+0x1000, frame_b, P|US
                ENABLE_PAGING
                movl TEST_LINEAR, %eax
                movl %eax, TEST_LINEAR+4
                movl %eax, TEST_LINEAR+0x1004
                RESUME 0, 1f
                RESUME 1, 2f
                RESUME 2, 3f
                TO_RING3 user_code
            .align 4096
            user_code:
            user_read:
                movl TEST_LINEAR, %ebx
            1:
            user_write:
                movl %ebx, TEST_LINEAR+4
            2:
                movl TEST_LINEAR+0x1004, %esi       # reading the user page is allowed
            user_read_only_write:
                movl %ebx, TEST_LINEAR+0x1004
            3:  int $0x80
            .align 4096
            """)
        #expect(program.run() == .halted)
        #expect(try program.pageFaults() == [
            PageFault(errorCode: 5, address: Self.test, eip: program.symbol("user_read")),
            PageFault(errorCode: 7, address: Self.test + 4, eip: program.symbol("user_write")),
            PageFault(errorCode: 7, address: Self.test + 0x1004, eip: program.symbol("user_read_only_write")),
        ])
        #expect(program.machine[.esi] == 0xA0A0_A0A0)
    }

    @Test func writeProtectDecidesWhetherRing0MayWriteReadOnlyPages() throws {
        // TEST_LINEAR maps frame_a read-only. With CR0.WP = 0 a supervisor
        // write succeeds (and sets D); with WP = 1 it is #PF(P|W) = 3, for a
        // read-only user page too.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, frame_a, P
                MAP test_table, TEST_LINEAR+0x1000, frame_b, P|US
                ENABLE_PAGING
                movl $0x11111111, TEST_LINEAR+4
                movl %cr0, %eax
                orl $CR0_WP, %eax
                movl %eax, %cr0
                RESUME 0, 1f
                RESUME 1, 2f
            protected_write:
                movl $0x22222222, TEST_LINEAR+4
            1:
            protected_user_write:
                movb $0x33, TEST_LINEAR+0x1004
            2:  hlt
            """)
        #expect(program.run() == .halted)
        #expect(try program.word("frame_a", plus: 4) == 0x1111_1111)
        #expect(try program.word("frame_b", plus: 4) == 0)
        #expect(try program.pageFaults() == [
            PageFault(errorCode: 3, address: Self.test + 4, eip: program.symbol("protected_write")),
            PageFault(errorCode: 3, address: Self.test + 0x1004, eip: program.symbol("protected_user_write")),
        ])
        #expect(try program.entry("test_table", for: Self.test)
                == program.symbol("frame_a") | Entry.p | Entry.a | Entry.d)
    }

    @Test func bothLevelsMustAllowAWrite() throws {
        // SDM §4.6: a page is writable only if R/W is set in the directory entry
        // and in the table entry. Directory entry 257 (0x40400000) points at
        // test_table with R/W clear; the table maps frame_a read/write.
        let program = try PagingProgram("""
                MAP low_table, user_code, user_code, P|US
                MAP test_table, TEST_LINEAR, frame_a, P|RW|US
                movl $test_table+P+US, page_directory+257*4
                ENABLE_PAGING
                movl $0x11, TEST_LINEAR+0x400010        # WP = 0: a supervisor write is allowed
                movl %cr0, %eax
                orl $CR0_WP, %eax
                movl %eax, %cr0
                RESUME 0, 1f
                RESUME 1, 2f
                movl $0x22, TEST_LINEAR+0x10            # through entry 256: allowed
            supervisor_write:
                movl $0x33, TEST_LINEAR+0x400010
            1:  TO_RING3 user_code
            .align 4096
            user_code:
                movl TEST_LINEAR+0x400010, %esi         # reading is allowed
            user_write:
                movl $0x44, TEST_LINEAR+0x400010
            2:  int $0x80
            .align 4096
            """)
        #expect(program.run() == .halted)
        #expect(try program.pageFaults() == [
            PageFault(errorCode: 3, address: Self.test + 0x40_0010, eip: program.symbol("supervisor_write")),
            PageFault(errorCode: 7, address: Self.test + 0x40_0010, eip: program.symbol("user_write")),
        ])
        #expect(try program.word("frame_a", plus: 0x10) == 0x22)
        #expect(program.machine[.esi] == 0x22)
    }

    @Test func readModifyWriteInstructionsFaultAsWritesAndChangeNothing() throws {
        // TEST_LINEAR maps frame_a read-only (CR0.WP = 1). Every instruction
        // that writes its memory operand faults with P|W = 3 — cmpxchg even
        // when the comparison fails (SDM: "the destination operand receives a
        // write cycle without regard to the result of the comparison") — and
        // leaves registers, memory and esp as they were.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, frame_a, P
                movl %cr0, %eax
                orl $CR0_WP, %eax
                movl %eax, %cr0
                ENABLE_PAGING
                RESUME 0, 1f
                RESUME 1, 2f
                RESUME 2, 3f
                RESUME 3, 4f
                RESUME 4, 5f
                RESUME 5, 6f
                RESUME 6, 7f
                movl $0x12345678, %eax                  # not what TEST_LINEAR holds
                movl $0x55555555, %ecx
                movl %esp, %esi
            add_site:
                addl $1, TEST_LINEAR
            1:
            cmpxchg_site:
                cmpxchgl %ecx, TEST_LINEAR
            2:
            bts_site:
                btsl $0, TEST_LINEAR
            3:
            xchg_site:
                xchgl %ecx, TEST_LINEAR
            4:
            setcc_site:
                sete TEST_LINEAR
            5:
                pushl $0x66666666
            pop_site:
                popl TEST_LINEAR                        # esp is put back
            6:
            inc_site:
                lock incl TEST_LINEAR
            7:  hlt
            """)
        #expect(program.run() == .halted)
        let sites = ["add_site", "cmpxchg_site", "bts_site", "xchg_site", "setcc_site", "pop_site", "inc_site"]
        #expect(try program.pageFaults() == sites.map { PageFault(errorCode: 3, address: Self.test, eip: program.symbol($0)) })
        #expect(try program.word("frame_a") == 0xA0A0_A0A0)
        #expect(program.machine[.eax] == 0x1234_5678)
        #expect(program.machine[.ecx] == 0x5555_5555)
        #expect(program.machine[.esp] == program.machine[.esi] - 4)
    }

    @Test func aStraddlingCmpxchg8bWritesNeitherPageWhenTheSecondIsReadOnly() throws {
        // The 8-byte operand at TEST_LINEAR+0xffc: its low dword in frame_a
        // (read/write), its high dword in frame_b (read-only, CR0.WP = 1).
        // The comparison succeeds, so ecx:ebx would be stored: the write
        // faults on the second page before either half is written.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                MAP test_table, TEST_LINEAR+0x1000, frame_b, P
                movl %cr0, %eax
                orl $CR0_WP, %eax
                movl %eax, %cr0
                ENABLE_PAGING
                movl TEST_LINEAR+0xffc, %eax
                movl TEST_LINEAR+0x1000, %edx
                movl $0x11111111, %ebx
                movl $0x22222222, %ecx
            cmpxchg8b_site:
                cmpxchg8b TEST_LINEAR+0xffc
                hlt
            """)
        #expect(program.run() == .halted)
        #expect(try program.pageFaults() == [
            PageFault(errorCode: 3, address: Self.test + 0x1000, eip: program.symbol("cmpxchg8b_site")),
        ])
        #expect(try program.word("frame_b") == 0xB0B0_B0B0)
        let low = try program.word("frame_a", plus: 0xFFC)
        #expect(low == 0xA0A0_AFFC)
    }

    // MARK: Accessed and dirty bits

    @Test func readsSetAccessedAndWritesSetAccessedAndDirty() throws {
        // SDM §4.8: the processor sets A in every entry it uses for a
        // translation, and D in the entry that maps the page on a write.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                MAP test_table, TEST_LINEAR+0x1000, frame_b, P|RW
                MAP test_table, TEST_LINEAR+0x2000, frame_a, P|RW
                MAP test_table, TEST_LINEAR+0x3000, frame_b, P|RW
                ENABLE_PAGING
                movl test_table, %esi                       # before: P|RW
                movl TEST_LINEAR, %eax                      # read page 0
                movl %eax, TEST_LINEAR+0x1008               # write page 1
                movb TEST_LINEAR+0x3000, %al                # read page 3 ...
                movl test_table+3*4, %edi                   # ... (A only, seen from here)
                incb TEST_LINEAR+0x3010                     # ... then read-modify-write it
                hlt
            """)
        #expect(program.run() == .halted)
        let a = program.symbol("frame_a"), b = program.symbol("frame_b")
        #expect(program.machine[.esi] == a | Entry.p | Entry.rw)
        #expect(try program.entry("test_table", for: Self.test) == a | Entry.p | Entry.rw | Entry.a)
        #expect(try program.entry("test_table", for: Self.test + 0x1000) == b | Entry.p | Entry.rw | Entry.a | Entry.d)
        #expect(try program.entry("test_table", for: Self.test + 0x2000) == a | Entry.p | Entry.rw)  // untouched
        #expect(program.machine[.edi] == b | Entry.p | Entry.rw | Entry.a)
        #expect(try program.entry("test_table", for: Self.test + 0x3000) == b | Entry.p | Entry.rw | Entry.a | Entry.d)
        #expect(try program.word("frame_b", plus: 8) == 0xA0A0_A0A0)
        // The directory entry: A (it was used), never D (SDM: D exists only in entries that map a page).
        #expect(try program.directoryEntry(for: Self.test)
                == program.symbol("test_table") | Entry.p | Entry.rw | Entry.us | Entry.a)
    }

    // MARK: 4 MB pages

    @Test func fourMegabytePagesWithPSE() throws {
        // With CR4.PSE, a directory entry with PS (bit 7) maps 4 MB: bits 31:22
        // of the entry, bits 21:0 of the linear address. Entry 512 maps
        // 0x80000000 to physical 0, so 0x80000000+x reads what x holds.
        let program = try PagingProgram("""
                movl $P|RW|PS, page_directory+512*4
                movl %cr4, %eax
                orl $CR4_PSE, %eax
                movl %eax, %cr4
                ENABLE_PAGING
                movl frame_a+0x80000000, %esi
                movl page_directory+512*4, %edi             # after a read: A
                movl $0x12345678, frame_b+0x80000004
                movl frame_b+4, %ebx                        # the same frame through the identity map
                hlt
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.esi] == 0xA0A0_A0A0)
        #expect(program.machine[.ebx] == 0x1234_5678)
        #expect(program.machine[.edi] == Entry.p | Entry.rw | Entry.ps | Entry.a)
        #expect(try program.directoryEntry(for: 0x8000_0000) == Entry.p | Entry.rw | Entry.ps | Entry.a | Entry.d)
    }

    @Test(arguments: 13...21)
    func reservedBitsOfAFourMegabyteEntryFaultWithRSVD(bit: Int) throws {
        // SDM §4.3 Table 4-4: bits 21:13 of a 4 MB directory entry are
        // reserved (no PSE-36). Set, they make the access #PF with RSVD (bit 3)
        // and P: error code 9 for a read, 11 for a write.
        let program = try PagingProgram("""
                movl $(1<<\(bit))|P|RW|PS, page_directory+512*4
                movl %cr4, %eax
                orl $CR4_PSE, %eax
                movl %eax, %cr4
                ENABLE_PAGING
                RESUME 0, 1f
                RESUME 1, 2f
            read_site:
                movl 0x80001234, %eax
            1:
            write_site:
                movl %eax, 0x80005678
            2:  hlt
            """)
        #expect(program.run() == .halted)
        #expect(try program.pageFaults() == [
            PageFault(errorCode: 9, address: 0x8000_1234, eip: program.symbol("read_site")),
            PageFault(errorCode: 11, address: 0x8000_5678, eip: program.symbol("write_site")),
        ])
    }

    @Test func withoutPSEThePSBitIsIgnoredAndTheEntryPointsAtATable() throws {
        // Directory entry 256 gets PS. With CR4.PSE clear it still points at
        // test_table (SDM §4.3: PS is ignored); with PSE set, the same entry
        // is a 4 MB page whose bits 21:13 (test_table's address) are reserved.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                orl $PS, page_directory+256*4
                ENABLE_PAGING
                movl TEST_LINEAR, %esi
                movl %cr4, %eax
                orl $CR4_PSE, %eax
                movl %eax, %cr4
                RESUME 0, 1f
            pse_read:
                movl TEST_LINEAR, %edi
            1:  hlt
            """)
        #expect(program.run() == .halted)
        #expect(program.symbol("test_table") & 0x003F_E000 != 0)
        #expect(program.machine[.esi] == 0xA0A0_A0A0)
        #expect(try program.pageFaults() == [PageFault(errorCode: 9, address: Self.test, eip: program.symbol("pse_read"))])
        #expect(program.machine[.edi] == 0)
    }

    // MARK: The TLB

    @Test func aChangedEntryIsUsedOnlyAfterInvlpgOrACR3Write() throws {
        // SDM §4.10.4: after changing an entry, software must invalidate; until
        // then the processor may use the old translation, and kstep's TLB does
        // for reads. (Writes through a stale entry are not tested: hardware
        // may walk again to set D.)
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                ENABLE_PAGING
                movl TEST_LINEAR, %ebx          # frame_a, now in the TLB
                MAP test_table, TEST_LINEAR, frame_b, P|RW
                movl TEST_LINEAR, %ecx          # still frame_a
                invlpg TEST_LINEAR
                movl TEST_LINEAR, %esi          # frame_b
                movl $0x5eed, TEST_LINEAR+4     # frame_b
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                movl TEST_LINEAR, %edi          # still frame_b
                movl %cr3, %eax
                movl %eax, %cr3
                movl TEST_LINEAR, %ebp          # frame_a
                movl $0xf00d, TEST_LINEAR+4     # frame_a
                hlt
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect([machine[.ebx], machine[.ecx], machine[.esi], machine[.edi], machine[.ebp]]
                == [0xA0A0_A0A0, 0xA0A0_A0A0, 0xB0B0_B0B0, 0xB0B0_B0B0, 0xA0A0_A0A0])
        #expect(try program.word("frame_b", plus: 4) == 0x5EED)
        #expect(try program.word("frame_a", plus: 4) == 0xF00D)
    }

    @Test func aPageFaultForgetsTheTranslationOfItsPage() throws {
        // SDM §4.10.4.1 (and "Page faults"): a #PF resulting from an attempt
        // to use a linear address invalidates any TLB entry for that
        // address's page number. TEST_LINEAR is read (remembered), then made
        // not present without invlpg; a write faults (it walks the tables);
        // after that fault the read must walk too, and fault.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                ENABLE_PAGING
                movl TEST_LINEAR, %esi
                movl $0, test_table
                RESUME 0, 1f
                RESUME 1, 2f
                movl $0x12345678, %edi
            write_site:
                movl %esi, TEST_LINEAR+4
            1:
            read_site:
                movl TEST_LINEAR, %edi
            2:  hlt
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.esi] == 0xA0A0_A0A0)
        let faults = try program.pageFaults()
        let edi = program.machine[.edi]
        #expect(faults == [
            PageFault(errorCode: 2, address: Self.test + 4, eip: program.symbol("write_site")),
            PageFault(errorCode: 0, address: Self.test, eip: program.symbol("read_site")),
        ])
        #expect(edi == 0x1234_5678)
    }

    @Test func aGlobalPageSurvivesACR3WriteButNotInvlpgOrAPGEToggle() throws {
        // SDM §4.10.4.1: a CR3 write keeps global translations (G, with
        // CR4.PGE); invlpg and a change of CR4.PGE remove them.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, frame_a, P|RW|G
                MAP test_table, TEST_LINEAR+0x1000, frame_a, P|RW|G
                MAP test_table, TEST_LINEAR+0x2000, frame_a, P|RW
                movl %cr4, %eax
                orl $CR4_PGE, %eax
                movl %eax, %cr4
                ENABLE_PAGING
                movl TEST_LINEAR, %eax
                movl TEST_LINEAR+0x1000, %eax
                movl TEST_LINEAR+0x2000, %eax
                MAP test_table, TEST_LINEAR, frame_b, P|RW|G
                MAP test_table, TEST_LINEAR+0x1000, frame_b, P|RW|G
                MAP test_table, TEST_LINEAR+0x2000, frame_b, P|RW
                movl %cr3, %eax
                movl %eax, %cr3
                movl TEST_LINEAR, %ebx          # global: still frame_a
                movl TEST_LINEAR+0x1000, %ecx   # global: still frame_a
                movl TEST_LINEAR+0x2000, %edx   # not global: frame_b
                invlpg TEST_LINEAR
                movl TEST_LINEAR, %esi          # frame_b
                movl TEST_LINEAR+0x1000, %edi   # still frame_a
                movl %cr4, %eax
                andl $~CR4_PGE, %eax
                movl %eax, %cr4
                orl $CR4_PGE, %eax
                movl %eax, %cr4
                movl TEST_LINEAR+0x1000, %ebp   # frame_b
                hlt
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect([machine[.ebx], machine[.ecx], machine[.edx]] == [0xA0A0_A0A0, 0xA0A0_A0A0, 0xB0B0_B0B0])
        #expect([machine[.esi], machine[.edi], machine[.ebp]] == [0xB0B0_B0B0, 0xA0A0_A0A0, 0xB0B0_B0B0])
    }

    @Test func invlpgAnywhereInAFourMegabytePageForgetsAllOfIt() throws {
        // SDM §4.10.2.3: a processor may cache a 4 MB page as several 4 KB
        // TLB entries, but INVLPG (of any address in it) invalidates "all TLB
        // entries corresponding to the translation specified by the paging
        // structures". Entry 512 maps 4 MB at physical 0, then at 0x400000
        // (RAM the test adds, with markers where frame_a and frame_b fall).
        let program = try PagingProgram("""
                movl $P|RW|PS, page_directory+512*4
                movl %cr4, %eax
                orl $CR4_PSE, %eax
                movl %eax, %cr4
                ENABLE_PAGING
                movl frame_a+0x80000000, %eax       # both 4 KB parts of the page are used
                movl frame_b+0x80000000, %eax
                movl $0x400000|P|RW|PS, page_directory+512*4
                invlpg frame_a+0x80000000
                movl frame_a+0x80000000, %esi       # the new page
                movl frame_b+0x80000000, %edi       # the new page too
                hlt
            """)
        program.machine.map(0x0040_0000, size: 0x0040_0000, permissions: [.read, .write])
        try program.machine.write([0xC0, 0xC0, 0xC0, 0xC0], at: 0x0040_0000 | program.symbol("frame_a"))
        try program.machine.write([0xD0, 0xD0, 0xD0, 0xD0], at: 0x0040_0000 | program.symbol("frame_b"))
        #expect(program.run() == .halted)
        #expect(program.machine[.esi] == 0xC0C0_C0C0)
        #expect(program.machine[.edi] == 0xD0D0_D0D0)
    }

    @Test func aCodePageRemappedAndInvalidatedRunsTheNewCode() throws {
        // The fetch side of the TLB: after the entry changes and invlpg, the
        // call reaches the new frame.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, code_a, P
                ENABLE_PAGING
                movl $TEST_LINEAR, %ebx
                call *%ebx
                movl %eax, %esi
                MAP test_table, TEST_LINEAR, code_b, P
                invlpg TEST_LINEAR
                call *%ebx
                movl %eax, %edi
                hlt
            .align 4096
            code_a:
                movl $0xa, %eax
                ret
            .align 4096
            code_b:
                movl $0xb, %eax
                ret
            .align 4096
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.esi] == 0xA)
        #expect(program.machine[.edi] == 0xB)
    }

    @Test func clearingCR0PGMakesLinearAddressesPhysicalAgain() throws {
        // With paging on, the page of frame_a is mapped to frame_b; with PG
        // cleared again (which flushes the TLB), frame_a's address is frame_a.
        let program = try PagingProgram("""
                MAP low_table, frame_a, frame_b, P|RW
                ENABLE_PAGING
                movl frame_a, %esi
                movl %cr0, %eax
                andl $~CR0_PG, %eax
                movl %eax, %cr0
                movl frame_a, %edi
                hlt
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.esi] == 0xB0B0_B0B0)
        #expect(program.machine[.edi] == 0xA0A0_A0A0)
        #expect(!program.machine.isPagingEnabled)
    }

    // MARK: Accesses that straddle pages

    @Test func aStraddlingAccessFaultsOnTheSecondPageAndWritesNothing() throws {
        // TEST_LINEAR+0x1000 is not present. A 4-byte access at +0xffe faults
        // with CR2 = the first byte of the second page; the two bytes in the
        // first page keep their value. With the first page absent instead,
        // CR2 is the access's own address.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                MAP test_table, TEST_LINEAR+0x3000, frame_b, P|RW
                ENABLE_PAGING
                RESUME 0, 1f
                RESUME 1, 2f
                RESUME 2, 3f
                movl $0x99999999, %eax
            straddling_write:
                movl $0x11223344, TEST_LINEAR+0xffe
            1:
            straddling_read:
                movl TEST_LINEAR+0xffe, %eax
            2:
            first_page_absent:
                movw $0x5566, TEST_LINEAR+0x2fff
            3:  hlt
            """)
        #expect(program.run() == .halted)
        #expect(try program.pageFaults() == [
            PageFault(errorCode: 2, address: Self.test + 0x1000, eip: program.symbol("straddling_write")),
            PageFault(errorCode: 0, address: Self.test + 0x1000, eip: program.symbol("straddling_read")),
            PageFault(errorCode: 2, address: Self.test + 0x2FFF, eip: program.symbol("first_page_absent")),
        ])
        #expect(try program.word("frame_a", plus: 0xFFC) == 0xA0A0_AFFC)
        #expect(try program.word("frame_b") == 0xB0B0_B0B0)
        #expect(program.machine[.eax] == 0x9999_9999)
    }

    @Test func aStraddlingWriteToAReadOnlySecondPageIsAProtectionFault() throws {
        // Both pages present; the second is read-only (CR0.WP = 1), then
        // supervisor-only for ring 3: the fault names the second page.
        let program = try PagingProgram("""
                MAP low_table, user_code, user_code, P|US
                MAP test_table, TEST_LINEAR, frame_a, P|RW|US
                MAP test_table, TEST_LINEAR+0x1000, frame_b, P|US
                MAP test_table, TEST_LINEAR+0x2000, frame_a, P|RW|US
                MAP test_table, TEST_LINEAR+0x3000, frame_b, P|RW
                movl %cr0, %eax
                orl $CR0_WP, %eax
                movl %eax, %cr0
                ENABLE_PAGING
                RESUME 0, 1f
                RESUME 1, 2f
            ring0_write:
                movl $0x11223344, TEST_LINEAR+0xffd
            1:  TO_RING3 user_code
            .align 4096
            user_code:
            ring3_write:
                movw $0x5566, TEST_LINEAR+0x2fff
            2:  int $0x80
            .align 4096
            """)
        #expect(program.run() == .halted)
        #expect(try program.pageFaults() == [
            PageFault(errorCode: 3, address: Self.test + 0x1000, eip: program.symbol("ring0_write")),
            PageFault(errorCode: 7, address: Self.test + 0x3000, eip: program.symbol("ring3_write")),
        ])
        #expect(try program.word("frame_a", plus: 0xFFC) == 0xA0A0_AFFC)
        #expect(try program.word("frame_b") == 0xB0B0_B0B0)
    }

    @Test func anInstructionStraddlingIntoAnAbsentPageFaultsOnThatPage() throws {
        // A 5-byte mov whose last 3 bytes would be in the absent page: the
        // fetch faults with CR2 = that page, the saved eip is the instruction.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, fetch_page, P
                ENABLE_PAGING
                movl $TEST_LINEAR+0xffe, %eax
                jmp *%eax
            .align 4096
            fetch_page:
                .fill 4094, 1, 0x90
                .byte 0xb8, 0x01               # movl $imm32, %eax, cut by the page end
            .align 4096
            """)
        #expect(program.run() == .halted)
        #expect(try program.pageFaults() == [PageFault(errorCode: 0, address: Self.test + 0x1000, eip: Self.test + 0xFFE)])
    }

    @Test func aRepeatedStringInstructionFaultsAtTheElementOnTheAbsentPage() throws {
        // SDM (REP): a fault during a repeated string instruction leaves the
        // registers at the faulting iteration and eip at the instruction.
        // rep stosw from TEST_LINEAR+0xffa, 8 words: three land in frame_a,
        // the fourth would start at +0x1000.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                ENABLE_PAGING
                cld
                movl $0x7777, %eax
                movl $TEST_LINEAR+0xffa, %edi
                movl $8, %ecx
            string_site:
                rep stosw
                hlt
            """)
        #expect(program.run() == .halted)
        #expect(try program.pageFaults() == [PageFault(errorCode: 2, address: Self.test + 0x1000, eip: program.symbol("string_site"))])
        #expect(program.machine[.ecx] == 5)
        #expect(program.machine[.edi] == Self.test + 0x1000)
        #expect(try program.word("frame_a", plus: 0xFF8) == 0x7777_0000)
        #expect(try program.word("frame_a", plus: 0xFFC) == 0x7777_7777)
    }

    @Test func anInstructionStraddlingPagesIsDecodedFromWhatBothPagesHoldNow() throws {
        // `movl $imm32, %eax` starts 2 bytes before the end of head_page; its
        // last 3 immediate bytes and the `ret` come from the next page, which
        // maps tail_a, then tail_b (invlpg), then tail_b rewritten.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, head_page, P
                MAP test_table, TEST_LINEAR+0x1000, tail_a, P|RW
                ENABLE_PAGING
                movl $TEST_LINEAR+0xffe, %ebx
                call *%ebx
                movl %eax, results
                MAP test_table, TEST_LINEAR+0x1000, tail_b, P|RW
                invlpg TEST_LINEAR+0x1000
                call *%ebx
                movl %eax, results+4
                movb $0x24, TEST_LINEAR+0x1001        # the immediate's third byte, in tail_b
                call *%ebx
                movl %eax, results+8
                hlt
            .align 4096
            head_page:
                .fill 4094, 1, 0x90
                .byte 0xb8, 0x01                       # movl $0x..01, %eax
            tail_a:
                .byte 0x02, 0x03, 0x04, 0xc3           # ... 0x04030201; ret
            .align 4096
            .data
            results: .space 12
            .align 4096
            tail_b:
                .byte 0x12, 0x13, 0x14, 0xc3           # ... 0x14131201; ret
            .align 4096
            """)
        program.machine.physicalMemory.protect(program.symbol("tail_b"), size: 4096, permissions: .all)
        #expect(program.run() == .halted)
        let results = try program.program.words(program.symbol("results"), count: 3)
        #expect(results == [0x0403_0201, 0x1413_1201, 0x1424_1201])
        #expect(try program.pageFaults() == [])
    }

    // MARK: Code through several linear addresses

    @Test func codeWrittenThroughOneAliasRunsNewThroughTheOther() throws {
        // code_frame is mapped twice: executable at TEST_LINEAR (read-only),
        // writable at TEST_LINEAR+0x1000. The frame holds `movl $1, %eax; ret`;
        // writing the immediate through the writable alias changes what the
        // next call through the other one returns, even once the code is hot.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, code_frame, P
                MAP test_table, TEST_LINEAR+0x1000, code_frame, P|RW
                ENABLE_PAGING
                movl $TEST_LINEAR, %ebx
                movb $7, TEST_LINEAR+0x1001     # written before any decoding (a write TLB entry exists)
                call *%ebx
                movl %eax, results
                movl $3, %ecx
            1:  call *%ebx                      # hot: the same block three times
                loop 1b
                movb $2, TEST_LINEAR+0x1001
                call *%ebx
                movl %eax, results+4
                movb $3, TEST_LINEAR+0x1001
                call *%ebx
                movl %eax, results+8
                hlt
            .data
            results: .long 0, 0, 0
            .align 4096
            code_frame:
                movl $1, %eax
                ret
            .align 4096
            """)
        // The data segment is not executable; let this frame hold code.
        program.machine.physicalMemory.protect(program.symbol("code_frame"), size: 4096, permissions: .all)
        #expect(program.run() == .halted)
        #expect(try program.program.words(program.symbol("results"), count: 3) == [7, 2, 3])
        #expect(try program.pageFaults() == [])
    }

    @Test func codeRewritingItsNextInstructionThroughAnAliasIsExact() throws {
        // kstep keeps self-modifying code exact whatever linear address the
        // write goes through: the instruction after the store runs as stored.
        // (The SDM, §11.6, only promises that for a write through the same
        // linear address, or after a branch; kstep is stricter.)
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, code_frame, P
                MAP test_table, TEST_LINEAR+0x1000, code_frame, P|RW
                ENABLE_PAGING
                movl $TEST_LINEAR, %ebx
                call *%ebx
                movl %eax, %esi
                call *%ebx
                hlt
            .data
            .align 4096
            code_frame:
                movb $0x22, TEST_LINEAR+0x1000+(target-code_frame)+1
            target:
                movl $0x11, %eax
                ret
            .align 4096
            """)
        program.machine.physicalMemory.protect(program.symbol("code_frame"), size: 4096, permissions: .all)
        #expect(program.run() == .halted)
        #expect(program.machine[.esi] == 0x22)
        #expect(program.machine[.eax] == 0x22)
    }

    @Test func aCR3WriteSwitchesBetweenAddressSpaces() throws {
        // Two directories share the identity mappings; in each, TEST_LINEAR is
        // code (code_a returns 0xa, code_b 0xb) and TEST_LINEAR+0x1000 is data
        // (frame_a, frame_b). The same linear addresses reach other frames
        // after each CR3 write.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR, code_a, P
                MAP test_table, TEST_LINEAR+0x1000, frame_a, P|RW
                MAP table_b, TEST_LINEAR, code_b, P
                MAP table_b, TEST_LINEAR+0x1000, frame_b, P|RW
                movl page_directory, %eax
                movl %eax, directory_b
                movl page_directory+5*4, %eax
                movl %eax, directory_b+5*4
                movl $table_b+P+RW+US, directory_b+256*4
                ENABLE_PAGING
                movl $TEST_LINEAR, %ebx
                call *%ebx
                movl %eax, results
                movl TEST_LINEAR+0x1000, %eax
                movl %eax, results+4
                movl $directory_b, %eax
                movl %eax, %cr3
                call *%ebx
                movl %eax, results+8
                movl TEST_LINEAR+0x1000, %eax
                movl %eax, results+12
                movl $0xbbbb, TEST_LINEAR+0x1004
                movl $page_directory, %eax
                movl %eax, %cr3
                call *%ebx
                movl %eax, results+16
                movl TEST_LINEAR+0x1000, %eax
                movl %eax, results+20
                hlt
            .align 4096
            code_a:
                movl $0xa, %eax
                ret
            .align 4096
            code_b:
                movl $0xb, %eax
                ret
            .align 4096
            .data
            results: .space 24
            .bss
            .align 4096
            directory_b: .space 4096
            table_b: .space 4096
            """)
        #expect(program.run() == .halted)
        #expect(try program.program.words(program.symbol("results"), count: 6)
                == [0xA, 0xA0A0_A0A0, 0xB, 0xB0B0_B0B0, 0xA, 0xA0A0_A0A0])
        #expect(try program.word("frame_b", plus: 4) == 0xBBBB)
        #expect(try program.word("frame_a", plus: 4) == 0)
        #expect(program.machine[.cr3] == program.symbol("page_directory"))
    }

    @Test func aFaultInTheMiddleOfStraightLineCodeKeepsWhatCameBefore() throws {
        // The instructions before the faulting one have retired, the ones
        // after it have not; the frame holds the faulting eip and the flags
        // the cmp left (pending until then: kstep evaluates flags lazily).
        let program = try PagingProgram("""
                ENABLE_PAGING
                movl $1, %esi
                movl $3, %eax
                cmpl $5, %eax                   # CF, AF, SF
            fault_site:
                movl TEST_LINEAR+0x5000, %ebx
                movl $2, %esi
                hlt
            """)
        #expect(program.run() == .halted)
        #expect(try program.pageFaults() == [PageFault(errorCode: 0, address: Self.test + 0x5000, eip: program.symbol("fault_site"))])
        #expect(program.machine[.esi] == 1)
        #expect(try program.program.words(0x015F_C000 - 16, count: 4)
                == [0, program.symbol("fault_site"), 0x60, 0x2 | 0x1 | 0x10 | 0x80])
    }

    @Test func cr2HoldsTheLinearAddressOfASegmentRelativeAccess() throws {
        // fs has base TEST_LINEAR+0x1000 (GDT entry 6, a TLS slot): %fs:0x1010
        // is linear TEST_LINEAR+0x2010, which is not present.
        let program = try PagingProgram("""
                MAP test_table, TEST_LINEAR+0x1000, frame_b, P|RW
                movl $0x1000ffff, GDT+6*8
                movl $0x40cf9200, GDT+6*8+4
                movw $0x30, %ax
                movw %ax, %fs
                ENABLE_PAGING
                movl %fs:0, %esi
                RESUME 0, 1f
            fs_site:
                movl %fs:0x1010, %edi
            1:  hlt
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.esi] == 0xB0B0_B0B0)
        #expect(try program.pageFaults() == [PageFault(errorCode: 0, address: Self.test + 0x2010, eip: program.symbol("fs_site"))])
    }

    @Test func aPageFaultPushingAPageFaultFrameIsADoubleFaultThenATripleFault() throws {
        // esp points into a page that is not present. The first #PF (a read)
        // cannot push its frame: a #PF while delivering a #PF is #DF (SDM
        // Table 6-5), whose frame cannot be pushed either: triple fault. CR2
        // holds the last faulting address, the first push's.
        let program = try PagingProgram("""
                ENABLE_PAGING
                movl $TEST_LINEAR+0x5000, %esp
                movl TEST_LINEAR+0x7000, %eax
                hlt
            """)
        #expect(program.run() == .tripleFault)
        #expect(program.machine[.cr2] == Self.test + 0x4FFC)
        #expect(try program.pageFaults() == [])
    }

    @Test func dataBreakpointsWatchLinearAddressesNotFrames() throws {
        // DR0 watches 4-byte writes at TEST_LINEAR+0x1008 (frame_b+8). A write
        // to the same frame through the alias TEST_LINEAR+0x2008 does not hit
        // it; one through the watched address does (#DB, B0 in DR6).
        let program = try PagingProgram("""
                GATE 1, db_handler
                LOAD_IDT
                MAP test_table, TEST_LINEAR+0x1000, frame_b, P|RW
                MAP test_table, TEST_LINEAR+0x2000, frame_b, P|RW
                ENABLE_PAGING
                movl $TEST_LINEAR+0x1008, %eax
                movl %eax, %db0
                movl $0x000d0001, %eax              # L0, write, 4 bytes
                movl %eax, %db7
                movl $1, TEST_LINEAR+0x2008
                movl $2, TEST_LINEAR+0x1008
            after_write:
                hlt
            db_handler:
                incl db_count
                movl %db6, %eax
                movl %eax, db6_value
                movl (%esp), %eax
                movl %eax, db_eip
                iret
            .data
            db_count: .long 0
            db6_value: .long 0
            db_eip: .long 0
            """)
        #expect(program.run() == .halted)
        #expect(try program.word("db_count") == 1)
        #expect(try program.word("db6_value") & 0xF == 1)
        #expect(try program.word("db_eip") == program.symbol("after_write"))
        #expect(try program.word("frame_b", plus: 8) == 2)
    }

    @Test func descriptorTablesAreReadThroughPaging() throws {
        // GDTR holds a linear address: TEST_LINEAR, mapped to the GDT's frame.
        // Remapped (with invlpg) to a copy whose user data descriptor (0x78)
        // is not present, the same segment load now raises #NP(0x78).
        let program = try PagingProgram("""
                GATE 11, np_handler
                LOAD_IDT
                movl $GDT, %esi
                movl $gdt_copy, %edi
                movl $1024, %ecx
                cld
                rep movsl
                andb $0x7f, gdt_copy+0x78+5
                MAP test_table, TEST_LINEAR, GDT, P|RW
                ENABLE_PAGING
                lgdt linear_gdt
                movw $USER_DS, %ax
                movw %ax, %es
                movw %es, %si
                MAP test_table, TEST_LINEAR, gdt_copy, P|RW
                invlpg TEST_LINEAR
                movw $0, %ax
                movw %ax, %es
                movw $USER_DS, %ax
            np_site:
                movw %ax, %es
                hlt
            np_handler:
                popl %ebx
                popl %edi
                hlt
            .data
            linear_gdt: .word 0xff
                .long TEST_LINEAR
            .bss
            .align 4096
            gdt_copy: .space 4096
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.esi] & 0xFFFF == 0x7B)
        #expect(program.machine[.ebx] == 0x78)
        #expect(program.machine[.edi] == program.symbol("np_site"))
        #expect(program.machine.deliveredEvents.map(\.vector) == [11])
    }

    // MARK: Implicit supervisor accesses

    @Test func aFaultOnAnImplicitSupervisorAccessFromRing3HasUSClear() throws {
        // The IDT is moved so that gate 0x80 lies on a page that is not
        // present (gate 14 stays on a present one). int $0x80 from ring 3
        // faults reading the gate: a supervisor access (SDM §4.6), so the
        // error code is 0, not 4; CR2 is the gate's address.
        let program = try PagingProgram("""
                MAP low_table, user_code, user_code, P|US
                movl $idt, %esi
                movl $moved_idt, %edi
                movl $512, %ecx
                cld
                rep movsl
                lidt moved_idt_descriptor
                MAP low_table, idt_pages+4096, 0, 0       # the second page: not present
                ENABLE_PAGING
                TO_RING3 user_code
            .align 4096
            user_code:
            int_site:
                int $0x80
            .align 4096
            .data
            moved_idt_descriptor: .word 256*8-1
                .long moved_idt
            .bss
            .align 4096
            idt_pages: .space 8192
            .set moved_idt, idt_pages+4096-0x200
            """)
        #expect(program.run() == .halted)
        let gate = program.symbol("idt_pages") + 4096 - 0x200 + 0x80 * 8
        #expect(try program.pageFaults() == [PageFault(errorCode: 0, address: gate, eip: program.symbol("int_site"))])
    }


    @Test func ring3InterruptsReachSupervisorOnlyTablesAndStacks() throws {
        // Only user_code and the user stack are user pages; the IDT, GDT,
        // TSS and kernel stack are supervisor-only. Reading a gate, the TSS's
        // esp0, the descriptors and pushing the frame are supervisor
        // accesses even from ring 3 (SDM §4.6), so int $0x81, the return to
        // ring 3, segment loads, lsl, an I/O permission check and a #PF from
        // ring 3 all work.
        let program = try PagingProgram("""
                GATE 0x81, syscall_handler, 0xee
                LOAD_IDT
                movw $104, TSS+102                # an I/O bitmap after the TSS: every port allowed
                MAP low_table, user_code, user_code, P|US
                ENABLE_PAGING
                TO_RING3 user_code
            syscall_handler:
                movl %esp, kernel_esp
                movl (%esp), %eax
                movl %eax, frame
                movl 4(%esp), %eax
                movl %eax, frame+4
                movl 12(%esp), %eax
                movl %eax, frame+8
                movl 16(%esp), %eax
                movl %eax, frame+12
                iret
            .align 4096
            user_code:
                int $0x81
            after_syscall:
                movw $USER_DS, %ax
                movw %ax, %fs                 # a descriptor read from ring 3
                movb $0x4b, %al
                outb %al, $0xe9               # the TSS's I/O bitmap, read from ring 3
                movl $USER_DS, %ecx
                lsll %ecx, %edi               # a descriptor's limit, read from ring 3
                ljmp $USER_CS, $far_target    # a far jump reads the code descriptor
            far_target:
                movl %esp, %esi
            kernel_read:
                movl kernel_esp, %eax         # supervisor data: #PF(P|U) = 5
            .align 4096
            .data
            kernel_esp: .long 0
            frame: .space 16
            """)
        #expect(program.run() == .halted)
        let stackTop: UInt32 = 0x015F_C000
        let userTop = program.symbol("user_stack_top")
        #expect(try program.word("kernel_esp") == stackTop - 20)
        #expect(try program.program.words(program.symbol("frame"), count: 4)
                == [program.symbol("after_syscall"), 0x73, userTop, 0x7B])
        #expect(program.machine[.esi] == userTop)
        #expect(program.machine[.edi] == 0xFFFF_FFFF)
        #expect(try program.pageFaults() == [
            PageFault(errorCode: 5, address: program.symbol("kernel_esp"), eip: program.symbol("kernel_read")),
        ])
        // The #PF frame on the kernel stack: error code, eip, cs, eflags, esp, ss.
        #expect(try program.program.words(stackTop - 24, count: 6)
                == [5, program.symbol("kernel_read"), 0x73, 0x242, userTop, 0x7B])  // ZF from lsl
        #expect(program.machine.deliveredEvents.map(\.vector) == [0x81, 14])
        #expect(String(decoding: program.program.image.console.text, as: UTF8.self) == "K")
        #expect(try program.entry("low_table", for: program.symbol("idt")) & Entry.us == 0)
    }
}
