// SPDX-License-Identifier: MIT
// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha): HChaCha20 derives a subkey from the first 16 nonce bytes,
// then ChaCha20-Poly1305 runs with nonce 00000000 || nonce[16..<24]. WireGuard uses it for cookie replies.

/// HChaCha20 and the XChaCha20-Poly1305 AEAD.
public enum XChaCha20Poly1305 {
    /// HChaCha20(key, nonce16): 20 ChaCha rounds, output words 0...3 and 12...15.
    public static func hChaCha20(key: some BytesRepresentable, nonce: UnsafeRawBufferPointer) -> Secret {
        Secret(count: 32) { hChaCha20(key: key, nonce: nonce, into: $0) }
    }

    /// HChaCha20 written to the 32 bytes at `out` (no allocation).
    static func hChaCha20(key: some BytesRepresentable, nonce: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        precondition(nonce.count >= 16 && out.count >= 32)
        var s = SIMD16<UInt32>(0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        key.withBytes { k in
            precondition(k.count == 32)
            for i in 0..<8 { s[4 + i] = UInt32(littleEndian: k.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        }
        for i in 0..<4 { s[12 + i] = UInt32(littleEndian: nonce.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        for _ in 0..<10 {
            quarterRound(&s, 0, 4, 8, 12)
            quarterRound(&s, 1, 5, 9, 13)
            quarterRound(&s, 2, 6, 10, 14)
            quarterRound(&s, 3, 7, 11, 15)
            quarterRound(&s, 0, 5, 10, 15)
            quarterRound(&s, 1, 6, 11, 12)
            quarterRound(&s, 2, 7, 8, 13)
            quarterRound(&s, 3, 4, 9, 14)
        }
        for i in 0..<4 {
            out.storeBytes(of: s[i].littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            out.storeBytes(of: s[12 + i].littleEndian, toByteOffset: 16 + 4 * i, as: UInt32.self)
        }
        s = SIMD16<UInt32>()
    }

    /// XAEAD in place: seals `count` bytes at `buffer` and writes the tag at `buffer + count`, with no
    /// allocation (the subkey lives on the stack and is wiped). False if OpenSSL fails.
    public static func seal(key: some BytesRepresentable, nonce: UnsafeRawBufferPointer, buffer: UnsafeMutableRawPointer,
                            count: Int, ad: UnsafeRawBufferPointer) -> Bool {
        precondition(nonce.count == 24, "XChaCha20 nonce must be 24 bytes")
        var subkey: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var chachaNonce = (UInt32(0), UInt32(0), UInt32(0))
        withUnsafeMutableBytes(of: &chachaNonce) { $0.baseAddress!.advanced(by: 4).copyMemory(from: nonce.baseAddress! + 16, byteCount: 8) }
        let ok = withUnsafeMutableBytes(of: &subkey) { k in
            hChaCha20(key: key, nonce: nonce, into: k)
            return withUnsafeBytes(of: &chachaNonce) {
                ChaCha20Poly1305.seal(key: UnsafeRawBufferPointer(k), nonce: $0, buffer: buffer, count: count, ad: ad)
            }
        }
        withUnsafeMutableBytes(of: &subkey) { Secret.wipe($0) }
        return ok
    }

    @inline(__always)
    private static func quarterRound(_ s: inout SIMD16<UInt32>, _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        s[a] = s[a] &+ s[b]; s[d] = (s[d] ^ s[a]).rotateLeft(16)
        s[c] = s[c] &+ s[d]; s[b] = (s[b] ^ s[c]).rotateLeft(12)
        s[a] = s[a] &+ s[b]; s[d] = (s[d] ^ s[a]).rotateLeft(8)
        s[c] = s[c] &+ s[d]; s[b] = (s[b] ^ s[c]).rotateLeft(7)
    }

    private static func withSubkey<R>(key: some BytesRepresentable, nonce: some BytesRepresentable,
                                      _ body: (Secret, UnsafeRawBufferPointer) -> R) -> R {
        nonce.withBytes { n in
            precondition(n.count == 24, "XChaCha20 nonce must be 24 bytes")
            let subkey = hChaCha20(key: key, nonce: n)
            var chachaNonce = (UInt32(0), UInt32(0), UInt32(0))
            withUnsafeMutableBytes(of: &chachaNonce) { $0.baseAddress!.advanced(by: 4).copyMemory(from: n.baseAddress! + 16, byteCount: 8) }
            return withUnsafeBytes(of: &chachaNonce) { body(subkey, $0) }
        }
    }

    /// XAEAD(key, nonce24, plaintext, ad) = ciphertext || tag.
    public static func seal(key: some BytesRepresentable, nonce: some BytesRepresentable,
                            plaintext: some BytesRepresentable, ad: some BytesRepresentable) -> [UInt8] {
        withSubkey(key: key, nonce: nonce) { subkey, n in
            ChaCha20Poly1305.seal(key: subkey, nonce: n, plaintext: plaintext, ad: ad)
        }
    }

    /// Opens ciphertext || tag; nil when authentication fails.
    public static func open(key: some BytesRepresentable, nonce: some BytesRepresentable,
                            ciphertext: some BytesRepresentable, ad: some BytesRepresentable) -> [UInt8]? {
        withSubkey(key: key, nonce: nonce) { subkey, n in
            ChaCha20Poly1305.open(key: subkey, nonce: n, ciphertext: ciphertext, ad: ad)
        }
    }
}

extension UInt32 {
    @inline(__always)
    func rotateLeft(_ n: UInt32) -> UInt32 { (self << n) | (self >> (32 - n)) }
}
