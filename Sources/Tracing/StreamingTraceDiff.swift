import Foundation

/// Compares two JSONL traces record by record while reading them, in memory
/// that does not grow with their length: the register state of each side, the
/// last `context` records, and the current divergence region.
///
/// A divergence region starts at the first record pair that differs and ends
/// where the two agree again (the traces re-converge). With `fromStep`, records
/// before that step are not compared, and each record is compared by what it
/// changed (its own registers, memory and events) rather than by the whole
/// register state, so a different initial state counts only where it changes
/// what an instruction does.
public struct StreamingTraceDiff {
    public var context = 3
    /// Regions to report in full; the comparison stops when one more starts.
    public var maxDivergences = 1
    public var fromStep = 0

    public init() {}

    /// What the comparison found.
    public struct Summary {
        public var compared = 0
        public var divergences = 0
        /// True when a region past `maxDivergences` started (and the comparison stopped there).
        public var truncated = false
        public var stopA: [String: Any]?
        public var stopB: [String: Any]?
    }

    /// Compares `a` with `b`, printing each region through `print`.
    public func run(_ a: JSONLReader, _ b: JSONLReader, print: (String) -> Void) throws -> Summary {
        var summary = Summary()
        var registersA: [String: String] = [:], registersB: [String: String] = [:]
        var recent: [[String: Any]] = []
        var inRegion = false
        var regionStart = 0
        var index = 0
        func nextRecord(_ reader: JSONLReader, _ registers: inout [String: String], _ stop: inout [String: Any]?) throws -> [String: Any]? {
            while let object = try reader.next() {
                if let value = object["stop"] {
                    stop = object
                    _ = value
                    continue
                }
                if let delta = object["regs"] as? [String: String] {
                    for (key, value) in delta { registers[key] = value }
                }
                return object
            }
            return nil
        }
        while true {
            let left = try nextRecord(a, &registersA, &summary.stopA)
            let right = try nextRecord(b, &registersB, &summary.stopB)
            if left == nil && right == nil { break }
            index += 1
            let step = (left?["step"] as? Int) ?? (right?["step"] as? Int) ?? 0
            if step < fromStep { continue }
            summary.compared += 1
            var differences: [String] = []
            if let left, let right {
                if left["eip"] as? String != right["eip"] as? String || Self.text(left["asm"]) != Self.text(right["asm"]) {
                    differences.append("  eip: A \(Self.place(left))  B \(Self.place(right))")
                }
                if fromStep > 0 {
                    let l = Self.text(left["regs"]), r = Self.text(right["regs"])
                    if l != r { differences.append("  registers changed: A \(l)  B \(r)") }
                } else {
                    for key in Set(registersA.keys).union(registersB.keys).sorted() {
                        let l = registersA[key] ?? "-", r = registersB[key] ?? "-"
                        if l != r { differences.append("  \(key): A \(l)  B \(r)") }
                    }
                }
                let memoryA = Self.text(left["mem"]), memoryB = Self.text(right["mem"])
                if memoryA != memoryB { differences.append("  memory: A \(memoryA)\n          B \(memoryB)") }
                let eventsA = Self.text(left["events"] ?? left["exception"]), eventsB = Self.text(right["events"] ?? right["exception"])
                if eventsA != eventsB { differences.append("  events: A \(eventsA)\n          B \(eventsB)") }
            }
            let differs = left == nil || right == nil || !differences.isEmpty
            if differs && !inRegion {
                summary.divergences += 1
                if summary.divergences > maxDivergences {
                    summary.divergences -= 1
                    summary.truncated = true
                    break
                }
                inRegion = true
                regionStart = index
                let label = summary.divergences == 1 ? "first divergence" : "divergence \(summary.divergences)"
                print("\(label) at record \(index) (step \(step))")
                for record in recent { print("  = step \(Self.describe(record))") }
                print("  A step \(left.map(Self.describe) ?? "(trace ended)")")
                print("  B step \(right.map(Self.describe) ?? "(trace ended)")")
                for line in differences { print(line) }
            } else if !differs && inRegion {
                inRegion = false
                print("  re-converged at record \(index) (step \(step)) after \(index - regionStart) differing record"
                      + (index - regionStart == 1 ? "" : "s"))
            }
            if let left, context > 0 {
                recent.append(left)
                if recent.count > context { recent.removeFirst() }
            }
            if left == nil || right == nil { break }
        }
        if inRegion { print("  (the traces did not re-converge)") }
        return summary
    }

    private static func describe(_ record: [String: Any]) -> String {
        "\(record["step"] as? Int ?? 0) \(place(record)) \(assembly(record))"
    }

    private static func place(_ record: [String: Any]) -> String { record["eip"] as? String ?? "?" }

    private static func assembly(_ record: [String: Any]) -> String {
        if let text = record["asm"] as? String { return text }
        if record["exception"] != nil { return "(exception)" }
        let events = record["events"] as? [[String: Any]] ?? []
        return events.contains { $0["kind"] as? String == "irq" } ? "(interrupt)" : "?"
    }

    static func text(_ value: Any?) -> String {
        guard let value, let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// How a stop record reads in a summary: "hlt at 0x… after N steps".
    public static func describeStop(_ stop: [String: Any]?) -> String? {
        guard let stop, let object = stop["stop"] as? [String: Any] else { return nil }
        let reason = object["reason"] as? String ?? "?"
        var text = "\(reason) at \(object["eip"] as? String ?? "?")"
        if let steps = stop["steps"] as? Int { text += " after \(steps) steps" }
        return text
    }
}
