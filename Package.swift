// swift-tools-version:6.0
// SPDX-License-Identifier: MIT
import PackageDescription

let package = Package(
    name: "wireguard-swift",
    products: [
        .library(name: "WireGuardProtocol", targets: ["WireGuardProtocol"]),
        .executable(name: "wireguard-bench", targets: ["wireguard-bench"]),
    ],
    targets: [
        // OpenSSL's libcrypto behind non-variadic C functions: in-place ChaCha20-Poly1305 and X25519.
        .target(
            name: "CWireGuardCrypto",
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        .target(name: "WireGuardCrypto", dependencies: ["CWireGuardCrypto"]),
        .target(name: "WireGuardModel", dependencies: ["WireGuardCrypto"]),
        .target(name: "WireGuardProtocol", dependencies: ["WireGuardCrypto", "WireGuardModel"]),
        .target(name: "WireGuardTestSupport", dependencies: ["WireGuardProtocol", "WireGuardModel", "WireGuardCrypto"]),
        .target(
            name: "WireGuardBenchmarks",
            dependencies: ["WireGuardProtocol", "WireGuardModel", "WireGuardCrypto", "WireGuardTestSupport"]
        ),
        .executableTarget(name: "wireguard-bench", dependencies: ["WireGuardBenchmarks"]),
        .testTarget(name: "WireGuardCryptoTests", dependencies: ["WireGuardCrypto", "WireGuardTestSupport"]),
        .testTarget(name: "WireGuardModelTests", dependencies: ["WireGuardModel"]),
        .testTarget(
            name: "WireGuardProtocolTests",
            dependencies: ["WireGuardProtocol", "WireGuardModel", "WireGuardCrypto", "WireGuardTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
