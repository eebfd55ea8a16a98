// SPDX-License-Identifier: MIT
// Curve25519 Diffie-Hellman (RFC 7748) through OpenSSL.

import CWireGuardCrypto

/// X25519 as WireGuard uses it: clamped private keys, and an all-zero shared secret treated as failure.
public enum X25519 {
    /// Size of scalars, points and shared secrets in bytes.
    public static let keySize = 32

    /// Clamps a private scalar in place: `k[0] &= 248; k[31] = (k[31] & 127) | 64`.
    public static func clamp(_ key: UnsafeMutableRawBufferPointer) {
        precondition(key.count == keySize)
        key[0] &= 248
        key[31] = (key[31] & 127) | 64
    }

    /// A new clamped private key from `random`.
    public static func generatePrivateKey(using random: some RandomSource) -> Secret {
        Secret(count: keySize) { buf in
            random.fill(buf)
            clamp(buf)
        }
    }

    /// X25519(privateKey, 9). Nil only if the key is not 32 bytes.
    public static func publicKey(for privateKey: some BytesRepresentable) -> Bytes32? {
        var ok = false
        let result = Bytes32 { out in
            privateKey.withBytes { k in
                guard k.count == keySize else { return }
                ok = wg_x25519_public(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                      k.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
            }
        }
        return ok ? result : nil
    }

    /// DH(privateKey, publicKey). Returns nil when the result is all zero (a small-order public key) or the
    /// inputs are malformed: WireGuard must then refuse the handshake step. Costs two scalar multiplications
    /// through OpenSSL; `KeyPair` does repeated DH with one private key at one each.
    public static func sharedSecret(privateKey: some BytesRepresentable, publicKey: some BytesRepresentable) -> Secret? {
        var ok = false
        let result = Secret(count: keySize) { out in
            privateKey.withBytes { k in
                publicKey.withBytes { p in
                    guard k.count == keySize, p.count == keySize else { return }
                    ok = wg_x25519(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                   k.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                   p.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
                }
            }
        }
        guard ok, !result.isZero else { return nil }
        return result
    }

    /// A private key loaded into OpenSSL once, with its public key. Loading costs one scalar multiplication
    /// (it computes the public key) and each DH one more, which is the least OpenSSL's EVP interface allows.
    /// The handshake keeps one for the static identity and one per ephemeral key. Not thread-safe: one
    /// thread at a time.
    public final class KeyPair {
        private let key: OpaquePointer
        /// X25519(private key, 9).
        public let publicKey: Bytes32

        /// Loads `privateKey` (32 bytes; clamped by the curve operation). Nil for another length or if
        /// OpenSSL refuses the key.
        public init?(privateKey: some BytesRepresentable) {
            var handle: OpaquePointer?
            let pub = Bytes32 { out in
                privateKey.withBytes { k in
                    guard k.count == keySize else { return }
                    handle = wg_x25519_key_new(k.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                               out.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            guard let handle else { return nil }
            key = handle
            publicKey = pub
        }

        deinit { wg_x25519_key_free(key) }

        /// DH(self, publicKey) into `out` (32 bytes). False, with `out` zeroed, when the result is all zero
        /// (a small-order point) or `publicKey` is not 32 bytes.
        public func sharedSecret(with publicKey: some BytesRepresentable, into out: UnsafeMutableRawBufferPointer) -> Bool {
            precondition(out.count >= keySize)
            let ok = publicKey.withBytes { p in
                p.count == keySize && wg_x25519_key_shared(key, out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                          p.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
            }
            // OpenSSL already refuses an all-zero result; the check here keeps that rule independent of it.
            guard ok, !ConstantTime.isZero(UnsafeRawBufferPointer(rebasing: out[0..<keySize])) else {
                Secret.wipe(out)
                return false
            }
            return true
        }

        /// DH(self, publicKey) as a `Secret`; nil when `sharedSecret(with:into:)` fails.
        public func sharedSecret(with publicKey: some BytesRepresentable) -> Secret? {
            var ok = false
            let result = Secret(count: keySize) { ok = sharedSecret(with: publicKey, into: $0) }
            return ok ? result : nil
        }
    }
}
