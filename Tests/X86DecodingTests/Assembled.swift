import Images
import X86Decoding

/// Assembles AT&T text with GNU as/ld and returns the .text bytes and their address.
func assembled(_ text: String) throws -> (bytes: [UInt8], address: UInt32) {
    let elf = try GNUToolchain.assemble(text: text)
    guard let text = elf.sections.first(where: { $0.name == ".text" }) else { return ([], 0) }
    return (Array(elf.contents(of: text)), text.address)
}

/// Decodes every instruction of assembled text, failing on undecodable bytes.
func decodeAssembled(_ text: String, syntax: AssemblySyntax = .att) throws -> [DecodedInstruction] {
    let (bytes, address) = try assembled(text)
    let decoder = try X86Decoder(syntax: syntax)
    return try decoder.decodeAll(bytes, address: address).map { try $0.get() }
}
