// swift-tools-version:6.0
// SPDX-License-Identifier: MIT
import PackageDescription

// The data path's modules skip the runtime exclusivity checks in release builds: the compiler's static checks
// stay, and the dynamic ones cost a swift_beginAccess on every class-property access of every packet.
let dataPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

// Release executables carry the Swift runtime (no toolchain needed to run them; fewer pages mapped).
let staticRuntime: [LinkerSetting] = [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]

let package = Package(
    name: "wireguard-swift",
    products: [
        .library(name: "WireGuardProtocol", targets: ["WireGuardProtocol"]),
        .executable(name: "wireguard-swift", targets: ["wireguard-swift"]),
        .executable(name: "wg", targets: ["wg"]),
        .executable(name: "wg-quick", targets: ["wg-quick"]),
        .executable(name: "wireguard-bench", targets: ["wireguard-bench"]),
        .executable(name: "wireguard-flood", targets: ["wireguard-flood"]),
        .executable(name: "wg-server", targets: ["wg-server"]),
    ],
    targets: [
        // OpenSSL's libcrypto behind non-variadic C functions: in-place ChaCha20-Poly1305 and X25519.
        .target(
            name: "CWireGuardCrypto",
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        .target(name: "WireGuardCrypto", dependencies: ["CWireGuardCrypto"]),
        .target(name: "WireGuardModel", dependencies: ["WireGuardCrypto"]),
        .target(name: "WireGuardProtocol", dependencies: ["WireGuardCrypto", "WireGuardModel"], swiftSettings: dataPath),
        // Pure byte transforms for TUN and UDP offloads: virtio-net header, TSO/USO segmentation, GRO
        // coalescing, Internet checksums. No system calls.
        .target(name: "WireGuardOffload", swiftSettings: dataPath),
        // Linux calls Swift cannot make: variadic ioctls (TUN, SIOCGIFMTU) and the CMSG macros.
        .target(name: "CWireGuardLinux"),
        .target(name: "WireGuardIPC", dependencies: ["WireGuardModel", "CWireGuardLinux"]),
        // Pure netlink encoding and decoding (generic netlink, the WireGuard family, rtnetlink links).
        .target(name: "WireGuardNetlink", dependencies: ["WireGuardModel", "WireGuardCrypto"]),
        .target(
            name: "WireGuardDevice",
            dependencies: ["CWireGuardLinux", "WireGuardIPC", "WireGuardProtocol", "WireGuardModel", "WireGuardCrypto",
                           "WireGuardOffload"],
            swiftSettings: dataPath
        ),
        .target(name: "WireGuardTools", dependencies: ["WireGuardDevice", "WireGuardIPC", "WireGuardModel", "WireGuardCrypto",
                                                       "WireGuardNetlink"]),
        .executableTarget(name: "wireguard-swift", dependencies: ["WireGuardTools"], linkerSettings: staticRuntime),
        .executableTarget(name: "wg", dependencies: ["WireGuardTools"], linkerSettings: staticRuntime),
        .executableTarget(name: "wg-quick", dependencies: ["WireGuardTools"], linkerSettings: staticRuntime),
        // Debian's libqrencode and libpng for wg-server's QR codes (terminal and PNG).
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .target(name: "WireGuardServer", dependencies: ["WireGuardTools", "WireGuardModel", "WireGuardCrypto", "CQREncode", "CPNG"]),
        .executableTarget(name: "wg-server", dependencies: ["WireGuardServer"], linkerSettings: staticRuntime),
        .target(name: "WireGuardTestSupport", dependencies: ["WireGuardProtocol", "WireGuardModel", "WireGuardCrypto"]),
        .target(
            name: "WireGuardBenchmarks",
            dependencies: ["WireGuardProtocol", "WireGuardModel", "WireGuardCrypto", "WireGuardTestSupport"]
        ),
        .executableTarget(name: "wireguard-bench", dependencies: ["WireGuardBenchmarks"]),
        // A handshake-initiation flood for bench/flood.sh and Tests/Integration/t_flood.sh.
        .executableTarget(name: "wireguard-flood",
                          dependencies: ["CWireGuardLinux", "WireGuardCrypto", "WireGuardModel", "WireGuardProtocol"]),
        .testTarget(name: "WireGuardCryptoTests", dependencies: ["WireGuardCrypto", "WireGuardTestSupport"]),
        .testTarget(name: "WireGuardModelTests", dependencies: ["WireGuardModel"]),
        .testTarget(name: "WireGuardOffloadTests", dependencies: ["WireGuardOffload"]),
        .testTarget(name: "WireGuardIPCTests", dependencies: ["WireGuardIPC", "WireGuardModel"]),
        .testTarget(name: "WireGuardNetlinkTests", dependencies: ["WireGuardNetlink", "WireGuardModel"]),
        .testTarget(
            name: "WireGuardToolsTests",
            dependencies: ["WireGuardTools", "WireGuardModel", "WireGuardTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "WireGuardServerTests", dependencies: ["WireGuardServer", "WireGuardTools"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "WireGuardDeviceTests",
            dependencies: ["WireGuardDevice", "WireGuardProtocol", "WireGuardModel", "WireGuardTestSupport"]
        ),
        .testTarget(
            name: "WireGuardProtocolTests",
            dependencies: ["WireGuardProtocol", "WireGuardModel", "WireGuardCrypto", "WireGuardTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
