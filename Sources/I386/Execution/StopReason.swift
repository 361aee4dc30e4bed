/// Why a run ended.
public enum StopReason: Sendable, Equatable, CustomStringConvertible {
    /// The guest executed `hlt`.
    case halted
    /// Execution reached the end of the loaded snippet.
    case endOfCode
    /// Execution reached the `until` address.
    case reachedUntil
    /// Execution reached one of `Machine.breakpoints` (the instruction there has not run).
    case breakpoint(UInt32)
    /// An instruction accessed memory one of `Machine.watchpoints` covers (it has run).
    case watchpoint(WatchpointHit)
    /// The step limit was reached.
    case stepLimit
    /// The guest raised an exception that was not delivered.
    case exception(CPUException)
    /// An exception occurred while delivering #DF.
    case tripleFault
    /// `Machine.requestStop()` was called (a debugger's or the user's interrupt).
    case stopRequested
    /// The platform reset the CPU (`Machine.requestReset()`: a PC's keyboard-controller reset line).
    case reset

    /// Short name used by the CLI and JSON: "hlt", "end", "until", …
    public var name: String {
        switch self {
        case .halted: "hlt"
        case .endOfCode: "end"
        case .reachedUntil: "until"
        case .breakpoint: "breakpoint"
        case .watchpoint: "watchpoint"
        case .stepLimit: "step-limit"
        case .exception: "exception"
        case .tripleFault: "triple-fault"
        case .stopRequested: "interrupted"
        case .reset: "reset"
        }
    }

    public var description: String {
        switch self {
        case .exception(let exception): "exception \(exception)"
        case .watchpoint(let hit): "watchpoint: \(hit)"
        default: name
        }
    }
}
