import ArgumentParser
import I386
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
            andl %esp,%ecx; movl (%ecx),%eax' runs in the interpreter and must give the union and its task. \
            The default environment's init_thread_union is checked only when the image declares no union \
            of its own; a union symbol without .type/.size is an error (name it with --union ADDR[:SIZE]). \
            The check fails (status 4) when the image's own run does not stop as its NAME.expect.json says, \
            or at a hlt when it has none.
            """)

    @Argument(help: "An ELF image (or .s/.S source).")
    var image: String

    @Option(name: .customLong("thread-size"), help: "THREAD_SIZE: 8192 or 4096.")
    var threadSize: UInt32 = 8192

    @Option(name: .customLong("max-steps"), help: "Step limit for the image's own run.")
    var maxSteps: Int = 100_000_000

    @Option(help: "Print at most this many mismatches per union.")
    var show: Int = 10

    @Option(name: .customLong("union"), help: ArgumentHelp("Check the thread_union at ADDR (a number or symbol) of SIZE bytes (default THREAD_SIZE), for images whose unions have no .type/.size; repeatable.", valueName: "ADDR[:SIZE]"))
    var unionOptions: [String] = []

    func validate() throws {
        guard threadSize == 8192 || threadSize == 4096 else { throw ValidationError("--thread-size must be 8192 or 4096") }
    }

    func run() throws {
        let loaded: LoadedImage
        do {
            loaded = try ImageLoader.load(.file(image),
                                          threadSize: threadSize)
        } catch {
            throw fail("\(error)")
        }
        var unions: [CurrentMacroCheck.ThreadUnion] = []
        for text in unionOptions {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard let address = loaded.resolve(parts[0]),
                  let size = parts.count == 2 ? parseNumber(parts[1]) : threadSize,
                  size >= 4096, size.nonzeroBitCount == 1 else {
                throw fail("--union: '\(text)' is not ADDR[:SIZE] with a power-of-two SIZE of at least 4096 (e.g. a_thread_union:8192)")
            }
            let name = loaded.symbols.symbols.first { $0.value == address && $0.name.hasSuffix("thread_union") }?.name
                ?? "union at \(hex32(address))"
            unions.append(CurrentMacroCheck.union(named: name, at: address, size: size, in: loaded))
        }
        var environmentNote: String?
        if unions.isEmpty {
            let unsized = CurrentMacroCheck.unsizedUnions(in: loaded)
            if let first = unsized.first {
                throw fail("\(image): \(first) has no size (.type \(first), @object and .size \(first), N), so it cannot be "
                           + "checked: name it with --union \(first):\(threadSize)"
                           + (unsized.count > 1 ? " (also: \(unsized.dropFirst().joined(separator: ", ")))" : ""))
            }
            let found = CurrentMacroCheck.unions(in: loaded)
            let own = found.filter { !$0.isDefaultEnvironment }
            if own.isEmpty {
                unions = found
                if !found.isEmpty { environmentNote = "init_thread_union: the default environment's (the image declares no thread_union)" }
            } else {
                unions = own
                if found.contains(where: \.isDefaultEnvironment) {
                    environmentNote = "init_thread_union: the default environment's, not checked (the image declares its own)"
                }
            }
        }
        guard !unions.isEmpty else { throw fail("\(image): no thread_union symbols (names ending in 'thread_union'); name one with --union ADDR[:SIZE]") }
        let stop: StopReason
        let reports: [CurrentMacroCheck.UnionReport]
        do {
            (stop, reports) = try CurrentMacroCheck(threadSize: threadSize).check(loaded, maxSteps: maxSteps, unions: unions)
        } catch {
            throw fail("\(error)")
        }
        var total = 0
        var pointers = 0
        for report in reports {
            let union = report.union
            let task = union.task.map { " task \($0.name) \(hex32($0.address))" } ?? ""
            print("\(union.name) at \(hex32(union.address)), \(union.size) bytes\(task): "
                  + "\(report.checked) stack pointers, \(report.mismatches.count) mismatches")
            for mismatch in report.mismatches.prefix(show) { print("  \(mismatch)") }
            if report.mismatches.count > show { print("  … \(report.mismatches.count - show) more") }
            total += report.mismatches.count
            pointers += report.checked
        }
        if let environmentNote { print(environmentNote) }
        let expected = expectedStop()
        let stoppedAsExpected = Self.matches(stop, expected)
        if !stoppedAsExpected {
            print("the image's own run stopped with \(stop.name == "exception" ? "\(stop)" : stop.name), expected \(expected): "
                  + "its thread_info may not be set up")
        }
        let counts = "\(reports.count) union\(reports.count == 1 ? "" : "s"), \(pointers) stack pointers"
        if total == 0 && stoppedAsExpected {
            print("current: OK (THREAD_SIZE \(threadSize)): \(counts)")
        } else {
            print("current: \(total) mismatches (THREAD_SIZE \(threadSize)): \(counts)"
                  + (stoppedAsExpected ? "" : "; the image's run did not stop as expected"))
            throw ExitCode(ExitStatus.checkFailed.rawValue)
        }
    }

    /// How the image's own run must stop: its expectation file's `stop`, else `hlt`.
    private func expectedStop() -> String {
        let base = image.hasSuffix(".elf") ? String(image.dropLast(4)) : image
        if let expectations = try? ImageExpectations(path: base + ".expect.json"), let stop = expectations.stop { return stop }
        return "hlt"
    }

    private static func matches(_ reason: StopReason, _ expected: String) -> Bool {
        if expected.hasPrefix("#"), case .exception(let exception) = reason { return exception.mnemonic == expected }
        return reason.name == expected
    }
}
