import KernelModel

/// Choosing a kernel profile for a loaded image.
extension KernelProfile {
    /// The profile `--kernel NAME` asks for (`linux26` or `xv6`), built from
    /// `image` where it needs the kernel's symbols and DWARF.
    public static func named(_ name: String, for image: LoadedImage,
                             threadSize: UInt32 = Linux26.threadSize) throws(KernelProfileError) -> KernelProfile {
        switch name {
        case "linux26": return .linux26(Linux26Profile(threadSize: threadSize))
        case "xv6":
            guard let elf = image.elf else {
                throw KernelProfileError(path: image.name, kernel: "xv6", reason: "it is not an ELF kernel")
            }
            return .xv6(try XV6Profile(elf: elf))
        default:
            throw KernelProfileError(path: image.name, kernel: name, reason: "unknown kernel (linux26 or xv6)")
        }
    }

    /// The profile an image's symbols suggest: xv6 when it has xv6's, else nil (Linux 2.6 is the default).
    public static func detected(for image: LoadedImage) -> String? {
        XV6Profile.isXV6(image.symbols) && image.elf != nil ? "xv6" : nil
    }
}
