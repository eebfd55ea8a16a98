// SPDX-License-Identifier: MIT
// BLAKE2s (RFC 7693): unkeyed and keyed, digest lengths 1...32. WireGuard uses it as HASH (32 bytes,
// unkeyed) and as MAC (keyed, 16 bytes: the digest length is part of the parameter block, so this is not a
// truncated 32-byte hash).

/// An incremental BLAKE2s computation. A value type with no heap storage.
public struct Blake2s {
    /// Block size and maximum digest (and key) length in bytes.
    public static let blockSize = 64, maxOutputLength = 32

    private static let iv = SIMD8<UInt32>(
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19)

    private var h: SIMD8<UInt32>
    private var counter: UInt64 = 0
    private var block = SIMD64<UInt8>()
    private var blockCount = 0
    /// Digest length in bytes (1...32).
    public let outputLength: Int

    /// Starts a hash of `outputLength` bytes, keyed when `key` is non-empty (at most 32 bytes).
    public init(outputLength: Int = 32, key: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        precondition((1...Blake2s.maxOutputLength).contains(outputLength) && key.count <= Blake2s.maxOutputLength,
                     "invalid BLAKE2s parameters")
        self.outputLength = outputLength
        h = Blake2s.iv
        h[0] ^= 0x0101_0000 ^ (UInt32(key.count) << 8) ^ UInt32(outputLength)
        if key.count > 0 {
            withUnsafeMutableBytes(of: &block) { $0.copyMemory(from: key) }
            blockCount = Blake2s.blockSize
        }
    }

    /// `init` with a key taken from any byte holder.
    public init(outputLength: Int = 32, key: some BytesRepresentable) {
        self = key.withBytes { Blake2s(outputLength: outputLength, key: $0) }
    }

    /// Absorbs `data`.
    public mutating func update(_ data: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < data.count {
            if blockCount == Blake2s.blockSize {
                // Only compress a full buffer once more input arrives: the last block is special.
                counter &+= UInt64(Blake2s.blockSize)
                withUnsafeBytes(of: block) { compress($0.baseAddress!, last: false) }
                blockCount = 0
            }
            let n = min(Blake2s.blockSize - blockCount, data.count - offset)
            withUnsafeMutableBytes(of: &block) { dst in
                (dst.baseAddress! + blockCount).copyMemory(from: data.baseAddress! + offset, byteCount: n)
            }
            blockCount += n
            offset += n
        }
    }

    /// Absorbs one 64-byte block at the start of an unkeyed hash and compresses it at once, as a non-final
    /// block. Only for callers that absorb more input afterwards (HMAC's pad blocks), so that they can keep
    /// and copy the state after the block.
    mutating func absorbLeadingBlock(_ data: UnsafeRawPointer) {
        precondition(counter == 0 && blockCount == 0, "a leading block starts the hash")
        counter = UInt64(Blake2s.blockSize)
        compress(data, last: false)
    }

    /// Compresses the key block of a keyed hash at once, as a non-final block, so that the state can be kept
    /// and copied for every message under one key (MAC1 of each handshake message, the cookie of each
    /// source). Only for callers that absorb at least one more byte afterwards.
    public mutating func absorbKeyBlock() {
        precondition(counter == 0 && blockCount == Blake2s.blockSize, "a keyed hash with nothing absorbed yet")
        counter = UInt64(Blake2s.blockSize)
        withUnsafeBytes(of: block) { compress($0.baseAddress!, last: false) }
        block = SIMD64<UInt8>()
        blockCount = 0
    }

    /// Absorbs the bytes of any byte holder.
    public mutating func update(_ data: some BytesRepresentable) {
        data.withBytes { update($0) }
    }

    /// Writes the digest into `out` (at least `outputLength` bytes) and wipes the buffered input.
    public mutating func finalize(into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= outputLength)
        counter &+= UInt64(blockCount)
        withUnsafeMutableBytes(of: &block) { buf in
            let tail = UnsafeMutableRawBufferPointer(rebasing: buf[blockCount...])
            tail.initializeMemory(as: UInt8.self, repeating: 0)
        }
        withUnsafeBytes(of: block) { compress($0.baseAddress!, last: true) }
        withUnsafeBytes(of: h) { src in  // little-endian host
            out.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: outputLength)
        }
        block = SIMD64<UInt8>()
    }

    /// The digest as an array.
    public mutating func finalize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: outputLength) { buf, n in
            finalize(into: UnsafeMutableRawBufferPointer(buf))
            n = outputLength
        }
    }

    @inline(__always)
    private static func g(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32, _ x: UInt32, _ y: UInt32) {
        a = a &+ b &+ x
        d = (d ^ a).rotateRight(16)
        c = c &+ d
        b = (b ^ c).rotateRight(12)
        a = a &+ b &+ y
        d = (d ^ a).rotateRight(8)
        c = c &+ d
        b = (b ^ c).rotateRight(7)
    }

    /// The compression function F. The ten rounds are written out with the message schedule (RFC 7693
    /// sigma) as literal word names, so the words stay in registers: a table-driven loop indexing a
    /// SIMD16 through an array of arrays cost three times as many instructions per block.
    private mutating func compress(_ p: UnsafeRawPointer, last: Bool) {
        @inline(__always) func word(_ i: Int) -> UInt32 {
            UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
        }
        let m0 = word(0), m1 = word(1), m2 = word(2), m3 = word(3), m4 = word(4), m5 = word(5), m6 = word(6), m7 = word(7)
        let m8 = word(8), m9 = word(9), m10 = word(10), m11 = word(11), m12 = word(12), m13 = word(13), m14 = word(14)
        let m15 = word(15)
        let g = Blake2s.g
        var v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7]
        var v8 = Blake2s.iv[0], v9 = Blake2s.iv[1], v10 = Blake2s.iv[2], v11 = Blake2s.iv[3]
        var v12 = Blake2s.iv[4] ^ UInt32(truncatingIfNeeded: counter)
        var v13 = Blake2s.iv[5] ^ UInt32(truncatingIfNeeded: counter >> 32)
        var v14 = last ? ~Blake2s.iv[6] : Blake2s.iv[6]
        var v15 = Blake2s.iv[7]
        // Round 0: sigma[0] = 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
        g(&v0, &v4, &v8, &v12, m0, m1); g(&v1, &v5, &v9, &v13, m2, m3)
        g(&v2, &v6, &v10, &v14, m4, m5); g(&v3, &v7, &v11, &v15, m6, m7)
        g(&v0, &v5, &v10, &v15, m8, m9); g(&v1, &v6, &v11, &v12, m10, m11)
        g(&v2, &v7, &v8, &v13, m12, m13); g(&v3, &v4, &v9, &v14, m14, m15)
        // Round 1: sigma[1] = 14 10 4 8 9 15 13 6 1 12 0 2 11 7 5 3
        g(&v0, &v4, &v8, &v12, m14, m10); g(&v1, &v5, &v9, &v13, m4, m8)
        g(&v2, &v6, &v10, &v14, m9, m15); g(&v3, &v7, &v11, &v15, m13, m6)
        g(&v0, &v5, &v10, &v15, m1, m12); g(&v1, &v6, &v11, &v12, m0, m2)
        g(&v2, &v7, &v8, &v13, m11, m7); g(&v3, &v4, &v9, &v14, m5, m3)
        // Round 2: sigma[2] = 11 8 12 0 5 2 15 13 10 14 3 6 7 1 9 4
        g(&v0, &v4, &v8, &v12, m11, m8); g(&v1, &v5, &v9, &v13, m12, m0)
        g(&v2, &v6, &v10, &v14, m5, m2); g(&v3, &v7, &v11, &v15, m15, m13)
        g(&v0, &v5, &v10, &v15, m10, m14); g(&v1, &v6, &v11, &v12, m3, m6)
        g(&v2, &v7, &v8, &v13, m7, m1); g(&v3, &v4, &v9, &v14, m9, m4)
        // Round 3: sigma[3] = 7 9 3 1 13 12 11 14 2 6 5 10 4 0 15 8
        g(&v0, &v4, &v8, &v12, m7, m9); g(&v1, &v5, &v9, &v13, m3, m1)
        g(&v2, &v6, &v10, &v14, m13, m12); g(&v3, &v7, &v11, &v15, m11, m14)
        g(&v0, &v5, &v10, &v15, m2, m6); g(&v1, &v6, &v11, &v12, m5, m10)
        g(&v2, &v7, &v8, &v13, m4, m0); g(&v3, &v4, &v9, &v14, m15, m8)
        // Round 4: sigma[4] = 9 0 5 7 2 4 10 15 14 1 11 12 6 8 3 13
        g(&v0, &v4, &v8, &v12, m9, m0); g(&v1, &v5, &v9, &v13, m5, m7)
        g(&v2, &v6, &v10, &v14, m2, m4); g(&v3, &v7, &v11, &v15, m10, m15)
        g(&v0, &v5, &v10, &v15, m14, m1); g(&v1, &v6, &v11, &v12, m11, m12)
        g(&v2, &v7, &v8, &v13, m6, m8); g(&v3, &v4, &v9, &v14, m3, m13)
        // Round 5: sigma[5] = 2 12 6 10 0 11 8 3 4 13 7 5 15 14 1 9
        g(&v0, &v4, &v8, &v12, m2, m12); g(&v1, &v5, &v9, &v13, m6, m10)
        g(&v2, &v6, &v10, &v14, m0, m11); g(&v3, &v7, &v11, &v15, m8, m3)
        g(&v0, &v5, &v10, &v15, m4, m13); g(&v1, &v6, &v11, &v12, m7, m5)
        g(&v2, &v7, &v8, &v13, m15, m14); g(&v3, &v4, &v9, &v14, m1, m9)
        // Round 6: sigma[6] = 12 5 1 15 14 13 4 10 0 7 6 3 9 2 8 11
        g(&v0, &v4, &v8, &v12, m12, m5); g(&v1, &v5, &v9, &v13, m1, m15)
        g(&v2, &v6, &v10, &v14, m14, m13); g(&v3, &v7, &v11, &v15, m4, m10)
        g(&v0, &v5, &v10, &v15, m0, m7); g(&v1, &v6, &v11, &v12, m6, m3)
        g(&v2, &v7, &v8, &v13, m9, m2); g(&v3, &v4, &v9, &v14, m8, m11)
        // Round 7: sigma[7] = 13 11 7 14 12 1 3 9 5 0 15 4 8 6 2 10
        g(&v0, &v4, &v8, &v12, m13, m11); g(&v1, &v5, &v9, &v13, m7, m14)
        g(&v2, &v6, &v10, &v14, m12, m1); g(&v3, &v7, &v11, &v15, m3, m9)
        g(&v0, &v5, &v10, &v15, m5, m0); g(&v1, &v6, &v11, &v12, m15, m4)
        g(&v2, &v7, &v8, &v13, m8, m6); g(&v3, &v4, &v9, &v14, m2, m10)
        // Round 8: sigma[8] = 6 15 14 9 11 3 0 8 12 2 13 7 1 4 10 5
        g(&v0, &v4, &v8, &v12, m6, m15); g(&v1, &v5, &v9, &v13, m14, m9)
        g(&v2, &v6, &v10, &v14, m11, m3); g(&v3, &v7, &v11, &v15, m0, m8)
        g(&v0, &v5, &v10, &v15, m12, m2); g(&v1, &v6, &v11, &v12, m13, m7)
        g(&v2, &v7, &v8, &v13, m1, m4); g(&v3, &v4, &v9, &v14, m10, m5)
        // Round 9: sigma[9] = 10 2 8 4 7 6 1 5 15 11 9 14 3 12 13 0
        g(&v0, &v4, &v8, &v12, m10, m2); g(&v1, &v5, &v9, &v13, m8, m4)
        g(&v2, &v6, &v10, &v14, m7, m6); g(&v3, &v7, &v11, &v15, m1, m5)
        g(&v0, &v5, &v10, &v15, m15, m11); g(&v1, &v6, &v11, &v12, m9, m14)
        g(&v2, &v7, &v8, &v13, m3, m12); g(&v3, &v4, &v9, &v14, m13, m0)
        h[0] ^= v0 ^ v8
        h[1] ^= v1 ^ v9
        h[2] ^= v2 ^ v10
        h[3] ^= v3 ^ v11
        h[4] ^= v4 ^ v12
        h[5] ^= v5 ^ v13
        h[6] ^= v6 ^ v14
        h[7] ^= v7 ^ v15
    }
}

extension Blake2s {
    /// HASH(a): unkeyed BLAKE2s-256. Non-variadic so that it allocates nothing.
    public static func hash(_ a: some BytesRepresentable) -> Bytes32 {
        var s = Blake2s()
        s.update(a)
        return Bytes32 { s.finalize(into: $0) }
    }

    /// HASH(a || b) without allocating (the handshake's MixHash).
    public static func hash(_ a: some BytesRepresentable, _ b: some BytesRepresentable) -> Bytes32 {
        var s = Blake2s()
        s.update(a)
        s.update(b)
        return Bytes32 { s.finalize(into: $0) }
    }

    /// HASH(parts[0] || parts[1] || ...): unkeyed BLAKE2s-256 of the concatenation.
    public static func hash(_ parts: any BytesRepresentable...) -> Bytes32 {
        var s = Blake2s()
        for part in parts { s.update(part) }
        return Bytes32 { s.finalize(into: $0) }
    }

    /// MAC(key, data): keyed BLAKE2s with a 16-byte digest.
    public static func mac(key: some BytesRepresentable, _ parts: any BytesRepresentable...) -> [UInt8] {
        var s = Blake2s(outputLength: 16, key: key)
        for part in parts { s.update(part) }
        return s.finalize()
    }
}

extension UInt32 {
    @inline(__always)
    func rotateRight(_ n: UInt32) -> UInt32 { (self >> n) | (self << (32 - n)) }
}
