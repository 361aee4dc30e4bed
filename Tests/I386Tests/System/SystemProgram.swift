import I386
import Images

/// A protected-mode test program: assembled and linked with GNU as/ld, loaded
/// into kstep's default environment (Linux 2.6 GDT at 0x10000: kernel CS 0x60,
/// DS 0x68, user CS 0x73, DS 0x7b, TSS 0x80; esp at the top of the
/// thread_union 0x015fa000–0x015fc000). `SystemProgram.prelude` gives it an
/// IDT it fills with the `GATE` macro.
struct SystemProgram {
    let image: LoadedImage
    var machine: Machine { image.machine }

    static let prelude = """
        .set KERNEL_CS, 0x60
        .set KERNEL_DS, 0x68
        .set USER_CS, 0x73
        .set USER_DS, 0x7b
        .set GDT, 0x10000
        .set TSS, 0x10800
        .set STACK_TOP, 0x015fc000
        .macro GATE vector, handler, type=0x8e
            movl $\\handler, %eax
            movw %ax, idt+\\vector*8
            movw $KERNEL_CS, idt+\\vector*8+2
            movb $0, idt+\\vector*8+4
            movb $\\type, idt+\\vector*8+5
            shrl $16, %eax
            movw %ax, idt+\\vector*8+6
        .endm
        .macro LOAD_IDT
            lidt idt_descriptor
        .endm
        .data
        .align 8
        idt: .space 256*8
        idt_descriptor: .word 256*8-1
            .long idt
        .text
        .globl _start
        _start:

        """

    init(_ body: String) throws {
        image = try ImageLoader.load(try GNUToolchain.assemble(text: Self.prelude + body))
        // These programs' frames are written against an empty stack at STACK_TOP (the
        // default environment now starts one word below it, inside the union).
        image.machine[.esp] = 0x015F_C000
    }

    /// Runs to a stop reason.
    func run(maxSteps: Int = 100_000) -> StopReason { machine.run(maxSteps: maxSteps) }

    func symbol(_ name: String) -> UInt32 { image.symbols.symbol(named: name)?.value ?? 0 }

    func word(_ address: UInt32) throws -> UInt32 { try machine.word(at: address) }

    /// `count` words from `address` upward.
    func words(_ address: UInt32, count: Int) throws -> [UInt32] {
        try (0..<count).map { try word(address + UInt32($0) * 4) }
    }
}
