import I386
import Testing

/// Descriptor tables, segment loads with their checks, fs bases and limits.
@Suite struct SegmentationTests {
    /// A GDT entry 6 (selector 0x30): base 0x015fa000, byte-granular limit 0xfff, data read/write, DPL 0.
    static let tlsEntry = "movl $0xa0000fff, GDT+0x30; movl $0x0140925f, GDT+0x34"

    @Test func fsBaseAppliesToMemoryOperandsAndTheLimitIsChecked() throws {
        let program = try SystemProgram("""
                GATE 13, gp_handler
                LOAD_IDT
                \(Self.tlsEntry)
                movl $0x12345678, 0x015fa010
                movw $0x30, %ax
                movw %ax, %fs
                movl %fs:0x10, %ebx
            over_limit:
                movl %fs:0xffe, %ecx
                hlt
            gp_handler:
                popl %edx
                popl %esi
                hlt
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.ebx] == 0x1234_5678)
        #expect(program.machine[.edx] == 0)  // #GP(0)
        #expect(program.machine[.esi] == program.symbol("over_limit"))
        #expect(try program.machine.read(0x10035, count: 1) == [0x93])  // accessed bit set
        #expect(program.machine.segment(.fs).base == 0x015F_A000)
    }

    @Test(arguments: [
        ("movw $0, %ax; movw %ax, %ss", CPUException.generalProtection(errorCode: 0)),
        ("movw $0x1234, %ax; movw %ax, %ds", .generalProtection(errorCode: 0x1234)),
        ("movw $0x60, %ax; movw %ax, %ss", .generalProtection(errorCode: 0x60)),     // code is not a stack
        ("movw $0x7b, %ax; movw %ax, %ss", .generalProtection(errorCode: 0x78)),     // DPL 3 stack at CPL 0
        ("movl $0x0000ffff, GDT+0x38; movl $0x00cf1200, GDT+0x3c; movw $0x38, %ax; movw %ax, %ds",
         .segmentNotPresent(errorCode: 0x38)),
        ("movw $0, %ax; movw %ax, %ds; movl (0), %eax", .generalProtection(errorCode: 0)),  // null segment used
    ])
    func segmentLoadChecks(text: String, expected: CPUException) throws {
        let program = try SystemProgram(text + "\nhlt")
        #expect(program.run() == .exception(expected))
    }

    @Test func tableRegistersAndDescriptorQueries() throws {
        let program = try SystemProgram("""
                sgdt saved_gdt
                lidt new_idt
                sidt saved_idt
                str %eax
                movw %ds, %bx
                movl $0x60, %ecx
                larl %ecx, %edx
                lsll %ecx, %esi
                verr %cx
                setz verr_code
                verw %cx
                setz verw_code
                movw $0x68, %di
                movw $0x73, %bp
                arpl %bp, %di
                hlt
            .data
            saved_gdt: .space 6
            saved_idt: .space 6
            new_idt: .word 0x7ff
                .long 0x00123456
            verr_code: .byte 0
            verw_code: .byte 0
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        let gdt = try machine.read(program.symbol("saved_gdt"), count: 6)
        #expect(gdt == [0xFF, 0x00, 0x00, 0x00, 0x01, 0x00])  // limit 255, base 0x10000
        #expect(try machine.read(program.symbol("saved_idt"), count: 6) == [0xFF, 0x07, 0x56, 0x34, 0x12, 0x00])
        #expect(machine[.eax] == 0x80)  // str: the TSS selector, zero-extended
        #expect(machine[.ebx] & 0xFFFF == 0x68)
        #expect(machine[.edx] == 0x00CF_9A00)  // lar: access rights of __KERNEL_CS
        #expect(machine[.esi] == 0xFFFF_FFFF)  // lsl: 4 GB
        #expect(try machine.read(program.symbol("verr_code"), count: 2) == [1, 0])  // readable, not writable
        #expect(machine[.edi] & 0xFFFF == 0x6B)  // arpl raised the RPL to 3
        #expect(machine.eflags & EFLAGS.zf != 0)
    }

    @Test func farJumpAndCallBetweenCodeSegments() throws {
        let program = try SystemProgram("""
                ljmp $KERNEL_CS, $target
                hlt
            target:
                lcall $KERNEL_CS, $function
                movl $2, %esi
                hlt
            function:
                movl (%esp), %edi
                movl 4(%esp), %ebp
                lret
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.edi] == program.symbol("target") + 7)
        #expect(program.machine[.ebp] == 0x60)
        #expect(program.machine[.esi] == 2)
    }

    @Test func farPointerLoadsAndSegmentPushPop() throws {
        let program = try SystemProgram("""
                \(Self.tlsEntry)
                lfs pointer, %ebx
                lss stack_pointer, %esp
                pushl %fs
                popl %gs
                movl %gs:0x20, %ecx
                movl %esp, %edx
                hlt
            .data
            pointer: .long 0xabcd
                .word 0x30
            stack_pointer: .long 0x015fb000
                .word KERNEL_DS
            """)
        try program.machine.write([0x78, 0x56, 0x34, 0x12], at: 0x015F_A020)
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect(machine[.ebx] == 0xABCD)
        #expect(try machine.register(named: "fs") == 0x30)
        #expect(try machine.register(named: "gs") == 0x30)
        #expect(machine[.ecx] == 0x1234_5678)  // through gs's base, loaded by pop
        #expect(machine[.edx] == 0x015F_B000)
    }
}
