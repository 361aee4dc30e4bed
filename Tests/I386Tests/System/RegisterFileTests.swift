import I386
import Testing

/// A `RegisterFile` kept the way tracers keep it — the general registers
/// copied after every instruction, the selectors, control and debug
/// registers only when `systemRegistersGeneration` moved — must agree with
/// the registers themselves after every instruction, whatever changed them.
struct RegisterFileTests {
    struct Checker: ExecutionObserver {
        var mismatches: [String] = []
        var checked = 0
        var file = RegisterFile()
        var generation: UInt64 = .max

        mutating func didExecute(_ machine: Machine, instructionAddress: UInt32, writes: MemoryAccesses) {
            check(machine, at: instructionAddress)
        }

        mutating func didRaise(_ machine: Machine, exception: CPUException, instructionAddress: UInt32,
                               delivered: Bool, writes: MemoryAccesses) {
            check(machine, at: instructionAddress)
        }

        mutating func check(_ machine: Machine, at address: UInt32) {
            file.updateGeneral(from: machine)
            if machine.systemRegistersGeneration != generation {
                file.updateSystem(from: machine)
                generation = machine.systemRegistersGeneration
            }
            for register in Register.allCases where file[register] != machine[register] {
                mismatches.append("\(register.name) after \(String(address, radix: 16))")
            }
            checked += 1
        }
    }

    @Test func theCopyAgreesAfterSegmentControlAndDebugRegisterChanges() throws {
        let program = try SystemProgram("""
                GATE 1, db_handler
                GATE 13, gp_handler
                LOAD_IDT
                movl $0x7b, %eax
                movl %eax, %fs             # a segment load
                movl %eax, %gs
                pushl $KERNEL_DS
                popl %es                   # pop into a segment register
                movl $0x1234, %eax
                movl %eax, %fs             # #GP: the handler nulls fs
                movl %cr0, %eax
                orl $8, %eax
                movl %eax, %cr0            # TS
                clts
                movl $0xc0000000, %eax
                movl %eax, %cr3
                movl $0x290, %eax          # PSE, PGE, OSFXSR (bits the model has)
                movl %eax, %cr4
                movl $watched, %eax
                movl %eax, %db2
                movl $0x0d000010, %eax     # L2, write-only, 4 bytes
                movl %eax, %db7
                movl $5, watched           # #DB trap: DR6 changes in delivery
                ljmp $KERNEL_CS, $far_target
            far_target:
                hlt
            gp_handler:
                movl $0, %eax
                movl %eax, %fs
                addl $4, %esp              # the error code
                addl $5, (%esp)            # past the 5-byte faulting mov... a 2-byte mov %eax,%fs
                subl $3, (%esp)
                iret
            db_handler:
                movl %db6, %edi
                iret
            .data
            watched: .long 0
            """)
        var checker = Checker()
        #expect(program.machine.run(maxSteps: 1000, until: nil, observer: &checker) == .halted)
        #expect(checker.mismatches.isEmpty, "\(checker.mismatches.prefix(5))")
        #expect(checker.checked > 25)
        #expect(program.machine[.dr6] & 4 != 0)  // B2: the #DB was delivered
        #expect(program.machine[.cr3] == 0xc000_0000)
        #expect(program.machine[.cr4] == 0x290)
    }
}
