// SPDX-License-Identifier: MIT
// OpenSSL doing the benchmarked work by itself, for wireguard-bench's reference figures.

import CWireGuardCrypto

/// Reference loops run by OpenSSL alone, to compare our figures with on the same core.
public enum OpenSSLReference {
    /// `iterations` ChaCha20-Poly1305 messages of `count` bytes in place at `buffer`, through EVP the way
    /// OpenSSL's apps/speed.c AEAD loop does them: the IV set per message, 13 bytes of AAD, the payload,
    /// Final. With `decrypt`, as `openssl speed -decrypt` (a fake tag, so Final fails after all the work).
    /// False if OpenSSL cannot set up the cipher.
    public static func aead(buffer: UnsafeMutableRawPointer, count: Int, iterations: Int, decrypt: Bool) -> Bool {
        wg_reference_aead(buffer.assumingMemoryBound(to: UInt8.self), count, UInt64(iterations), decrypt ? 1 : 0) == 1
    }

    /// `iterations` EVP_EncryptUpdate calls over `count` bytes at `buffer` under one key and nonce, with no
    /// per-message work: what `openssl speed -aead -evp chacha20-poly1305` runs on OpenSSL 3.0.
    public static func stream(buffer: UnsafeMutableRawPointer, count: Int, iterations: Int) -> Bool {
        wg_reference_stream(buffer.assumingMemoryBound(to: UInt8.self), count, UInt64(iterations)) == 1
    }
}
