import Foundation
import Images
import KernelModel
import Testing

/// The xv6 profile as read from the kernel's DWARF and symbols equals the
/// facts `../shared/xv6/README.md` lists, and follows a rebuilt kernel.
@Suite struct XV6ProfileTests {
    @Test func kernelmemfsGivesTheREADMEFacts() throws {
        guard let elf = try XV6Kernel.load() else { return }
        let profile = try XV6Profile(elf: elf)
        #expect(profile.process == XV6Profile.ProcessLayout(size: 124, kernelStack: 8, state: 12, pid: 16, name: 108,
                                                            nameLength: 16))
        #expect(profile.cpu == XV6Profile.CPULayout(size: 176, scheduler: 4, taskState: 8, taskStateESP0: 12, process: 172))
        #expect(profile.cpus == 0x8018_E740)
        #expect(profile.currentProcessAddress == 0x8018_E7EC)
        #expect(profile.schedulerContextAddress == 0x8018_E744)
        #expect(profile.taskStateESP0Address == 0x8018_E74C)
        #expect(profile.stackSwitch == 0x8010_460B + 0xE)  // swtch's mov %edx,%esp
        #expect(profile.processStates == ["UNUSED", "EMBRYO", "SLEEPING", "RUNNABLE", "RUNNING", "ZOMBIE"])
        #expect(profile.stateName(4) == "RUNNING" && profile.stateName(6) == nil)
        // The names the kernel's syscalls[] gives are the README's.
        #expect(profile.systemCalls == XV6Profile.defaultSystemCalls)
        #expect(profile.systemCalls.vector == 0x40)
        #expect(profile.systemCalls.name(of: 16) == "write" && profile.systemCalls.name(of: 0) == nil)
        #expect(profile.systemCalls.name(of: 22) == nil)
    }

    /// The disk kernel is another build of the same sources: other addresses, same layouts.
    @Test func theDiskKernelHasItsOwnAddresses() throws {
        let path = XV6Kernel.directory + "/kernel"
        guard FileManager.default.fileExists(atPath: path) else {
            print("skipped: no xv6 kernel at \(path)")
            return
        }
        let elf = try ELF32File(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), path: path)
        let profile = try XV6Profile(elf: elf)
        let symbols = SymbolTable(elf.symbols)
        #expect(profile.cpus == symbols.symbol(named: "cpus")?.value)
        #expect(profile.stackSwitch == (symbols.symbol(named: "swtch")?.value).map { $0 + 0xE })
        #expect(profile.process.size == 124 && profile.cpu.process == 172)
        #expect(XV6Profile.isXV6(symbols))
    }

    @Test func aKernelWithoutDebugInformationOrXV6sTypesIsAnError() throws {
        let elf = try GNUToolchain.assemble(text: ".globl swtch\nswtch: movl %edx,%esp\nret")
        #expect(throws: KernelProfileError.self) { try XV6Profile(elf: elf) }
        do {
            _ = try XV6Profile(elf: elf)
        } catch {
            #expect(error.description.contains("build it with -g"), "\(error)")
        }
        #expect(!XV6Profile.isXV6(SymbolTable(elf.symbols)))
    }

    @Test func profilesByName() throws {
        let image = try ImageLoader.load(.assembly("nop"))
        #expect(try KernelProfile.named("linux26", for: image, threadSize: 4096) == .linux26(Linux26Profile(threadSize: 4096)))
        #expect(throws: KernelProfileError.self) { try KernelProfile.named("minix", for: image) }
        #expect(throws: KernelProfileError.self) { try KernelProfile.named("xv6", for: image) }
        #expect(KernelProfile.detected(for: image) == nil)
        guard FileManager.default.fileExists(atPath: XV6Kernel.kernelPath) else { return }
        let booted = try MultibootLoader.load(XV6Kernel.kernelPath)
        #expect(KernelProfile.detected(for: booted) == "xv6")
        #expect(try KernelProfile.named("xv6", for: booted).name == "xv6")
    }
}
