import I386
import Testing

/// Ring 3 through iret and lret, int $0x80 onto the TSS stack, sysenter and
/// sysexit, privileged instructions and the I/O permission bitmap.
@Suite struct PrivilegeTests {
    static let stackTop: UInt32 = 0x015F_C000

    /// Switches to ring 3 at `user_code` on `user_stack_top`, with ds/es = USER_DS.
    static let toRing3 = """
            movw $USER_DS, %ax
            movw %ax, %ds
            movw %ax, %es
            pushl $USER_DS
            pushl $user_stack_top
            pushl $0x202
            pushl $USER_CS
            pushl $user_code
            iret
        """
    static let userStack = """
        .data
        .align 4
        .space 256
        user_stack_top:
        """

    @Test func systemCallFromRing3LandsOnTheTSSStack() throws {
        let program = try SystemProgram("""
                GATE 0x80, syscall_handler, 0xee
                GATE 13, gp_handler
                LOAD_IDT
            \(Self.toRing3)
            user_code:
                movl $0x2a, %ebx
                int $0x80
            after_syscall:
                hlt
            syscall_handler:
                movl %esp, kernel_esp
                movw %ss, kernel_ss
                movw %cs, kernel_cs
                iret
            gp_handler:
                movl %esp, %esi
                hlt
            \(Self.userStack)
            kernel_esp: .long 0
            kernel_ss: .word 0
            kernel_cs: .word 0
            """)
        #expect(program.run() == .halted)
        let top = program.symbol("user_stack_top")
        #expect(try program.word(program.symbol("kernel_esp")) == Self.stackTop - 20)
        #expect(try program.words(Self.stackTop - 20, count: 5)
                == [program.symbol("after_syscall"), 0x73, 0x202, top, 0x7B])
        #expect(try program.word(program.symbol("kernel_ss")) & 0xFFFF == 0x68)
        #expect(try program.word(program.symbol("kernel_cs")) & 0xFFFF == 0x60)
        // Back in ring 3, hlt is privileged: #GP(0) with an error code, again on the TSS stack.
        #expect(program.machine[.esi] == Self.stackTop - 24)
        #expect(try program.words(Self.stackTop - 24, count: 6)
                == [0, program.symbol("after_syscall"), 0x73, 0x202, top, 0x7B])
        #expect(program.machine.deliveredEvents.map(\.vector) == [0x80, 13])
    }

    @Test(arguments: ["cli", "movl %cr0, %eax", "lgdt idt_descriptor", "wrmsr", "inb $0x60, %al"])
    func privilegedInstructionsFaultInRing3(text: String) throws {
        let program = try SystemProgram("""
                GATE 13, gp_handler
                LOAD_IDT
            \(Self.toRing3)
            user_code:
                \(text)
                hlt
            gp_handler:
                popl %ebx
                popl %esi
                hlt
            \(Self.userStack)
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.ebx] == 0)  // error code 0
        #expect(program.machine[.esi] == program.symbol("user_code"))
        #expect(program.machine.cpl == 0)
    }

    @Test func ioPermissionBitmapDecidesPortAccessInRing3() throws {
        let program = try SystemProgram("""
                GATE 13, gp_handler
                LOAD_IDT
                movw $104, TSS+102        # use the bitmap after the TSS
                orb $0x01, TSS+104+0x10   # deny port 0x80
            \(Self.toRing3)
            user_code:
                movb $0x4b, %al
                outb %al, $0xe9           # allowed: the console
            denied:
                outb %al, $0x80
                hlt
            gp_handler:
                movl 4(%esp), %esi
                hlt
            \(Self.userStack)
            """)
        #expect(program.run() == .halted)
        #expect(String(decoding: program.image.console.text, as: UTF8.self) == "K")
        #expect(program.machine[.esi] == program.symbol("denied"))
    }

    @Test func farReturnToAnOuterLevel() throws {
        let program = try SystemProgram("""
                GATE 13, gp_handler
                LOAD_IDT
                movw $USER_DS, %ax
                movw %ax, %ds
                pushl $USER_DS
                pushl $user_stack_top
                pushl $USER_CS
                pushl $user_code
                lret
            user_code:
                hlt
            gp_handler:
                hlt
            \(Self.userStack)
            """)
        #expect(program.run() == .halted)
        let frame = try program.words(Self.stackTop - 24, count: 6)
        #expect(frame[1] == program.symbol("user_code"))
        #expect(frame[2] == 0x73)
        #expect(frame[4] == program.symbol("user_stack_top"))
        #expect(frame[5] == 0x7B)
    }

    @Test func sysenterAndSysexit() throws {
        let program = try SystemProgram("""
                xorl %edx, %edx
                movl $0x174, %ecx
                movl $KERNEL_CS, %eax
                wrmsr
                movl $0x175, %ecx
                movl $STACK_TOP-64, %eax
                wrmsr
                movl $0x176, %ecx
                movl $kernel_entry, %eax
                wrmsr
                movw $USER_DS, %ax
                movw %ax, %ds
                movl $user_code, %edx
                movl $user_stack_top, %ecx
                sysexit
            user_code:
                movw %cs, %bx
                movw %ss, %si
                sysenter
            kernel_entry:
                hlt
            \(Self.userStack)
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect(machine[.ebx] & 0xFFFF == 0x73)  // cs in ring 3: SYSENTER_CS + 16, RPL 3
        #expect(machine[.esi] & 0xFFFF == 0x7B)  // ss: SYSENTER_CS + 24, RPL 3
        #expect(try machine.register(named: "cs") == 0x60)
        #expect(try machine.register(named: "ss") == 0x68)
        #expect(machine[.esp] == Self.stackTop - 64)
        #expect(machine.eip == program.symbol("kernel_entry") + 1)
    }
}
