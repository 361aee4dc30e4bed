import ArgumentParser
import Foundation
import GDBRemote
import I386
import Images
import PC

/// `kstep gdb`: loads the input as `kstep run` does and serves the GDB
/// remote protocol on 127.0.0.1, with the CPU stopped at the first instruction.
struct GDBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gdb",
        abstract: "Wait for gdb on 127.0.0.1 with the CPU stopped at the first instruction ('target remote :PORT').",
        discussion: """
            Loads INPUT exactly as 'kstep run' does (every run option applies; --until and --break become \
            breakpoints, --watch watchpoints, --max-steps limits each continue). gdb can step and continue, \
            set breakpoints and watchpoints, read and write registers and memory, step and continue backwards \
            (reverse-stepi, reverse-continue, reverse-finish), and ask kernel questions with 'monitor help'. \
            gdb reads the ELF kstep loaded over the connection when it is given no file (a snippet kstep \
            assembled shows as /kstep/snippet.elf). The stub ends when gdb kills or detaches; a gdb that \
            disconnects can connect again.
            """)

    @OptionGroup var options: RunOptions

    @Option(help: "The TCP port on 127.0.0.1 (0: any free port; the one chosen is printed).")
    var port: UInt16 = 1234

    /// THREAD_SIZE for the monitor's current and stack (`--thread-size`, one of the run options).
    var threadSize: UInt32 { options.threadSize }

    /// The ELF gdb reads over the connection: an ELF input under its absolute
    /// path, one kstep assembled under a made-up absolute name (its source is
    /// no ELF; gdb looks up only absolute names on the target).
    static func executable(_ elf: ELF32File) -> GDBSession.Executable {
        let url = URL(fileURLWithPath: elf.path)
        let isFile = (try? FileHandle(forReadingFrom: url).read(upToCount: 4)).flatMap { $0 } == Data([0x7F, 0x45, 0x4C, 0x46])
        let name = isFile ? url.standardizedFileURL.path : "/kstep/" + (elf.path.hasPrefix("-") ? "snippet" : url.lastPathComponent) + ".elf"
        return GDBSession.Executable(name: name, bytes: elf.bytes)
    }

    func run() throws {
        let (image, until) = try options.prepare()
        let machine = image.machine
        var participants: [() -> () -> Void] = []
        var serial: SerialConsole?
        if let platform = image.platform {
            serial = try SerialConsole(platform: platform, machine: machine,
                                       mode: options.serial ?? (options.multiboot ? .stdio : RunOptions.SerialMode.none),
                                       inputFile: options.serialInput, stopText: nil)
            participants.append { [unowned platform] in
                let saved = platform.snapshot()
                return { platform.restore(saved) }
            }
        } else {
            let console = image.console
            participants.append { [unowned console] in
                let saved = console.snapshot()
                return { console.restore(saved) }
            }
        }
        var initial = machine.breakpoints
        if let until { initial.insert(until) }
        let target = GDBSession.Target(machine: machine, symbols: image.symbols, participants: participants,
                                       stepLimit: options.maxStepsOption.map { UInt64(max($0, 0)) },
                                       initialBreakpoints: initial, threadSize: threadSize,
                                       executable: image.elf.map { Self.executable($0) })
        let session = GDBSession(target: target)
        let history = session.history
        serial?.isReplaying = { history.isReplaying }
        // The debug console's output as it grows (output re-made while stepping back and forth is not new).
        var shown = image.console.text.count
        let console = image.console
        let showConsole = {
            let text = console.text
            guard text.count > shown else { return }
            FileHandle.standardOutput.write(Data(text[shown...]))
            shown = text.count
        }
        session.afterRun = {
            showConsole()
            serial?.flush()
        }
        let server: RemoteServer
        do {
            server = try RemoteServer(port: port)
        } catch {
            throw fail("\(error)")
        }
        var standardError = StandardError()
        print("listening on 127.0.0.1:\(server.port)", to: &standardError)
        let ending = server.serve(session)
        session.close()
        serial?.finish()
        switch ending {
        case .killed?: print("kstep gdb: killed by the debugger after \(machine.instructionCount) instructions", to: &standardError)
        case .detached?: print("kstep gdb: the debugger detached after \(machine.instructionCount) instructions", to: &standardError)
        case nil: throw fail("the listening socket failed: \(String(cString: strerror(errno)))")
        }
    }
}
