// SPDX-License-Identifier: MIT
// WireGuard's three key kinds as value types: 32 bytes each, constant-time equality, redacted descriptions.

import WireGuardCrypto

/// A Curve25519 public key.
public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The raw 32 bytes.
    public let raw: Bytes32

    public init(_ raw: Bytes32) { self.raw = raw }

    /// Nil unless `bytes` is exactly 32 bytes long.
    public init?(bytes: some BytesRepresentable) {
        guard let raw = Bytes32(bytes) else { return nil }
        self.raw = raw
    }

    public var bytes: [UInt8] { raw.bytes }
    public var isZero: Bool { raw.isZero }

    /// wireguard-go's short form for logs: `peer(abcd…wxyz)`, from the base64 encoding.
    public var shortDescription: String {
        let b64 = base64
        return "peer(\(b64.prefix(4))…\(b64.dropLast().suffix(4)))"
    }

    public var description: String { base64 }
}

/// A Curve25519 private key, kept clamped in wiped-on-release storage. The all-zero key means "no key".
public struct PrivateKey: Equatable, Sendable, CustomStringConvertible {
    /// The clamped scalar (all zero stays all zero).
    public let secret: Secret

    /// Clamps `bytes` (32 bytes) unless they are all zero; nil for any other length.
    public init?(bytes: some BytesRepresentable) {
        guard bytes.withBytes({ $0.count }) == 32 else { return nil }
        let zero = bytes.withBytes { ConstantTime.isZero($0) }
        secret = Secret(count: 32) { dst in
            bytes.withBytes { dst.copyMemory(from: $0) }
            if !zero { X25519.clamp(dst) }
        }
    }

    /// A fresh random key, clamped, as `wg genkey` makes it.
    public static func generate(using random: some RandomSource) -> PrivateKey {
        PrivateKey(bytes: X25519.generatePrivateKey(using: random))!
    }

    public var isZero: Bool { secret.isZero }

    /// The matching public key; nil for the all-zero key.
    public var publicKey: PublicKey? {
        guard !isZero, let raw = X25519.publicKey(for: secret) else { return nil }
        return PublicKey(raw)
    }

    public static func == (a: PrivateKey, b: PrivateKey) -> Bool { ConstantTime.equals(a.secret, b.secret) }
    public var description: String { "(private key)" }
}

/// A symmetric preshared key; all zero means "none" (and is what Noise mixes in when none is set).
public struct PresharedKey: Equatable, Sendable, CustomStringConvertible {
    public let secret: Secret

    public init?(bytes: some BytesRepresentable) {
        guard bytes.withBytes({ $0.count }) == 32 else { return nil }
        secret = Secret(bytes)
    }

    /// The all-zero key.
    public static var zero: PresharedKey { PresharedKey(bytes: [UInt8](repeating: 0, count: 32))! }

    public var isZero: Bool { secret.isZero }
    public static func == (a: PresharedKey, b: PresharedKey) -> Bool { ConstantTime.equals(a.secret, b.secret) }
    public var description: String { "(preshared key)" }
}
