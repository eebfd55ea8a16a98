// SPDX-License-Identifier: MIT
// BLAKE2s (RFC 7693): unkeyed and keyed, digest lengths 1...32. WireGuard uses it as HASH (32 bytes,
// unkeyed) and as MAC (keyed, 16 bytes: the digest length is part of the parameter block, so this is not a
// truncated 32-byte hash).

/// An incremental BLAKE2s computation. A value type with no heap storage.
public struct Blake2s {
    private static let iv = SIMD8<UInt32>(
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19)

    private static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    private var h: SIMD8<UInt32>
    private var counter: UInt64 = 0
    private var block = SIMD64<UInt8>()
    private var blockCount = 0
    /// Digest length in bytes (1...32).
    public let outputLength: Int

    /// Starts a hash of `outputLength` bytes, keyed when `key` is non-empty (at most 32 bytes).
    public init(outputLength: Int = 32, key: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        precondition((1...32).contains(outputLength) && key.count <= 32, "invalid BLAKE2s parameters")
        self.outputLength = outputLength
        h = Blake2s.iv
        h[0] ^= 0x0101_0000 ^ (UInt32(key.count) << 8) ^ UInt32(outputLength)
        if key.count > 0 {
            withUnsafeMutableBytes(of: &block) { $0.copyMemory(from: key) }
            blockCount = 64
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
            if blockCount == 64 {
                // Only compress a full buffer once more input arrives: the last block is special.
                counter &+= 64
                withUnsafeBytes(of: block) { compress($0.baseAddress!, last: false) }
                blockCount = 0
            }
            let n = min(64 - blockCount, data.count - offset)
            withUnsafeMutableBytes(of: &block) { dst in
                (dst.baseAddress! + blockCount).copyMemory(from: data.baseAddress! + offset, byteCount: n)
            }
            blockCount += n
            offset += n
        }
    }

    /// Absorbs the bytes of any byte holder.
    public mutating func update(_ data: some BytesRepresentable) {
        data.withBytes { update($0) }
    }

    /// Writes the digest into `out` (at least `outputLength` bytes).
    public mutating func finalize(into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= outputLength)
        counter &+= UInt64(blockCount)
        withUnsafeMutableBytes(of: &block) { buf in
            for i in blockCount..<64 { buf[i] = 0 }
        }
        withUnsafeBytes(of: block) { compress($0.baseAddress!, last: true) }
        withUnsafeBytes(of: h) { src in
            for i in 0..<outputLength { out[i] = src[i] }  // little-endian host
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

    private mutating func compress(_ p: UnsafeRawPointer, last: Bool) {
        var m = SIMD16<UInt32>()
        for i in 0..<16 { m[i] = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
        var v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7]
        var v8 = Blake2s.iv[0], v9 = Blake2s.iv[1], v10 = Blake2s.iv[2], v11 = Blake2s.iv[3]
        var v12 = Blake2s.iv[4] ^ UInt32(truncatingIfNeeded: counter)
        var v13 = Blake2s.iv[5] ^ UInt32(truncatingIfNeeded: counter >> 32)
        var v14 = last ? ~Blake2s.iv[6] : Blake2s.iv[6]
        var v15 = Blake2s.iv[7]
        for r in 0..<10 {
            let s = Blake2s.sigma[r]
            Blake2s.g(&v0, &v4, &v8, &v12, m[s[0]], m[s[1]])
            Blake2s.g(&v1, &v5, &v9, &v13, m[s[2]], m[s[3]])
            Blake2s.g(&v2, &v6, &v10, &v14, m[s[4]], m[s[5]])
            Blake2s.g(&v3, &v7, &v11, &v15, m[s[6]], m[s[7]])
            Blake2s.g(&v0, &v5, &v10, &v15, m[s[8]], m[s[9]])
            Blake2s.g(&v1, &v6, &v11, &v12, m[s[10]], m[s[11]])
            Blake2s.g(&v2, &v7, &v8, &v13, m[s[12]], m[s[13]])
            Blake2s.g(&v3, &v4, &v9, &v14, m[s[14]], m[s[15]])
        }
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
