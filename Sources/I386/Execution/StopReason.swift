/// Why a run ended.
public enum StopReason: Sendable, Equatable, CustomStringConvertible {
    /// The guest executed `hlt`.
    case halted
    /// Execution reached the end of the loaded snippet.
    case endOfCode
    /// Execution reached the `until` address.
    case reachedUntil
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
    /// The guest reached an x87 instruction before the x87 FPU is wired into
    /// the interpreter (`OpKind.x87Pending`); the text names it. Every other
    /// instruction executes or raises #UD, as the CPU kstep models would.
    case x87Pending(String)

    /// Short name used by the CLI and JSON: "hlt", "end", "until", …
    public var name: String {
        switch self {
        case .halted: "hlt"
        case .endOfCode: "end"
        case .reachedUntil: "until"
        case .stepLimit: "step-limit"
        case .exception: "exception"
        case .tripleFault: "triple-fault"
        case .stopRequested: "interrupted"
        case .reset: "reset"
        case .x87Pending: "x87-pending"
        }
    }

    public var description: String {
        switch self {
        case .exception(let exception): "exception \(exception)"
        case .x87Pending(let text): "x87 instruction not executed yet: \(text)"
        default: name
        }
    }
}
