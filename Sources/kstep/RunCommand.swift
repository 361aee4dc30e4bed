import ArgumentParser
import I386
import Images

/// `kstep run`: run an input until a stop reason and report the final state.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ELF image, a .s/.S file, --asm or --hex until it stops; print the final state.")

    enum FinalFormat: String, ExpressibleByArgument {
        case json
    }

    @OptionGroup var options: RunOptions

    @Option(help: "Print the final state as one JSON object.")
    var final: FinalFormat?

    @Option(name: .customLong("dump"), help: ArgumentHelp("Add LEN bytes at ADDR (a number or symbol[+offset]) to the final state.", valueName: "ADDR:LEN"))
    var dumps: [String] = []

    func run() throws {
        let (image, until) = try options.prepare()
        let machine = image.machine
        var serial: SerialConsole?
        if let platform = image.platform {
            serial = try SerialConsole(platform: platform, machine: machine,
                                       mode: options.serial ?? (options.multiboot ? .stdio : RunOptions.SerialMode.none),
                                       inputFile: options.serialInput, stopText: options.untilOutput)
            stopOnSignals(machine)
        }
        var reason = machine.run(maxSteps: options.maxSteps, until: until)
        serial?.finish()
        if reason == .stopRequested, serial?.sawStopText == true { reason = .reachedUntil }
        let memory = try Self.dumpedMemory(dumps, image: image)
        var state = FinalState(machine: machine, console: image.console.text, reason: reason, symbols: image.symbols,
                               dumps: memory)
        if let serial, !serial.ownsStandardOutput { state.serial = serial.transmitted }
        let text = final == .json ? state.json() : state.summary()
        if serial?.ownsStandardOutput == true {
            var standardError = StandardError()
            print(text, to: &standardError)
        } else {
            print(text)
        }
        let status = ExitStatus(reason)
        if status != .success { throw ExitCode(status.rawValue) }
    }

    /// The bytes `--dump ADDR:LEN` options name, read from the machine after its run.
    static func dumpedMemory(_ dumps: [String], image: LoadedImage) throws(ExitCode) -> [(address: UInt32, bytes: [UInt8])] {
        var memory: [(address: UInt32, bytes: [UInt8])] = []
        for text in dumps {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let address = image.resolve(parts[0]),
                  let length = parseNumber(parts[1]), length <= 1 << 20 else {
                throw fail("--dump: '\(text)' is not ADDR:LEN (e.g. init_task+480:8)")
            }
            do {
                memory.append((address, try image.machine.read(address, count: Int(length))))
            } catch {
                throw fail("--dump: \(hex32(address)) is not mapped (\(error))")
            }
        }
        return memory
    }
}
