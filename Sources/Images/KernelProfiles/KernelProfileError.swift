/// Why a kernel profile could not be built from an image.
public struct KernelProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The image, for messages.
    public var path: String
    /// The profile asked for (`xv6`).
    public var kernel: String
    /// What is missing or wrong.
    public var reason: String

    /// The error for `kernel`'s profile of the image at `path`.
    public init(path: String, kernel: String, reason: String) {
        self.path = path
        self.kernel = kernel
        self.reason = reason
    }

    /// One line: the image, the profile, the reason.
    public var description: String { "\(path): no \(kernel) kernel profile: \(reason)" }
}
