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
///   "golden": true,
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
/// `"golden": true` says NAME.golden.jsonl must exist. `stop` may name an
/// exception (`"#PF"`), and then `"exception": {"error_code": …, "address": …}`
/// checks its error code and #PF address. Any other key is an error naming it.
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
    /// `"golden": true`: NAME.golden.jsonl must exist (`kstep test --update-golden` creates it).
    public var hasGoldenTrace: Bool
    /// With `"stop": "#XX"`: the exception's expected error code and (#PF) address, as numbers or symbols.
    public var exceptionErrorCode: String?
    public var exceptionAddress: String?

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
        let known: Set<String> = ["image", "stop", "exception", "max_steps", "registers", "memory", "console",
                                  "check_current", "pc", "golden", "thread_size", "multiboot", "serial",
                                  "serial_input", "until_output"]
        if let unknown = root.keys.sorted().first(where: { !known.contains($0) }) {
            throw .unreadable(path: path, reason: "unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        func members(_ key: String, keys: Set<String>) throws(ImageError) -> [String: Any]? {
            guard let value = root[key] else { return nil }
            guard let dictionary = value as? [String: Any] else { throw .unreadable(path: path, reason: "'\(key)' must be an object") }
            if let unknown = dictionary.keys.sorted().first(where: { !keys.contains($0) }) {
                throw .unreadable(path: path, reason: "unknown key '\(key).\(unknown)' (known: \(keys.sorted().joined(separator: ", ")))")
            }
            return dictionary
        }
        func flag(_ key: String) throws(ImageError) -> Bool {
            guard let value = root[key] else { return false }
            guard let bool = value as? Bool else { throw .unreadable(path: path, reason: "'\(key)' must be true or false") }
            return bool
        }
        let directory = (path as NSString).deletingLastPathComponent
        let defaultImage = ((path as NSString).lastPathComponent as NSString)
            .replacingOccurrences(of: ".expect.json", with: ".elf")
        let image = root["image"].map(text) ?? defaultImage
        imagePath = image.hasPrefix("/") ? image : (directory as NSString).appendingPathComponent(image)
        stop = root["stop"].map(text)
        if let stop, !Self.stopNames.contains(stop), !Self.isExceptionName(stop) {
            throw .unreadable(path: path, reason: "'stop' must be one of \(Self.stopNames.joined(separator: ", ")) "
                              + "or an exception such as \"#PF\", not '\(stop)'")
        }
        if let value = root["max_steps"] {
            guard let number = value as? NSNumber, number.doubleValue >= 0, number.doubleValue == number.doubleValue.rounded(),
                  number.doubleValue <= Double(Int.max / 2) else {
                throw .unreadable(path: path, reason: "'max_steps' must be a non-negative number of steps")
            }
            maxSteps = number.intValue
        } else {
            maxSteps = 100_000_000
        }
        registers = try pairs("registers")
        memory = try pairs("memory")
        if let value = root["console"] {
            guard let string = value as? String else { throw .unreadable(path: path, reason: "'console' must be a string") }
            console = string
        } else {
            console = nil
        }
        usesPC = try flag("pc")
        hasGoldenTrace = try flag("golden")
        threadSize = (root["thread_size"] as? NSNumber).map { UInt32(truncating: $0) } ?? Linux26.threadSize
        guard threadSize == Linux26.threadSize || threadSize == Linux26.threadSize4K else {
            throw .unreadable(path: path, reason: "'thread_size' must be 8192 or 4096")
        }
        multiboot = try flag("multiboot")
        func string(_ key: String) throws(ImageError) -> String? {
            guard let value = root[key] else { return nil }
            guard let string = value as? String else { throw .unreadable(path: path, reason: "'\(key)' must be a string") }
            return string
        }
        serial = try string("serial")
        serialInputPath = try string("serial_input").map { (directory as NSString).appendingPathComponent($0) }
        untilOutput = try string("until_output")
        if !usesPC && !multiboot && (serial != nil || serialInputPath != nil || untilOutput != nil) {
            throw .unreadable(path: path, reason: "'serial', 'serial_input' and 'until_output' need \"pc\" or \"multiboot\"")
        }
        if let check = try members("check_current", keys: ["thread_size", "mismatches"]) {
            checkCurrentThreadSize = (check["thread_size"] as? NSNumber).map { UInt32(truncating: $0) } ?? Linux26.threadSize
            checkCurrentMismatches = (check["mismatches"] as? NSNumber)?.intValue ?? 0
        } else {
            checkCurrentMismatches = 0
        }
        if let exception = try members("exception", keys: ["error_code", "address"]) {
            guard let stop, Self.isExceptionName(stop) else {
                throw .unreadable(path: path, reason: "'exception' needs 'stop' to name the exception (e.g. \"#PF\")")
            }
            exceptionErrorCode = exception["error_code"].map(text)
            exceptionAddress = exception["address"].map(text)
        }
    }

    /// What `stop` may name besides an exception.
    static let stopNames = ["hlt", "end", "until", "step-limit", "exception", "triple-fault", "reset", "interrupted"]

    /// "#PF", "#GP", …: `#` and two capital letters.
    static func isExceptionName(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        return scalars.count == 3 && scalars[0] == "#" && scalars.dropFirst().allSatisfy { $0.properties.isUppercase }
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

    /// The reason a run of a loaded image stopped, as the expectations name it:
    /// `until` when COM1 printed `until_output` (the line asked the run to stop).
    public func stopReason(_ reason: StopReason, _ loaded: (image: LoadedImage, serial: SerialLine?)) -> StopReason {
        reason == .stopRequested && loaded.serial?.sawStopText == true ? .reachedUntil : reason
    }

    /// Loads and runs the image, then lists every way it differs from the expectations.
    public func check() throws(ImageError) -> (failures: [String], steps: UInt64) {
        let loaded = try load()
        let image = loaded.image
        let machine = image.machine
        let reason = stopReason(machine.run(maxSteps: maxSteps), loaded)
        var failures: [String] = []
        if let stop, Self.isExceptionName(stop) {
            if case .exception(let exception) = reason, exception.mnemonic == stop {
                if let expected = exceptionErrorCode {
                    let got = exception.errorCode
                    if let want = image.resolve(expected) {
                        if got != want {
                            failures.append("\(stop) error code \(got.map { "0x" + String($0, radix: 16) } ?? "none"), "
                                            + "expected 0x\(String(want, radix: 16))")
                        }
                    } else {
                        failures.append("exception.error_code: cannot resolve '\(expected)'")
                    }
                }
                if let expected = exceptionAddress {
                    if case .pageFault(let address, _) = exception, let want = image.resolve(expected) {
                        if address != want { failures.append("\(stop) address 0x\(hex(address)), expected 0x\(hex(want))") }
                    } else {
                        failures.append("exception.address: '\(expected)' needs a #PF and a number or symbol")
                    }
                }
            } else {
                failures.append("stopped with \(reason) at \(hex(machine.eip)), expected \(stop)")
            }
        } else if let stop, reason.name != stop {
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
