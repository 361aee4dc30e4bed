import I386

/// A machine with an input loaded into it, and the input's symbols.
public struct LoadedImage {
    /// The machine, ready to run from the entry point.
    public let machine: Machine
    /// Symbols of the image (empty for raw bytes).
    public let symbols: SymbolTable
    /// The name of the input, for messages.
    public let name: String
}

/// Loads ELF images and raw bytes into a fresh `Machine`.
public enum ImageLoader {
    /// Where the default kernel stack (one 8 KB thread_union) lives: the seeds' example.
    public static let defaultThreadUnion: UInt32 = 0x015F_A000
    public static let defaultThreadSize: UInt32 = 8192

    /// Maps every PT_LOAD segment with its permissions (bss zeroed), sets eip
    /// to the entry point, and gives the machine a default stack.
    public static func load(_ elf: ELF32File) throws(ImageError) -> LoadedImage {
        guard !elf.isRelocatable else {
            throw .malformedELF(path: elf.path, reason: "a relocatable object (.o) has no load addresses; link it first")
        }
        let machine = try makeMachine(name: elf.path)
        for segment in elf.segments where segment.isLoadable && segment.memorySize > 0 {
            var permissions: MemoryPermissions = [.read]
            if segment.isWritable { permissions.insert(.write) }
            if segment.isExecutable { permissions.insert(.execute) }
            machine.map(segment.virtualAddress, size: segment.memorySize, permissions: permissions)
            do {
                try machine.write(elf.contents(of: segment), at: segment.virtualAddress)
            } catch {
                throw .malformedELF(path: elf.path, reason: "segment at 0x\(hex(segment.virtualAddress)) could not be loaded: \(error)")
            }
        }
        machine.eip = elf.entry
        addDefaultStack(machine)
        return LoadedImage(machine: machine, symbols: SymbolTable(elf.symbols), name: elf.path)
    }

    /// Loads raw bytes at `address` (read/execute), for `--hex` and raw files;
    /// execution stops with `endOfCode` after the last byte.
    public static func load(bytes: [UInt8], at address: UInt32, name: String) throws(ImageError) -> LoadedImage {
        let machine = try makeMachine(name: name)
        guard UInt64(address) + UInt64(bytes.count) <= 0x1_0000_0000 else {
            throw .unreadable(path: name, reason: "\(bytes.count) bytes at 0x\(hex(address)) run past 4 GB")
        }
        machine.map(address, size: UInt32(max(bytes.count, 1)), permissions: [.read, .execute])
        do {
            try machine.write(bytes, at: address)
        } catch {
            throw .unreadable(path: name, reason: "\(error)")
        }
        machine.eip = address
        machine.endAddress = address &+ UInt32(bytes.count)
        addDefaultStack(machine)
        return LoadedImage(machine: machine, symbols: SymbolTable([]), name: name)
    }

    private static func makeMachine(name: String) throws(ImageError) -> Machine {
        do {
            return try Machine()
        } catch {
            throw .toolMissing("Capstone (\(error))")
        }
    }

    /// One thread_union at 0x015fa000 with esp at its top, unless the image maps that range itself.
    private static func addDefaultStack(_ machine: Machine) {
        if !machine.memory.isMapped(defaultThreadUnion, size: defaultThreadSize) {
            machine.map(defaultThreadUnion, size: defaultThreadSize, permissions: [.read, .write])
        }
        machine.setGPR(4, defaultThreadUnion &+ defaultThreadSize)
    }
}
