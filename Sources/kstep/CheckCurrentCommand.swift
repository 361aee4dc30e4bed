import ArgumentParser
import Images

/// `kstep check-current`: the `current` macro regression over every stack pointer.
struct CheckCurrentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-current",
        abstract: "Check the current macro for every 4-byte-aligned esp of each thread_union in an image.",
        discussion: """
            A thread_union is an object symbol whose name ends in 'thread_union' (init_thread_union); \
            its task is the symbol with 'task' in its place (init_task). The image runs to its stop \
            first. For each esp from union+52 to the last word below the top (an esp at the top \
            belongs to the next union), the real sequence 'movl $~(THREAD_SIZE-1),%ecx; \
            andl %esp,%ecx; movl (%ecx),%eax' runs in the interpreter and must give the union and its task.
            """)

    @Argument(help: "An ELF image (or .s/.S source).")
    var image: String

    @Option(name: .customLong("thread-size"), help: "THREAD_SIZE: 8192 or 4096.")
    var threadSize: UInt32 = 8192

    @Option(name: .customLong("max-steps"), help: "Step limit for the image's own run.")
    var maxSteps: Int = 100_000_000

    @Option(help: "Print at most this many mismatches per union.")
    var show: Int = 10

    func validate() throws {
        guard threadSize == 8192 || threadSize == 4096 else { throw ValidationError("--thread-size must be 8192 or 4096") }
    }

    func run() throws {
        let reports: [CurrentMacroCheck.UnionReport]
        do {
            let loaded = try ImageLoader.load(.file(image))
            reports = try CurrentMacroCheck(threadSize: threadSize).check(loaded, maxSteps: maxSteps)
        } catch {
            throw fail("\(error)")
        }
        guard !reports.isEmpty else { throw fail("\(image): no thread_union symbols (names ending in 'thread_union')") }
        var total = 0
        for report in reports {
            let union = report.union
            let task = union.task.map { " task \($0.name) \(hex32($0.address))" } ?? ""
            print("\(union.name) at \(hex32(union.address)), \(union.size) bytes\(task): "
                  + "\(report.checked) stack pointers, \(report.mismatches.count) mismatches")
            for mismatch in report.mismatches.prefix(show) { print("  \(mismatch)") }
            if report.mismatches.count > show { print("  … \(report.mismatches.count - show) more") }
            total += report.mismatches.count
        }
        print(total == 0 ? "current: OK (THREAD_SIZE \(threadSize))" : "current: \(total) mismatches (THREAD_SIZE \(threadSize))")
        if total > 0 { throw ExitCode(ExitStatus.checkFailed.rawValue) }
    }
}
