import ArgumentParser
import Images

/// How the user names the code to work on: a file, `--hex` or `--asm`.
struct InputOptions: ParsableArguments {
    @Argument(help: "An ELF32 i386 file, a .s/.S source, or a raw binary (with --load-at).")
    var input: String?

    @Option(name: .long, help: "Machine code as hex bytes, e.g. '9c 55 89 a0 e4 01 00 00'.")
    var hex: String?

    @Option(name: .long, help: "AT&T assembly; ';' or newlines separate instructions.")
    var asm: String?

    @Option(name: .customLong("load-at"), help: "Load a raw binary INPUT at this address.")
    var loadAt: String?

    /// Checks that exactly one input was given. Not `validate()`: ArgumentParser
    /// validates before it looks for unknown options, and `--bogus 5` would then be
    /// reported as a second input instead of an unknown option.
    func check() throws(ExitCode) {
        let given = [input != nil, hex != nil, asm != nil].filter { $0 }.count
        guard given == 1 else {
            throw fail("give exactly one input: a FILE, --hex 'BYTES' or --asm 'TEXT'")
        }
        if loadAt != nil && input == nil {
            throw fail("--load-at applies to a raw binary INPUT file")
        }
    }

    /// The name of the input in messages.
    var displayName: String { input ?? (hex != nil ? "--hex" : "--asm") }
}
