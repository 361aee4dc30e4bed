// swift-tools-version: 6.1
import PackageDescription

// Layers point one way: kstep → Tracing → Images → (I386 → X86Decoding → CCapstone, KernelModel).
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
        .target(
            name: "I386",
            dependencies: ["X86Decoding", "CX87"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release))]
        ),
        .target(name: "KernelModel"),
        .target(name: "Images", dependencies: ["I386", "KernelModel"]),
        .target(
            name: "Tracing",
            dependencies: ["Images", "I386", "KernelModel", "X86Decoding"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "kstep",
            dependencies: [
                "Images", "I386", "KernelModel", "Tracing", "X86Decoding",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "X86DecodingTests", dependencies: ["X86Decoding", "Images"]),
        .testTarget(name: "I386Tests", dependencies: ["I386", "X86Decoding", "Images"]),
        .testTarget(name: "ImagesTests", dependencies: ["Images"], exclude: ["Fixtures"]),  // read by path
        .testTarget(name: "TracingTests", dependencies: ["Tracing", "I386", "Images"]),
        .testTarget(name: "kstepTests", dependencies: ["kstep"]),
    ]
)
