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
        var keyed = Keyed(key: key, eagerInnerPad: a.count + b.count > 0)
        keyed.authenticate(a, b, into: out)
        keyed.wipe()
    }

    /// A key with its inner and outer pad blocks absorbed: HMAC under the same key again costs two
    /// compressions fewer (WireGuard's KDF takes two or three HMACs under its PRK).
    struct Keyed {
        private var inner = Blake2s(), outer = Blake2s()

        /// `eagerInnerPad` compresses the ipad block at once; only valid when every message to
        /// authenticate is non-empty (an empty one makes ipad the final block, compressed differently).
        init(key: UnsafeRawBufferPointer, eagerInnerPad: Bool = true) {
            let block = Blake2s.blockSize
            // The pads are XORed a word at a time on the stack. (XORing SIMD64<UInt8> values compiled to a
            // byte loop through memory with a store-forwarding stall per byte: a tenth of a handshake.)
            withUnsafeTemporaryAllocation(byteCount: 2 * block, alignment: 16) { scratch in
                let ipad = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<block])
                let opad = UnsafeMutableRawBufferPointer(rebasing: scratch[block...])
                ipad.initializeMemory(as: UInt8.self, repeating: 0)
                if key.count > block {
                    var s = Blake2s()
                    s.update(key)
                    s.finalize(into: ipad)
                    HMACBlake2s.wipe(&s)
                } else if key.count > 0 {
                    ipad.copyMemory(from: key)
                }
                for i in stride(from: 0, to: block, by: 8) {
                    let k = ipad.load(fromByteOffset: i, as: UInt64.self)
                    ipad.storeBytes(of: k ^ 0x3636_3636_3636_3636, toByteOffset: i, as: UInt64.self)
                    opad.storeBytes(of: k ^ 0x5C5C_5C5C_5C5C_5C5C, toByteOffset: i, as: UInt64.self)
                }
                if eagerInnerPad { inner.absorbLeadingBlock(ipad.baseAddress!) } else { inner.update(UnsafeRawBufferPointer(ipad)) }
                outer.absorbLeadingBlock(opad.baseAddress!)  // the 32-byte inner digest always follows
                Secret.wipe(scratch)
            }
        }

        /// HMAC(key, a || b) into `out` (32 bytes); may alias `a` or `b`.
        func authenticate(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
            precondition(out.count >= outputSize)
            var i = inner, o = outer
            withUnsafeTemporaryAllocation(byteCount: outputSize, alignment: 16) { digest in
                i.update(a)
                i.update(b)
                i.finalize(into: digest)
                o.update(UnsafeRawBufferPointer(digest))
                o.finalize(into: out)
                Secret.wipe(digest)
            }
            HMACBlake2s.wipe(&i)
            HMACBlake2s.wipe(&o)
        }

        mutating func wipe() {
            HMACBlake2s.wipe(&inner)
            HMACBlake2s.wipe(&outer)
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
            var t0 = HMACBlake2s.Keyed(key: UnsafeRawBufferPointer(prk))  // every message below is non-empty
            Secret.wipe(prk)
            var label: UInt8 = 1
            let none = UnsafeRawBufferPointer(start: nil, count: 0)
            withUnsafeBytes(of: &label) { t0.authenticate($0, none, into: t1) }
            if let t2 {
                label = 2
                withUnsafeBytes(of: &label) { t0.authenticate(UnsafeRawBufferPointer(t1), $0, into: t2) }
                if let t3 {
                    label = 3
                    withUnsafeBytes(of: &label) { t0.authenticate(UnsafeRawBufferPointer(t2), $0, into: t3) }
                }
            }
            t0.wipe()
        }
    }

    /// Returns `count` (1...3) 32-byte outputs.
    public static func derive(_ count: Int, key: some BytesRepresentable, input: some BytesRepresentable) -> [Secret] {
        precondition((1...3).contains(count))
        return withUnsafeTemporaryAllocation(byteCount: 3 * outputSize, alignment: 16) { out in
            let t = (0..<3).map { UnsafeMutableRawBufferPointer(rebasing: out[($0 * outputSize)..<(($0 + 1) * outputSize)]) }
            key.withBytes { k in
                input.withBytes { i in derive(key: k, input: i, into: t[0], count > 1 ? t[1] : nil, count > 2 ? t[2] : nil) }
            }
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
