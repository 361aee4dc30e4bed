// swift-tools-version: 6.1
import PackageDescription

// Layers point one way: kstep → GDBRemote → Tracing → Images → (PC → I386 → X86Decoding → CCapstone, KernelModel);
// PC (the platform's devices) sees I386 only through its bus protocols.
let package = Package(
    name: "kstep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kstep", targets: ["kstep"]),
        .library(name: "I386", targets: ["I386"]),
        .library(name: "X86Decoding", targets: ["X86Decoding"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CCapstone",
            pkgConfig: "capstone",
            providers: [.apt(["libcapstone-dev"]), .brew(["capstone"])]
        ),
        .target(name: "X86Decoding", dependencies: ["CCapstone"]),
        // The host's x87, one instruction at a time (x86 hosts only; see include/cx87.h).
        .target(name: "CX87"),
        .target(name: "I386", dependencies: ["X86Decoding", "CX87"]),
        .target(name: "PC", dependencies: ["I386"]),
        .target(name: "KernelModel"),
        .target(name: "Images", dependencies: ["I386", "PC", "KernelModel", "X86Decoding"]),
        .target(name: "Tracing", dependencies: ["Images", "I386", "KernelModel", "PC", "X86Decoding"]),
        .target(name: "GDBRemote", dependencies: ["I386", "Images", "KernelModel", "PC", "Tracing"]),
        .executableTarget(
            name: "kstep",
            dependencies: [
                "GDBRemote", "Images", "I386", "KernelModel", "PC", "Tracing", "X86Decoding",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "X86DecodingTests", dependencies: ["X86Decoding", "Images"]),
        .testTarget(name: "I386Tests", dependencies: ["I386", "X86Decoding", "Images", "PC"]),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "KernelModel"], exclude: ["Fixtures"]),  // read by path
        .testTarget(name: "TracingTests", dependencies: ["Tracing", "I386", "Images", "PC"]),
        .testTarget(name: "kstepTests", dependencies: ["kstep"]),
        .testTarget(name: "PCTests", dependencies: ["PC", "I386"]),
        .testTarget(name: "GDBRemoteTests", dependencies: ["GDBRemote", "I386", "Images", "PC"], exclude: ["Fixtures"]),
    ]
)
