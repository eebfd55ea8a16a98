// SPDX-License-Identifier: MIT
// ChaCha20-Poly1305 (RFC 8439) through OpenSSL, in place. WireGuard's nonce is four zero bytes followed by
// the 64-bit little-endian message counter.

import CWireGuardCrypto

/// A ChaCha20-Poly1305 key prepared for one direction. Seals or opens caller-provided buffers in place and
/// allocates nothing per message. Not thread-safe: one context per thread and direction.
public final class ChaCha20Poly1305Context {
    private let ctx: OpaquePointer
    /// True when this context seals, false when it opens.
    public let isSealing: Bool

    /// Prepares `key` (32 bytes) for sealing or opening. Returns nil if the key has the wrong length or
    /// OpenSSL cannot provide the cipher.
    public init?(key: some BytesRepresentable, sealing: Bool) {
        guard let c = key.withBytes({ k -> OpaquePointer? in
            guard k.count == 32 else { return nil }
            return wg_aead_new(k.baseAddress!.assumingMemoryBound(to: UInt8.self), sealing ? 1 : 0)
        }) else { return nil }
        ctx = c
        isSealing = sealing
    }

    deinit { wg_aead_free(ctx) }

    /// The 12-byte WireGuard nonce for `counter`.
    @inline(__always)
    static func nonce(_ counter: UInt64) -> (UInt32, UInt32, UInt32) {
        (0, UInt32(truncatingIfNeeded: counter).littleEndian, UInt32(truncatingIfNeeded: counter >> 32).littleEndian)
    }

    /// Seals `count` bytes at `buffer` in place and writes the 16-byte tag at `buffer + count`
    /// (the caller provides that tailroom). Returns false only if OpenSSL fails.
    @inline(__always)
    public func seal(counter: UInt64, buffer: UnsafeMutableRawPointer, count: Int,
                     ad: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> Bool {
        var n = ChaCha20Poly1305Context.nonce(counter)
        return withUnsafeBytes(of: &n) { nonce in
            seal(nonce: nonce, buffer: buffer, count: count, ad: ad)
        }
    }

    /// Opens `count` bytes of ciphertext followed by a 16-byte tag at `buffer`, in place. On success the
    /// first `count` bytes hold the plaintext; on failure their content is unspecified.
    @inline(__always)
    public func open(counter: UInt64, buffer: UnsafeMutableRawPointer, count: Int,
                     ad: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> Bool {
        var n = ChaCha20Poly1305Context.nonce(counter)
        return withUnsafeBytes(of: &n) { nonce in
            open(nonce: nonce, buffer: buffer, count: count, ad: ad)
        }
    }

    /// `seal` with an arbitrary 12-byte nonce (RFC vectors, XChaCha20).
    public func seal(nonce: UnsafeRawBufferPointer, buffer: UnsafeMutableRawPointer, count: Int,
                     ad: UnsafeRawBufferPointer) -> Bool {
        precondition(nonce.count == 12)
        let b = buffer.assumingMemoryBound(to: UInt8.self)
        return wg_aead_seal(ctx, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            ad.baseAddress?.assumingMemoryBound(to: UInt8.self), ad.count, b, count, b + count) == 1
    }

    /// `open` with an arbitrary 12-byte nonce.
    public func open(nonce: UnsafeRawBufferPointer, buffer: UnsafeMutableRawPointer, count: Int,
                     ad: UnsafeRawBufferPointer) -> Bool {
        precondition(nonce.count == 12)
        let b = buffer.assumingMemoryBound(to: UInt8.self)
        return wg_aead_open(ctx, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            ad.baseAddress?.assumingMemoryBound(to: UInt8.self), ad.count, b, count, b + count) == 1
    }
}

/// One-shot ChaCha20-Poly1305 for the handshake (allocating; not for the data path).
public enum ChaCha20Poly1305 {
    /// AEAD(key, counter, plaintext, ad) = ciphertext || tag.
    public static func seal(key: some BytesRepresentable, counter: UInt64 = 0, plaintext: some BytesRepresentable,
                            ad: some BytesRepresentable) -> [UInt8] {
        var n = ChaCha20Poly1305Context.nonce(counter)
        return withUnsafeBytes(of: &n) { seal(key: key, nonce: $0, plaintext: plaintext, ad: ad) }
    }

    /// Opens ciphertext || tag; nil when authentication fails.
    public static func open(key: some BytesRepresentable, counter: UInt64 = 0, ciphertext: some BytesRepresentable,
                            ad: some BytesRepresentable) -> [UInt8]? {
        var n = ChaCha20Poly1305Context.nonce(counter)
        return withUnsafeBytes(of: &n) { open(key: key, nonce: $0, ciphertext: ciphertext, ad: ad) }
    }

    /// Seal with an explicit 12-byte nonce.
    public static func seal(key: some BytesRepresentable, nonce: UnsafeRawBufferPointer,
                            plaintext: some BytesRepresentable, ad: some BytesRepresentable) -> [UInt8] {
        guard let ctx = ChaCha20Poly1305Context(key: key, sealing: true) else { fatalError("invalid AEAD key") }
        var out = plaintext.withBytes { Array($0) }
        let count = out.count
        out.append(contentsOf: repeatElement(0, count: 16))
        let ok = out.withUnsafeMutableBytes { buf in
            ad.withBytes { ctx.seal(nonce: nonce, buffer: buf.baseAddress!, count: count, ad: $0) }
        }
        precondition(ok, "ChaCha20-Poly1305 seal failed")
        return out
    }

    /// Open with an explicit 12-byte nonce.
    public static func open(key: some BytesRepresentable, nonce: UnsafeRawBufferPointer,
                            ciphertext: some BytesRepresentable, ad: some BytesRepresentable) -> [UInt8]? {
        guard let ctx = ChaCha20Poly1305Context(key: key, sealing: false) else { return nil }
        var buf = ciphertext.withBytes { Array($0) }
        guard buf.count >= 16 else { return nil }
        let count = buf.count - 16
        let ok = buf.withUnsafeMutableBytes { b in
            ad.withBytes { ctx.open(nonce: nonce, buffer: b.baseAddress!, count: count, ad: $0) }
        }
        guard ok else { return nil }
        buf.removeLast(16)
        return buf
    }
}
