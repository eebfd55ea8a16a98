// SPDX-License-Identifier: MIT
// HMAC (RFC 2104) over unkeyed BLAKE2s-256 with a 64-byte block, and WireGuard's KDF built on it. The
// buffer forms allocate nothing and wipe their intermediate values; the `Secret` forms wrap them.

/// HMAC-BLAKE2s as WireGuard defines it (not BLAKE2's own keyed mode).
public enum HMACBlake2s {
    /// Output size in bytes.
    public static let outputSize = 32
    private static var empty: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    /// HMAC(key, a || b) into `out` (at least 32 bytes). `out` may alias `key`, `a` or `b`: every input is
    /// read before the output is written.
    public static func authenticate(key: UnsafeRawBufferPointer, _ a: UnsafeRawBufferPointer,
                                    _ b: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
                                    into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= outputSize)
        let block = Blake2s.blockSize
        // ipad block, opad block, inner digest: on the stack, XORed a word at a time. (XORing SIMD64<UInt8>
        // values compiled to a byte loop through memory with a store-forwarding stall per byte, which made
        // this function a tenth of a whole handshake's time.)
        withUnsafeTemporaryAllocation(byteCount: 2 * block + outputSize, alignment: 16) { scratch in
            let ipad = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<block])
            let opad = UnsafeMutableRawBufferPointer(rebasing: scratch[block..<(2 * block)])
            let digest = UnsafeMutableRawBufferPointer(rebasing: scratch[(2 * block)...])
            ipad.initializeMemory(as: UInt8.self, repeating: 0)
            if key.count > block {
                var s = Blake2s()
                s.update(key)
                s.finalize(into: ipad)
                wipe(&s)
            } else if key.count > 0 {
                ipad.copyMemory(from: key)
            }
            for i in stride(from: 0, to: block, by: 8) {
                let k = ipad.load(fromByteOffset: i, as: UInt64.self)
                ipad.storeBytes(of: k ^ 0x3636_3636_3636_3636, toByteOffset: i, as: UInt64.self)
                opad.storeBytes(of: k ^ 0x5C5C_5C5C_5C5C_5C5C, toByteOffset: i, as: UInt64.self)
            }
            var inner = Blake2s()
            inner.update(UnsafeRawBufferPointer(ipad))
            inner.update(a)
            inner.update(b)
            inner.finalize(into: digest)
            var outer = Blake2s()
            outer.update(UnsafeRawBufferPointer(opad))
            outer.update(UnsafeRawBufferPointer(digest))
            outer.finalize(into: out)
            Secret.wipe(scratch)
            wipe(&inner)
            wipe(&outer)
        }
    }

    /// Zeroes a value's bytes in a way the optimiser keeps.
    @inline(__always)
    static func wipe<T>(_ value: inout T) {
        withUnsafeMutableBytes(of: &value) { Secret.wipe($0) }
    }

    /// HMAC(key, parts[0] || parts[1] || ...) into a 32-byte secret (at most two parts).
    public static func authenticate(key: UnsafeRawBufferPointer, _ parts: [UnsafeRawBufferPointer]) -> Secret {
        precondition(parts.count <= 2, "HMACBlake2s takes at most two parts")
        return Secret(count: outputSize) { out in
            authenticate(key: key, parts.first ?? empty, parts.count > 1 ? parts[1] : empty, into: out)
        }
    }

    /// HMAC over any two byte holders.
    public static func authenticate(key: some BytesRepresentable, _ data: some BytesRepresentable) -> Secret {
        key.withBytes { k in data.withBytes { d in Secret(count: outputSize) { authenticate(key: k, d, into: $0) } } }
    }
}

/// WireGuard's HKDF: `t0 = HMAC(key, input)`, `t_i = HMAC(t0, t_{i-1} || i)`. The PRK `t0` is wiped.
public enum KDF {
    /// Size of each output in bytes.
    public static let outputSize = 32

    /// KDF_n into caller buffers (32 bytes each): `t1`, then `t2` and `t3` when given (n = 1, 2, 3).
    /// Allocates nothing. `t1` may alias `key` or `input` (both are consumed before any output is written);
    /// the outputs must not alias each other.
    public static func derive(key: UnsafeRawBufferPointer, input: UnsafeRawBufferPointer, into t1: UnsafeMutableRawBufferPointer,
                              _ t2: UnsafeMutableRawBufferPointer? = nil, _ t3: UnsafeMutableRawBufferPointer? = nil) {
        precondition(t3 == nil || t2 != nil, "KDF outputs are filled in order")
        withUnsafeTemporaryAllocation(byteCount: outputSize, alignment: 16) { prk in
            HMACBlake2s.authenticate(key: key, input, into: prk)
            let t0 = UnsafeRawBufferPointer(prk)
            var label: UInt8 = 1
            withUnsafeBytes(of: &label) { HMACBlake2s.authenticate(key: t0, $0, into: t1) }
            if let t2 {
                label = 2
                withUnsafeBytes(of: &label) { HMACBlake2s.authenticate(key: t0, UnsafeRawBufferPointer(t1), $0, into: t2) }
                if let t3 {
                    label = 3
                    withUnsafeBytes(of: &label) { HMACBlake2s.authenticate(key: t0, UnsafeRawBufferPointer(t2), $0, into: t3) }
                }
            }
            Secret.wipe(prk)
        }
    }

    /// Returns `count` (1...3) 32-byte outputs.
    public static func derive(_ count: Int, key: some BytesRepresentable, input: some BytesRepresentable) -> [Secret] {
        precondition((1...3).contains(count))
        return withUnsafeTemporaryAllocation(byteCount: 3 * outputSize, alignment: 16) { out in
            let t = (0..<3).map { UnsafeMutableRawBufferPointer(rebasing: out[($0 * outputSize)..<(($0 + 1) * outputSize)]) }
            key.withBytes { k in input.withBytes { i in derive(key: k, input: i, into: t[0], count > 1 ? t[1] : nil, count > 2 ? t[2] : nil) } }
            let secrets = (0..<count).map { Secret(UnsafeRawBufferPointer(t[$0])) }
            Secret.wipe(out)
            return secrets
        }
    }

    /// KDF1(key, input).
    public static func kdf1(key: some BytesRepresentable, input: some BytesRepresentable) -> Secret {
        derive(1, key: key, input: input)[0]
    }

    /// KDF2(key, input).
    public static func kdf2(key: some BytesRepresentable, input: some BytesRepresentable) -> (Secret, Secret) {
        let o = derive(2, key: key, input: input)
        return (o[0], o[1])
    }

    /// KDF3(key, input).
    public static func kdf3(key: some BytesRepresentable, input: some BytesRepresentable) -> (Secret, Secret, Secret) {
        let o = derive(3, key: key, input: input)
        return (o[0], o[1], o[2])
    }
}
