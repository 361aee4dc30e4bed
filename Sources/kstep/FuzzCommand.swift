import ArgumentParser
import Foundation
import I386
import Images

/// `kstep fuzz`: random byte sequences under random register states, and
/// mutated ELF files, through decode and execution in this process. The
/// host must neither crash nor hang; every run ends with a stop reason.
///
/// Case `n` of seed `s` depends on nothing else, so `--case n` reruns it
/// alone and prints the `kstep run --hex … --set …` line that reproduces it.
/// A crash prints the seed and the case before the process dies; a case
/// that runs longer than `--hang-seconds` is reported as a hang.
/// `Scripts/fuzz` runs it with MALLOC_MMAP_THRESHOLD_ set: each case builds
/// a machine, and glibc's dynamic threshold would otherwise hand later
/// machines their large zeroed tables from the heap, cleared by memset.
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Run random byte sequences and mutated ELF files; the host must not crash or hang.",
        shouldDisplay: false)

    @Option(help: "The campaign's seed.")
    var seed: UInt64 = 1

    @Option(help: "Byte sequences to run.")
    var count: Int = 1_000_000

    @Option(help: "Mutated ELF files to load and run (from the images in --elf-dir).")
    var elfCount: Int = 0

    @Option(help: "Where the ELF files to mutate are (every *.elf below it).")
    var elfDir: String = "Images"

    @Option(help: "Run only this byte-sequence case, printing how to reproduce it.")
    var `case`: Int?

    @Option(help: "Step limit per case.")
    var maxSteps: Int = 256

    @Option(help: "A case running longer than this is a hang.")
    var hangSeconds: Double = 5

    func validate() throws {
        guard count >= 0, elfCount >= 0, maxSteps > 0, hangSeconds > 0 else {
            throw ValidationError("counts must not be negative; --max-steps and --hang-seconds must be positive")
        }
    }

    func run() throws {
        FuzzCrashReport.install(seed: seed)
        if let only = `case` {
            let item = FuzzCase(seed: seed, index: only)
            print("kstep run " + item.arguments(maxSteps: maxSteps).joined(separator: " "))
            let (reason, steps) = try item.run(maxSteps: maxSteps)
            print("case \(only) stops with \(Self.kind(reason)) after \(steps) instructions: \(reason)")
            return
        }
        startWatchdog()
        let start = DispatchTime.now().uptimeNanoseconds
        var reasons: [String: Int] = [:]
        var instructions = 0
        var hangs: [Int] = []
        for index in 0..<count {
            FuzzCrashReport.current = index
            let item = FuzzCase(seed: seed, index: index)
            let caseStart = DispatchTime.now().uptimeNanoseconds
            let (reason, steps) = try item.run(maxSteps: maxSteps)
            if Double(DispatchTime.now().uptimeNanoseconds - caseStart) / 1e9 > hangSeconds { hangs.append(index) }
            instructions += steps
            reasons[Self.kind(reason), default: 0] += 1
        }
        let elfOutcome = try runMutatedELFs()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("fuzz: seed \(seed), \(count) byte sequences, \(instructions) instructions executed, "
              + "\(elfOutcome.loaded + elfOutcome.rejected) mutated ELF files (\(elfOutcome.loaded) loaded and run, "
              + "\(elfOutcome.rejected) rejected with an error), \(String(format: "%.1f", seconds)) s")
        print("stops: " + reasons.keys.sorted().map { "\($0) \(reasons[$0] ?? 0)" }.joined(separator: ", "))
        print("0 crashes, \(hangs.count) hangs")
        for index in hangs.prefix(10) {
            print("hang: kstep run " + FuzzCase(seed: seed, index: index).arguments(maxSteps: maxSteps).joined(separator: " "))
        }
        if !hangs.isEmpty { throw ExitCode(ExitStatus.checkFailed.rawValue) }
    }

    /// A thread that ends the process when one case runs longer than
    /// `--hang-seconds` (a hang that never returns), naming the case.
    private func startWatchdog() {
        let seed = seed
        let maxSteps = maxSteps
        let limit = hangSeconds
        let watchdog = Thread {
            var last = Int.min
            var since = DispatchTime.now().uptimeNanoseconds
            while true {
                Thread.sleep(forTimeInterval: min(0.5, limit / 4))
                let current = FuzzCrashReport.current
                let now = DispatchTime.now().uptimeNanoseconds
                if current != last {
                    last = current
                    since = now
                } else if Double(now - since) / 1e9 > limit {
                    let what = current >= 0 ? "kstep run " + FuzzCase(seed: seed, index: current).arguments(maxSteps: maxSteps).joined(separator: " ")
                                            : "mutated ELF file \(-1 - current) of seed \(seed)"
                    print("kstep fuzz: a case ran longer than \(limit) s (a hang): \(what)")
                    Foundation.exit(ExitStatus.checkFailed.rawValue)
                }
            }
        }
        watchdog.start()
    }

    /// A stop reason's kind for the summary (exceptions by mnemonic).
    static func kind(_ reason: StopReason) -> String {
        if case .exception(let exception) = reason { return exception.mnemonic }
        return reason.name
    }

    /// Loads mutated copies of the ELF files below `elfDir` and runs the ones that load.
    private func runMutatedELFs() throws -> (loaded: Int, rejected: Int) {
        guard elfCount > 0 else { return (0, 0) }
        let root = URL(fileURLWithPath: elfDir)
        let paths = (FileManager.default.enumerator(atPath: elfDir)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".elf") }.sorted()
        let originals = paths.compactMap { try? [UInt8](Data(contentsOf: root.appendingPathComponent($0))) }
        guard !originals.isEmpty else { throw fail("fuzz: no *.elf below \(elfDir)") }
        var random = FuzzRandom(seed: seed ^ 0xE1F0_E1F0_E1F0_E1F0)
        var loaded = 0
        var rejected = 0
        for index in 0..<elfCount {
            FuzzCrashReport.current = -1 - index
            var bytes = originals[random.below(originals.count)]
            // Mutations aimed at the headers (first 256 bytes) and anywhere.
            for _ in 0..<(1 + random.below(8)) {
                guard !bytes.isEmpty else { break }
                let inHeader = random.below(2) == 0
                let position = random.below(inHeader ? min(bytes.count, 256) : bytes.count)
                switch random.below(4) {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes[position] ^= UInt8(1) << UInt8(random.below(8))
                case 2: bytes[position] = [0x00, 0xFF, 0x7F, 0x80][random.below(4)]
                default: bytes.removeLast(random.below(min(bytes.count, 512)))
                }
            }
            let image: LoadedImage
            do {
                image = try ImageLoader.load(try ELF32File(bytes: bytes, path: "mutation \(index)"))
            } catch {
                rejected += 1
                continue
            }
            loaded += 1
            _ = image.machine.run(maxSteps: 20_000)
        }
        return (loaded, rejected)
    }
}

/// A small seeded generator (SplitMix64): case `n` of seed `s` is the same on every run.
struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A number in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
}

/// One byte-sequence case: bytes where `--hex` loads them, register values, a
/// ring, control-register bits; all of it expressible as `kstep run` options.
struct FuzzCase {
    var bytes: [UInt8] = []
    var address: UInt32
    /// `--set` assignments, in order.
    var assignments: [(String, UInt32)] = []

    /// Bytes that often start instructions: prefixes, the two-byte escape, x87, groups.
    static let interesting: [UInt8] = [0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x0F, 0x0F, 0x0F,
                                       0xD8, 0xD9, 0xDB, 0xDD, 0xDF, 0xFE, 0xFF, 0xF6, 0xF7, 0x8E, 0x8C, 0xC4, 0xC5,
                                       0x9A, 0xEA, 0xCD, 0xCF, 0xA4, 0xAB, 0x6C, 0x6F]

    init(seed: UInt64, index: Int) {
        var random = FuzzRandom(seed: seed &+ UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03)
        let length = 1 + random.below(24)
        for position in 0..<length {
            if position < 4 && random.below(3) == 0 {
                bytes.append(Self.interesting[random.below(Self.interesting.count)])
            } else {
                bytes.append(UInt8(truncatingIfNeeded: random.next()))
            }
        }
        address = GNUToolchain.defaultLoadAddress  // where `kstep run --hex` loads
        let union = DefaultEnvironment.threadUnion
        for name in ["eax", "ecx", "edx", "ebx", "ebp", "esi", "edi"] {
            switch random.below(4) {
            case 0: assignments.append((name, union &+ UInt32(random.below(0x2000))))  // into the stack's union
            case 1: assignments.append((name, [0, 1, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, 0xFFFF][random.below(6)]))
            default: assignments.append((name, UInt32(truncatingIfNeeded: random.next())))
            }
        }
        if random.below(8) == 0 { assignments.append(("esp", union &+ UInt32(random.below(0x2000)))) }
        // Arithmetic flags, DF, and now and then TF, IOPL, AC, NT.
        var eflags: UInt32 = 0x2 | (UInt32(truncatingIfNeeded: random.next()) & 0x08D5)
        if random.below(16) == 0 { eflags |= 0x100 }
        if random.below(8) == 0 { eflags |= UInt32(random.below(4)) << 12 }
        if random.below(8) == 0 { eflags |= 0x4_0000 | 0x4000 }
        assignments.append(("eflags", eflags))
        // Control words: TS, EM, MP, NE, WP, AM in CR0; TSD, DE, PSE, PGE, PCE in CR4;
        // now and then paging with CR3 at the code's own page, so its random bytes are the page directory.
        if random.below(3) == 0 {
            var cr0: UInt32 = 0x0000_0011 | (UInt32(truncatingIfNeeded: random.next()) & 0x0005_002E)
            if random.below(6) == 0 {
                cr0 |= 0x8000_0000
                assignments.append(("cr3", address & 0xFFFF_F000))
            }
            assignments.append(("cr4", UInt32(truncatingIfNeeded: random.next()) & 0x0000_01BC))
            assignments.append(("cr0", cr0))
        }
        // Ring 3 (Linux's user selectors) a third of the time.
        if random.below(3) == 0 {
            assignments.append(("cs", 0x73))
            assignments.append(("ss", 0x7B))
            assignments.append(("ds", 0x7B))
            assignments.append(("es", 0x7B))
        }
    }

    /// The `kstep run` arguments that reproduce this case run for `maxSteps`.
    func arguments(maxSteps: Int) -> [String] {
        ["--hex '\(bytes.map { String(format: "%02x", $0) }.joined(separator: " "))'"]
            + assignments.map { "--set \($0.0)=0x\(String($0.1, radix: 16))" } + ["--max-steps \(maxSteps)"]
    }

    /// Loads and runs the case; returns why it stopped and how many instructions ran.
    func run(maxSteps: Int) throws -> (StopReason, Int) {
        let image: LoadedImage
        do {
            image = try ImageLoader.load(bytes: bytes, at: address, name: "--hex")
        } catch {
            throw fail("fuzz: \(error)", status: .checkFailed)
        }
        let machine = image.machine
        for (name, value) in assignments {
            try? machine.setRegister(named: name, value)
        }
        let reason = machine.run(maxSteps: maxSteps)
        return (reason, Int(truncatingIfNeeded: machine.instructionCount))
    }
}

/// Prints the case a crash happened in (from a signal handler: only write(2)).
enum FuzzCrashReport {
    nonisolated(unsafe) static var seed: UInt64 = 0
    /// The running byte-sequence case, or -1 - n for mutated ELF file n.
    nonisolated(unsafe) static var current: Int = 0

    static func install(seed: UInt64) {
        Self.seed = seed
        for signal in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
            _ = Foundation.signal(signal) { number in
                FuzzCrashReport.write("kstep fuzz: the host crashed (signal ")
                FuzzCrashReport.write(number: UInt64(truncatingIfNeeded: number))
                FuzzCrashReport.write(") in case ")
                let current = FuzzCrashReport.current
                if current < 0 {
                    FuzzCrashReport.write("(mutated ELF file ")
                    FuzzCrashReport.write(number: UInt64(truncatingIfNeeded: -1 - current))
                    FuzzCrashReport.write(")")
                } else {
                    FuzzCrashReport.write(number: UInt64(truncatingIfNeeded: current))
                }
                FuzzCrashReport.write(" of seed ")
                FuzzCrashReport.write(number: FuzzCrashReport.seed)
                FuzzCrashReport.write("; rerun it with kstep fuzz --seed S --case N\n")
                _ = Foundation.signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

    static func write(_ text: StaticString) {
        _ = Foundation.write(2, text.utf8Start, text.utf8CodeUnitCount)
    }

    static func write(number: UInt64) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var value = number
            var position = buffer.count
            repeat {
                position -= 1
                buffer[position] = UInt8(truncatingIfNeeded: 0x30 &+ value % 10)
                value /= 10
            } while value > 0 && position > 0
            if let base = buffer.baseAddress {
                _ = Foundation.write(2, base + position, buffer.count - position)
            }
        }
    }
}
