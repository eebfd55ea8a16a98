// SPDX-License-Identifier: MIT
// HMAC (RFC 2104) over unkeyed BLAKE2s-256 with a 64-byte block, and WireGuard's KDF built on it.

/// HMAC-BLAKE2s as WireGuard defines it (not BLAKE2's own keyed mode).
public enum HMACBlake2s {
    /// HMAC(key, data) into a 32-byte secret.
    public static func authenticate(key: UnsafeRawBufferPointer, _ parts: [UnsafeRawBufferPointer]) -> Secret {
        var block = SIMD64<UInt8>()
        defer { block = SIMD64<UInt8>() }
        withUnsafeMutableBytes(of: &block) { b in
            if key.count > 64 {
                var s = Blake2s()
                s.update(key)
                s.finalize(into: b)
            } else {
                b.copyMemory(from: key)
            }
        }
        var ipad = block ^ SIMD64<UInt8>(repeating: 0x36)
        var opad = block ^ SIMD64<UInt8>(repeating: 0x5C)
        var innerDigest = SIMD32<UInt8>()
        defer {
            ipad = SIMD64<UInt8>()
            opad = SIMD64<UInt8>()
            innerDigest = SIMD32<UInt8>()
        }
        var inner = Blake2s()
        withUnsafeBytes(of: ipad) { inner.update($0) }
        for part in parts { inner.update(part) }
        withUnsafeMutableBytes(of: &innerDigest) { inner.finalize(into: $0) }
        var outer = Blake2s()
        withUnsafeBytes(of: opad) { outer.update($0) }
        withUnsafeBytes(of: innerDigest) { outer.update($0) }
        return Secret(count: 32) { outer.finalize(into: $0) }
    }

    /// HMAC over any two byte holders.
    public static func authenticate(key: some BytesRepresentable, _ data: some BytesRepresentable) -> Secret {
        key.withBytes { k in data.withBytes { d in authenticate(key: k, [d]) } }
    }
}

/// WireGuard's HKDF: `t0 = HMAC(key, input)`, `t_i = HMAC(t0, t_{i-1} || i)`. The PRK `t0` is wiped.
public enum KDF {
    /// Returns `count` (1...3) 32-byte outputs.
    public static func derive(_ count: Int, key: some BytesRepresentable, input: some BytesRepresentable) -> [Secret] {
        precondition((1...3).contains(count))
        let prk = HMACBlake2s.authenticate(key: key, input)
        var outputs: [Secret] = []
        outputs.reserveCapacity(count)
        prk.withBytes { prkBytes in
            for i in 1...count {
                var label = UInt8(i)
                let next: Secret = withUnsafeBytes(of: &label) { labelBytes in
                    if let previous = outputs.last {
                        return previous.withBytes { HMACBlake2s.authenticate(key: prkBytes, [$0, labelBytes]) }
                    }
                    return HMACBlake2s.authenticate(key: prkBytes, [labelBytes])
                }
                outputs.append(next)
            }
        }
        return outputs
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
