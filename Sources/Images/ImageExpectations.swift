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
/// `"pc": true` puts a PC's devices around the image (`LoadedImage.attachPC`).
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
        imagePath = (directory as NSString).appendingPathComponent(root["image"].map(text) ?? defaultImage)
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
        if let check = root["check_current"] as? [String: Any] {
            checkCurrentThreadSize = (check["thread_size"] as? NSNumber).map { UInt32(truncating: $0) } ?? Linux26.threadSize
            checkCurrentMismatches = (check["mismatches"] as? NSNumber)?.intValue ?? 0
        } else {
            checkCurrentMismatches = 0
        }
    }

    /// Loads the image as the expectations say (with a PC's devices when `usesPC`).
    public func load() throws(ImageError) -> LoadedImage {
        var image = try ImageLoader.load(.file(imagePath))
        if usesPC { image.attachPC() }
        return image
    }

    /// Loads and runs the image, then lists every way it differs from the expectations.
    public func check() throws(ImageError) -> (failures: [String], steps: UInt64) {
        let image = try load()
        let machine = image.machine
        let reason = machine.run(maxSteps: maxSteps)
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
        let steps = machine.instructionCount
        if let threadSize = checkCurrentThreadSize {
            let fresh = try load()
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
