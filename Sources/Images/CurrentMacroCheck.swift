import I386
import KernelModel

/// Regression test of the `current` macro: for every 4-byte-aligned esp in a
/// thread_union's usable stack, run the real instruction sequence
/// (`movl $~(THREAD_SIZE-1),%ecx; andl %esp,%ecx; movl (%ecx),%eax`) in the
/// interpreter and check that it yields that union's thread_info and task.
///
/// Conventions: a thread_union is an object symbol whose name ends in
/// `thread_union` (Linux's `init_thread_union`); its task is the symbol with
/// `task` in place of `thread_union` (`init_task`), when there is one. The
/// usable stack runs from just above thread_info (union + 52) to the last
/// word below the top: an esp equal to the top belongs to the next union.
/// The image runs to its stop first, so it can set up its thread_info.
public struct CurrentMacroCheck {
    /// A thread_union found in the image.
    public struct ThreadUnion: Sendable, Equatable {
        public var name: String
        public var address: UInt32
        public var size: UInt32
        /// The task symbol matching the union's name, if any.
        public var task: (name: String, address: UInt32)?
        /// True for the default environment's `init_thread_union` (not the image's own).
        public var isDefaultEnvironment = false

        public init(name: String, address: UInt32, size: UInt32, task: (name: String, address: UInt32)?,
                    isDefaultEnvironment: Bool = false) {
            self.name = name
            self.address = address
            self.size = size
            self.task = task
            self.isDefaultEnvironment = isDefaultEnvironment
        }

        public static func == (lhs: ThreadUnion, rhs: ThreadUnion) -> Bool {
            lhs.name == rhs.name && lhs.address == rhs.address && lhs.size == rhs.size
                && lhs.task?.name == rhs.task?.name && lhs.task?.address == rhs.task?.address
        }
    }

    /// One esp for which the sequence gave the wrong answer.
    public struct Mismatch: Sendable, Equatable, CustomStringConvertible {
        public var union: String
        public var esp: UInt32
        /// What `andl %esp,%ecx` gave (nil if the sequence faulted before).
        public var threadInfo: UInt32?
        /// What `movl (%ecx),%eax` loaded (nil if it faulted).
        public var task: UInt32?
        public var expectedThreadInfo: UInt32
        public var expectedTask: UInt32?
        public var fault: String?

        public var description: String {
            var text = "\(union): esp \(hex(esp)): thread_info "
            text += threadInfo.map { hex($0) } ?? "?"
            if let task { text += ", task \(hex(task))" }
            text += " (expected thread_info \(hex(expectedThreadInfo))"
            if let expectedTask { text += ", task \(hex(expectedTask))" }
            text += ")"
            if let fault { text += ": \(fault)" }
            return text
        }
    }

    /// The result for one union.
    public struct UnionReport: Sendable {
        public var union: ThreadUnion
        public var checked: Int
        public var mismatches: [Mismatch]
    }

    public let threadSize: UInt32

    public init(threadSize: UInt32 = Linux26.threadSize) {
        self.threadSize = threadSize
    }

    /// The thread_unions of an image, by the naming convention above.
    public static func unions(in image: LoadedImage) -> [ThreadUnion] {
        image.symbols.symbols.filter { $0.name.hasSuffix("thread_union") && $0.kind == .object && $0.size > 0 }
            .map { symbol in
                let taskName = String(symbol.name.dropLast("thread_union".count)) + "task"
                let task = image.symbols.symbol(named: taskName).map { (taskName, $0.value) }
                return ThreadUnion(name: symbol.name, address: symbol.value, size: symbol.size, task: task,
                                   isDefaultEnvironment: isDefaultEnvironment(symbol))
            }
    }

    /// Symbols named like a union that the convention cannot use: no `.type @object`
    /// or no `.size` (give them with `--union ADDR[:SIZE]`).
    public static func unsizedUnions(in image: LoadedImage) -> [String] {
        image.symbols.symbols.filter { $0.name.hasSuffix("thread_union") && !($0.kind == .object && $0.size > 0) }
            .map(\.name)
    }

    /// A union at `address` of `size` bytes (`--union`), with its thread_info.task as read
    /// after the image's run as the expected task when the caller knows none.
    public static func union(named name: String, at address: UInt32, size: UInt32, in image: LoadedImage) -> ThreadUnion {
        var task: (name: String, address: UInt32)?
        if name.hasSuffix("thread_union") {
            let taskName = String(name.dropLast("thread_union".count)) + "task"
            task = image.symbols.symbol(named: taskName).map { (taskName, $0.value) }
        }
        return ThreadUnion(name: name, address: address, size: size, task: task)
    }

    /// The environment's own symbol (`DefaultEnvironment.install`), not one of the image's.
    private static func isDefaultEnvironment(_ symbol: ELFSymbol) -> Bool {
        symbol.name == "init_thread_union" && symbol.value == DefaultEnvironment.threadUnion && symbol.sectionIndex == 0xFFF1
    }

    /// Runs the image to its stop, then checks every union.
    public func check(_ image: LoadedImage, maxSteps: Int = 100_000_000) throws(ImageError) -> [UnionReport] {
        try check(image, maxSteps: maxSteps, unions: Self.unions(in: image)).reports
    }

    /// Runs the image to its stop, then checks `unions`; returns how the image's own run stopped too.
    public func check(_ image: LoadedImage, maxSteps: Int, unions: [ThreadUnion]) throws(ImageError)
        -> (stop: StopReason, reports: [UnionReport]) {
        let machine = image.machine
        let stop = machine.run(maxSteps: maxSteps)
        machine.endAddress = nil
        // An image that stops with paging on (cow_fork) has no linear page for the stub: the
        // check runs with paging off, which names the same thread_unions when they are
        // identity-mapped, as the images' are.
        if machine[.cr0] & 0x8000_0000 != 0 { machine[.cr0] &= ~UInt32(0x8000_0000) }
        let stub = try installStub(in: machine, name: image.name)
        var reports: [UnionReport] = []
        for union in unions {
            var mismatches: [Mismatch] = []
            var checked = 0
            let usableStart = union.address &+ Linux26.ThreadInfo.size
            let top = union.address &+ union.size
            var esp = usableStart
            while esp < top {
                checked += 1
                if let mismatch = run(stub, esp: esp, union: union, on: machine) { mismatches.append(mismatch) }
                esp &+= 4
            }
            reports.append(UnionReport(union: union, checked: checked, mismatches: mismatches))
        }
        return (stop, reports)
    }

    /// Runs the sequence for one esp; nil when it named the union and its task.
    private func run(_ stub: UInt32, esp: UInt32, union: ThreadUnion, on machine: Machine) -> Mismatch? {
        machine[.esp] = esp
        machine[.eax] = 0
        machine[.ecx] = 0
        machine.eip = stub
        let reason = machine.run(maxSteps: 4)
        let threadInfo = machine[.ecx]
        var mismatch = Mismatch(union: union.name, esp: esp, threadInfo: threadInfo, task: nil,
                                expectedThreadInfo: union.address, expectedTask: union.task?.address, fault: nil)
        guard reason == .halted else {
            mismatch.fault = "\(reason)"
            if machine.eip == stub { mismatch.threadInfo = nil }
            return mismatch
        }
        let task = machine[.eax]
        mismatch.task = task
        if threadInfo != union.address { return mismatch }
        if let expected = union.task?.address, task != expected { return mismatch }
        return nil
    }

    /// Puts the `current` sequence in a free page and returns its address.
    private func installStub(in machine: Machine, name: String) throws(ImageError) -> UInt32 {
        let mask = Linux26.currentMask(threadSize: threadSize)
        let code: [UInt8] = [0xB9] + (0..<4).map { UInt8(truncatingIfNeeded: mask >> (8 * UInt32($0))) }
            + [0x21, 0xE1,  // andl %esp, %ecx
               0x8B, 0x01,  // movl (%ecx), %eax
               0xF4]        // hlt
        for candidate in stride(from: UInt32(0xFFFF_F000), to: 0xF000_0000, by: -0x1000)
        where !machine.physicalMemory.isMapped(candidate, size: 0x1000) {
            machine.map(candidate, size: 0x1000, permissions: [.read, .execute])
            do {
                try machine.write(code, at: candidate)
            } catch {
                break
            }
            return candidate
        }
        throw .unreadable(path: name, reason: "no free page for the current-macro sequence")
    }
}
