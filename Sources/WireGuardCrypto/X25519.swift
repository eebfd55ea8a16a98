// SPDX-License-Identifier: MIT
// Curve25519 Diffie-Hellman (RFC 7748) through OpenSSL.

import CWireGuardCrypto

/// X25519 as WireGuard uses it: clamped private keys, and an all-zero shared secret treated as failure.
public enum X25519 {
    /// Clamps a private scalar in place: `k[0] &= 248; k[31] = (k[31] & 127) | 64`.
    public static func clamp(_ key: UnsafeMutableRawBufferPointer) {
        precondition(key.count == 32)
        key[0] &= 248
        key[31] = (key[31] & 127) | 64
    }

    /// A new clamped private key from `random`.
    public static func generatePrivateKey(using random: some RandomSource) -> Secret {
        Secret(count: 32) { buf in
            random.fill(buf)
            clamp(buf)
        }
    }

    /// X25519(privateKey, 9). Nil only if the key is not 32 bytes.
    public static func publicKey(for privateKey: some BytesRepresentable) -> Bytes32? {
        var ok = false
        let result = Bytes32 { out in
            privateKey.withBytes { k in
                guard k.count == 32 else { return }
                ok = wg_x25519_public(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                      k.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
            }
        }
        return ok ? result : nil
    }

    /// DH(privateKey, publicKey). Returns nil when the result is all zero (a small-order public key) or the
    /// inputs are malformed: WireGuard must then refuse the handshake step.
    public static func sharedSecret(privateKey: some BytesRepresentable, publicKey: some BytesRepresentable) -> Secret? {
        var ok = false
        let result = Secret(count: 32) { out in
            privateKey.withBytes { k in
                publicKey.withBytes { p in
                    guard k.count == 32, p.count == 32 else { return }
                    ok = wg_x25519(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                   k.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                   p.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
                }
            }
        }
        guard ok, !result.isZero else { return nil }
        return result
    }
}
