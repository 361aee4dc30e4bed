/// The assembly syntax used for instruction text.
public enum AssemblySyntax: String, Sendable, CaseIterable {
    /// GNU as / objdump syntax: `movl %esp, 0x1e4(%eax)`.
    case att
    /// Intel syntax: `mov dword ptr [eax + 0x1e4], esp`.
    case intel
}
