import Foundation

/// Compares two JSONL traces record by record (aligned by position, which is
/// the step order) and finds the first divergence.
public struct TraceDiff {
    /// One parsed record, with the full register state reconstructed from the deltas.
    public struct Record {
        public var line: String
        public var object: [String: Any]
        public var registers: [String: String]
        public var step: Int { object["step"] as? Int ?? 0 }
        public var eip: String { object["eip"] as? String ?? "?" }
        public var assembly: String {
            if let text = object["asm"] as? String { return text }
            if object["exception"] != nil { return "(exception)" }
            let events = object["events"] as? [[String: Any]] ?? []
            return events.contains { $0["kind"] as? String == "irq" } ? "(interrupt)" : "?"
        }
    }

    /// Where and how two traces first differ.
    public struct Divergence {
        public var index: Int
        public var a: Record?
        public var b: Record?
        /// (register, value in A, value in B).
        public var registers: [(String, String, String)]
        public var memoryA: String
        public var memoryB: String
        public var eventsA: String
        public var eventsB: String
        /// Records before the divergence (equal in both).
        public var context: [Record]
    }

    /// Parses JSONL text into records; a line that is not a JSON object is an error naming its number.
    public static func records(_ text: String, name: String) throws -> [Record] {
        var registers: [String: String] = [:]
        var records: [Record] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw DiffError(description: "\(name):\(number + 1): not a JSON object")
            }
            if object["stop"] != nil { continue }  // the stop record ends a trace; it is not a step
            if let delta = object["regs"] as? [String: String] {
                for (key, value) in delta { registers[key] = value }
            }
            if let eip = object["eip"] as? String { registers["eip@"] = eip }
            records.append(Record(line: String(line), object: object, registers: registers))
        }
        return records
    }

    /// The first divergence between `a` and `b`, or nil when they agree.
    public static func firstDivergence(_ a: [Record], _ b: [Record], context: Int = 3) -> Divergence? {
        let count = max(a.count, b.count)
        for index in 0..<count {
            let left = index < a.count ? a[index] : nil
            let right = index < b.count ? b[index] : nil
            guard let left, let right else {
                return Divergence(index: index, a: left, b: right, registers: [], memoryA: "", memoryB: "",
                                  eventsA: "", eventsB: "", context: Array(a[max(0, index - context)..<min(index, a.count)]))
            }
            var registers: [(String, String, String)] = []
            for key in Set(left.registers.keys).union(right.registers.keys).sorted() where key != "eip@" {
                let l = left.registers[key] ?? "-", r = right.registers[key] ?? "-"
                if l != r { registers.append((key, l, r)) }
            }
            let memoryA = describe(left.object["mem"]), memoryB = describe(right.object["mem"])
            let eventsA = describe(left.object["events"] ?? left.object["exception"])
            let eventsB = describe(right.object["events"] ?? right.object["exception"])
            if left.eip != right.eip || !registers.isEmpty || memoryA != memoryB || eventsA != eventsB {
                return Divergence(index: index, a: left, b: right, registers: registers, memoryA: memoryA,
                                  memoryB: memoryB, eventsA: eventsA, eventsB: eventsB,
                                  context: Array(a[max(0, index - context)..<index]))
            }
        }
        return nil
    }

    private static func describe(_ value: Any?) -> String {
        guard let value, let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A trace that cannot be compared.
public struct DiffError: Error, CustomStringConvertible {
    public var description: String
}
