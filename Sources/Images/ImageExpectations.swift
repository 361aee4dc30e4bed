import Foundation
import I386
import KernelModel

/// What an image must do, read from `NAME.expect.json` beside `NAME.elf`:
///
/// ```json
/// {
///   "stop": "hlt",
///   "max_steps": 1000000,
///   "registers": {"eax": "init_task", "ecx": "init_thread_union+0x10"},
///   "memory": {"depth_mismatches": "0", "init_task+480": "task_b"},
///   "console": "exact console text\n",
///   "check_current": {"thread_size": 8192, "mismatches": 0},
///   "pc": true,
///   "thread_size": 4096
/// }
/// ```
///
/// `"pc": true` puts a PC's devices around the image (`LoadedImage.attachPC`);
/// `"multiboot": true` boots it as a Multiboot kernel on a PC instead. On a PC,
/// `"serial_input"` names a file (beside the expectations) fed to COM1,
/// `"until_output"` stops the run (reason `until`) when COM1's output ends with
/// that text, and `"serial"` is the exact text COM1 must have transmitted.
/// `"thread_size"` is the image's THREAD_SIZE, for its golden trace's `current`
/// and IRQ-stack events (8192 when absent).
///
/// Values are numbers or `symbol[+offset]`; memory entries compare the 32-bit
/// word at the address. `check_current` runs `CurrentMacroCheck` afterwards
/// and compares the total number of mismatches.
public struct ImageExpectations {
    public var imagePath: String
    public var stop: String?
    public var maxSteps: Int
    public var registers: [(String, String)]
    public var memory: [(String, String)]
    public var console: String?
    public var checkCurrentThreadSize: UInt32?
    public var checkCurrentMismatches: Int
    /// Run the image with a PC's devices around it.
    public var usesPC: Bool
    /// The image's THREAD_SIZE (`"thread_size"`), for traces of it.
    public var threadSize: UInt32
    /// Boot the image as a Multiboot kernel on a PC.
    public var multiboot: Bool
    /// What COM1 must have transmitted.
    public var serial: String?
    /// The file whose bytes COM1 receives.
    public var serialInputPath: String?
    /// Stop when COM1's output ends with this.
    public var untilOutput: String?

    /// Reads an expectations file; the image is `NAME.elf` beside `NAME.expect.json`
    /// unless the file names another with `"image"`.
    public init(path: String) throws(ImageError) {
        let data = try InputFile.read(path)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(data))
        } catch {
            throw .unreadable(path: path, reason: "not valid JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else { throw .unreadable(path: path, reason: "expected a JSON object") }
        func text(_ value: Any) -> String {
            if let string = value as? String { return string }
            if let number = value as? NSNumber { return number.stringValue }
            return "\(value)"
        }
        func pairs(_ key: String) throws(ImageError) -> [(String, String)] {
            guard let value = root[key] else { return [] }
            guard let dictionary = value as? [String: Any] else { throw .unreadable(path: path, reason: "'\(key)' must be an object") }
            return dictionary.keys.sorted().map { ($0, text(dictionary[$0] ?? "")) }
        }
        let directory = (path as NSString).deletingLastPathComponent
        let defaultImage = ((path as NSString).lastPathComponent as NSString)
            .replacingOccurrences(of: ".expect.json", with: ".elf")
        let image = root["image"].map(text) ?? defaultImage
        imagePath = image.hasPrefix("/") ? image : (directory as NSString).appendingPathComponent(image)
        stop = root["stop"].map(text)
        maxSteps = (root["max_steps"] as? NSNumber)?.intValue ?? 100_000_000
        registers = try pairs("registers")
        memory = try pairs("memory")
        console = root["console"] as? String
        usesPC = (root["pc"] as? Bool) ?? false
        threadSize = (root["thread_size"] as? NSNumber).map { UInt32(truncating: $0) } ?? Linux26.threadSize
        guard threadSize == Linux26.threadSize || threadSize == Linux26.threadSize4K else {
            throw .unreadable(path: path, reason: "'thread_size' must be 8192 or 4096")
        }
        multiboot = (root["multiboot"] as? Bool) ?? false
        serial = root["serial"] as? String
        serialInputPath = (root["serial_input"] as? String).map { (directory as NSString).appendingPathComponent($0) }
        untilOutput = root["until_output"] as? String
        if !usesPC && !multiboot && (serial != nil || serialInputPath != nil || untilOutput != nil) {
            throw .unreadable(path: path, reason: "'serial', 'serial_input' and 'until_output' need \"pc\" or \"multiboot\"")
        }
        if let check = root["check_current"] as? [String: Any] {
            checkCurrentThreadSize = (check["thread_size"] as? NSNumber).map { UInt32(truncating: $0) } ?? Linux26.threadSize
            checkCurrentMismatches = (check["mismatches"] as? NSNumber)?.intValue ?? 0
        } else {
            checkCurrentMismatches = 0
        }
    }

    /// Loads the image as the expectations say (with a PC's devices when `usesPC`,
    /// booted when `multiboot`), with COM1 connected when the image is on a PC.
    public func load() throws(ImageError) -> (image: LoadedImage, serial: SerialLine?) {
        var image: LoadedImage
        if multiboot {
            image = try MultibootLoader.load(imagePath)
        } else {
            image = try ImageLoader.load(.file(imagePath))
            if usesPC { image.attachPC() }
        }
        guard let platform = image.platform else { return (image, nil) }
        let input: SerialLine.Input = try serialInputPath.map { path throws(ImageError) in .script(try InputFile.read(path)) } ?? .none
        return (image, SerialLine(platform: platform, machine: image.machine, input: input, stopText: untilOutput))
    }

    /// Runs a loaded image to its stop as the expectations say (`until` when COM1 printed `until_output`).
    public func run(_ loaded: (image: LoadedImage, serial: SerialLine?)) -> StopReason {
        let reason = loaded.image.machine.run(maxSteps: maxSteps)
        return reason == .stopRequested && loaded.serial?.sawStopText == true ? .reachedUntil : reason
    }

    /// Loads and runs the image, then lists every way it differs from the expectations.
    public func check() throws(ImageError) -> (failures: [String], steps: UInt64) {
        let loaded = try load()
        let image = loaded.image
        let machine = image.machine
        let reason = run(loaded)
        var failures: [String] = []
        if let stop, reason.name != stop {
            failures.append("stopped with \(reason) at \(hex(machine.eip)), expected \(stop)")
        }
        for (name, expected) in registers {
            guard let want = image.resolve(expected) else {
                failures.append("\(name): cannot resolve '\(expected)'")
                continue
            }
            guard let got = try? machine.register(named: name) else {
                failures.append("unknown register '\(name)'")
                continue
            }
            if got != want { failures.append("\(name) = \(hex(got)), expected \(expected) (\(hex(want)))") }
        }
        for (location, expected) in memory {
            guard let address = image.resolve(location), let want = image.resolve(expected) else {
                failures.append("\(location): cannot resolve '\(location)' or '\(expected)'")
                continue
            }
            guard let got = machine.readWord(at: address) else {
                failures.append("\(location) (\(hex(address))) is not mapped")
                continue
            }
            if got != want { failures.append("[\(location)] = \(hex(got)), expected \(expected) (\(hex(want)))") }
        }
        if let console {
            let got = String(decoding: image.console.text, as: UTF8.self)
            if got != console { failures.append("console was \(got.debugDescription), expected \(console.debugDescription)") }
        }
        if let serial {
            let got = String(decoding: loaded.serial?.transmitted ?? [], as: UTF8.self)
            if got != serial { failures.append("serial was \(got.debugDescription), expected \(serial.debugDescription)") }
        }
        let steps = machine.instructionCount
        if let threadSize = checkCurrentThreadSize {
            let fresh = try load().image
            let reports = try CurrentMacroCheck(threadSize: threadSize).check(fresh, maxSteps: maxSteps)
            let mismatches = reports.reduce(0) { $0 + $1.mismatches.count }
            if reports.isEmpty { failures.append("check_current: no thread_union symbols") }
            if mismatches != checkCurrentMismatches {
                failures.append("check_current: \(mismatches) mismatches, expected \(checkCurrentMismatches)")
            }
        }
        return (failures, steps)
    }
}
