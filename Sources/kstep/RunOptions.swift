import ArgumentParser
import I386
import Images

/// Options every run accepts (`kstep run`, `kstep trace`).
struct RunOptions: ParsableArguments {
    @OptionGroup var source: InputOptions

    @Option(name: .customLong("set"), help: ArgumentHelp("Set a register before running; VALUE may be a symbol[+offset].", valueName: "REG=VALUE"))
    var assignments: [String] = []

    @Option(name: .customLong("map"), help: ArgumentHelp("Map ADDR:SIZE bytes of zeroed read/write memory.", valueName: "ADDR:SIZE"))
    var mappings: [String] = []

    @Option(name: .customLong("max-steps"), help: "Stop after this many instructions.")
    var maxSteps: Int = 100_000_000

    @Option(help: ArgumentHelp("Stop when execution reaches this symbol[+offset] or address.", valueName: "SYMBOL|ADDR"))
    var until: String?

    func validate() throws {
        guard maxSteps >= 0 else { throw ValidationError("--max-steps must not be negative") }
    }

    /// The input as the loader takes it.
    func programInput() throws(ExitCode) -> ProgramInput {
        if let hex = source.hex {
            return .hex(hex, address: GNUToolchain.defaultLoadAddress)
        }
        if let asm = source.asm { return .assembly(asm) }
        let path = source.input ?? ""
        if let text = source.loadAt {
            guard let address = parseNumber(text) else { throw fail("--load-at: '\(text)' is not an address") }
            return .raw(path: path, address: address)
        }
        return .file(path)
    }

    /// Loads the input and applies --map and --set; returns the image and the --until address.
    func prepare() throws(ExitCode) -> (image: LoadedImage, until: UInt32?) {
        let input = try programInput()
        let image: LoadedImage
        do {
            image = try ImageLoader.load(input)
        } catch {
            throw fail("\(error)")
        }
        let machine = image.machine
        for text in mappings {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let address = image.resolve(parts[0]),
                  let size = parseNumber(parts[1]), size > 0 else {
                throw fail("--map: '\(text)' is not ADDR:SIZE (e.g. 0x400000:0x1000)")
            }
            machine.map(address, size: size, permissions: [.read, .write])
        }
        for text in assignments {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw fail("--set: '\(text)' is not REG=VALUE") }
            guard let value = image.resolve(parts[1]) else {
                throw fail("--set: '\(parts[1])' is not a number or a symbol of \(image.name)")
            }
            do {
                try machine.setRegister(named: parts[0], value)
            } catch {
                throw fail("--set: \(error) (known: \(RegisterName.all.joined(separator: " ")))")
            }
        }
        var untilAddress: UInt32?
        if let until {
            guard let address = image.resolve(until) else {
                throw fail("--until: '\(until)' is not an address or a symbol of \(image.name)")
            }
            untilAddress = address
        }
        return (image, untilAddress)
    }
}
