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
    public convenience init?(key: some BytesRepresentable, sealing: Bool) {
        self.init(key: key, sealing: sealing, throughEVP: false)
    }

    /// `init(key:sealing:)`, optionally forcing OpenSSL's EVP_Cipher* calls rather than the provider's own
    /// functions (tests check that both give the same bytes).
    init?(key: some BytesRepresentable, sealing: Bool, throughEVP: Bool) {
        guard let c = key.withBytes({ k -> OpaquePointer? in
            guard k.count == ChaCha20Poly1305.keySize else { return nil }
            return wg_aead_new_backend(k.baseAddress!.assumingMemoryBound(to: UInt8.self), sealing ? 1 : 0,
                                       throughEVP ? 1 : 0)
        }) else { return nil }
        ctx = c
        isSealing = sealing
    }

    deinit { wg_aead_free(ctx) }

    /// True when contexts call the OpenSSL provider's ChaCha20-Poly1305 functions directly (the fast path),
    /// false when they go through EVP.
    public static var usesProviderDispatch: Bool { wg_aead_uses_provider_dispatch() == 1 }

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
        let b = buffer.assumingMemoryBound(to: UInt8.self)
        // The transport path (no AD) builds the nonce in C: no closure, no nonce buffer on the Swift side.
        if ad.isEmpty { return wg_aead_seal_counter(ctx, counter, b, count) == 1 }
        var n = ChaCha20Poly1305Context.nonce(counter)
        return withUnsafeBytes(of: &n) { seal(nonce: $0, buffer: buffer, count: count, ad: ad) }
    }

    /// Opens `count` bytes of ciphertext followed by a 16-byte tag at `buffer`, in place. On success the
    /// first `count` bytes hold the plaintext; on failure their content is unspecified.
    @inline(__always)
    public func open(counter: UInt64, buffer: UnsafeMutableRawPointer, count: Int,
                     ad: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> Bool {
        let b = buffer.assumingMemoryBound(to: UInt8.self)
        if ad.isEmpty { return wg_aead_open_counter(ctx, counter, b, count) == 1 }
        var n = ChaCha20Poly1305Context.nonce(counter)
        return withUnsafeBytes(of: &n) { open(nonce: $0, buffer: buffer, count: count, ad: ad) }
    }

    /// `seal` with an arbitrary 12-byte nonce (RFC vectors, XChaCha20).
    public func seal(nonce: UnsafeRawBufferPointer, buffer: UnsafeMutableRawPointer, count: Int,
                     ad: UnsafeRawBufferPointer) -> Bool {
        precondition(nonce.count == ChaCha20Poly1305.nonceSize)
        let b = buffer.assumingMemoryBound(to: UInt8.self)
        return wg_aead_seal(ctx, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            ad.baseAddress?.assumingMemoryBound(to: UInt8.self), ad.count, b, count, b + count) == 1
    }

    /// `open` with an arbitrary 12-byte nonce.
    public func open(nonce: UnsafeRawBufferPointer, buffer: UnsafeMutableRawPointer, count: Int,
                     ad: UnsafeRawBufferPointer) -> Bool {
        precondition(nonce.count == ChaCha20Poly1305.nonceSize)
        let b = buffer.assumingMemoryBound(to: UInt8.self)
        return wg_aead_open(ctx, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            ad.baseAddress?.assumingMemoryBound(to: UInt8.self), ad.count, b, count, b + count) == 1
    }
}

/// One-shot ChaCha20-Poly1305 for the handshake and cookies. The in-place forms allocate nothing (OpenSSL
/// reuses one wiped context per thread); the array forms allocate only their result.
public enum ChaCha20Poly1305 {
    /// Key, nonce and tag sizes in bytes.
    public static let keySize = 32, nonceSize = 12, tagSize = 16

    /// Seals `count` bytes at `buffer` in place under `key` and a WireGuard counter nonce, writing the tag at
    /// `buffer + count` (the caller provides the tailroom). False if the key is not 32 bytes.
    public static func seal(key: some BytesRepresentable, counter: UInt64 = 0, buffer: UnsafeMutableRawPointer,
                            count: Int, ad: some BytesRepresentable) -> Bool {
        var n = ChaCha20Poly1305Context.nonce(counter)
        return withUnsafeBytes(of: &n) { seal(key: key, nonce: $0, buffer: buffer, count: count, ad: ad) }
    }

    /// Opens `count` bytes of ciphertext followed by its tag at `buffer`, in place. False when the tag does
    /// not verify (the bytes are then unspecified) or the key is not 32 bytes.
    public static func open(key: some BytesRepresentable, counter: UInt64 = 0, buffer: UnsafeMutableRawPointer,
                            count: Int, ad: some BytesRepresentable) -> Bool {
        var n = ChaCha20Poly1305Context.nonce(counter)
        return withUnsafeBytes(of: &n) { open(key: key, nonce: $0, buffer: buffer, count: count, ad: ad) }
    }

    /// In-place seal with an explicit 12-byte nonce.
    public static func seal(key: some BytesRepresentable, nonce: UnsafeRawBufferPointer, buffer: UnsafeMutableRawPointer,
                            count: Int, ad: some BytesRepresentable) -> Bool {
        run(key: key, nonce: nonce, ad: ad) { k, n, a in
            let b = buffer.assumingMemoryBound(to: UInt8.self)
            return wg_aead_seal_once(k, n, a.baseAddress?.assumingMemoryBound(to: UInt8.self), a.count, b, count, b + count)
        }
    }

    /// In-place open with an explicit 12-byte nonce.
    public static func open(key: some BytesRepresentable, nonce: UnsafeRawBufferPointer, buffer: UnsafeMutableRawPointer,
                            count: Int, ad: some BytesRepresentable) -> Bool {
        run(key: key, nonce: nonce, ad: ad) { k, n, a in
            let b = buffer.assumingMemoryBound(to: UInt8.self)
            return wg_aead_open_once(k, n, a.baseAddress?.assumingMemoryBound(to: UInt8.self), a.count, b, count, b + count)
        }
    }

    private static func run(key: some BytesRepresentable, nonce: UnsafeRawBufferPointer, ad: some BytesRepresentable,
                            _ body: (UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafeRawBufferPointer) -> Int32) -> Bool {
        precondition(nonce.count == nonceSize)
        return key.withBytes { k in
            guard k.count == keySize else { return false }
            return ad.withBytes { a in
                body(k.baseAddress!.assumingMemoryBound(to: UInt8.self),
                     nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), a) == 1
            }
        }
    }

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
        let count = plaintext.withBytes { $0.count }
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: count + tagSize) { buf, n in
            plaintext.withBytes { p in if count > 0 { UnsafeMutableRawBufferPointer(buf).copyMemory(from: p) } }
            ok = seal(key: key, nonce: nonce, buffer: buf.baseAddress!, count: count, ad: ad)
            n = count + tagSize
        }
        precondition(ok, "ChaCha20-Poly1305 seal failed (invalid key?)")
        return out
    }

    /// Open with an explicit 12-byte nonce.
    public static func open(key: some BytesRepresentable, nonce: UnsafeRawBufferPointer,
                            ciphertext: some BytesRepresentable, ad: some BytesRepresentable) -> [UInt8]? {
        var buf = ciphertext.withBytes { Array($0) }
        guard buf.count >= tagSize else { return nil }
        let count = buf.count - tagSize
        let ok = buf.withUnsafeMutableBytes { b in open(key: key, nonce: nonce, buffer: b.baseAddress!, count: count, ad: ad) }
        guard ok else { return nil }
        buf.removeLast(tagSize)
        return buf
    }
}

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
