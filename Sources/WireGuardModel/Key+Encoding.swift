// SPDX-License-Identifier: MIT
// Base64 (config files, `wg`) and lowercase hex (UAPI) for 32-byte keys.

import WireGuardCrypto

/// Encoders and strict decoders for 32-byte keys, with the rules of wireguard-tools' `key_from_base64`
/// (exactly 44 characters ending in `=`) and of UAPI hex (exactly 64 hex digits).
public enum KeyEncoding {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding.
    public static func base64(_ bytes: some BytesRepresentable) -> String {
        bytes.withBytes { src in
            var out: [UInt8] = []
            out.reserveCapacity((src.count + 2) / 3 * 4)
            var i = 0
            while i < src.count {
                let b0 = UInt32(src[i])
                let b1 = i + 1 < src.count ? UInt32(src[i + 1]) : 0
                let b2 = i + 2 < src.count ? UInt32(src[i + 2]) : 0
                let v = b0 << 16 | b1 << 8 | b2
                out.append(alphabet[Int(v >> 18 & 63)])
                out.append(alphabet[Int(v >> 12 & 63)])
                out.append(i + 1 < src.count ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
                out.append(i + 2 < src.count ? alphabet[Int(v & 63)] : UInt8(ascii: "="))
                i += 3
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    private static func sextet(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(c - UInt8(ascii: "a") + 26)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0") + 52)
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }

    /// Decodes a 32-byte key from its 44-character base64 form; nil for anything else, including
    /// non-canonical trailing bits.
    public static func key(base64 text: String) -> [UInt8]? {
        let c = Array(text.utf8)
        guard c.count == 44, c[43] == UInt8(ascii: "=") else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for group in 0..<11 {
            var v: UInt32 = 0
            let count = group == 10 ? 3 : 4
            for j in 0..<count {
                guard let s = sextet(c[group * 4 + j]) else { return nil }
                v = v << 6 | s
            }
            if group == 10 {
                guard v & 3 == 0 else { return nil }
                v >>= 2
                out.append(UInt8(v >> 8 & 0xFF)); out.append(UInt8(v & 0xFF))
            } else {
                out.append(UInt8(v >> 16 & 0xFF)); out.append(UInt8(v >> 8 & 0xFF)); out.append(UInt8(v & 0xFF))
            }
        }
        return out
    }

    /// Lowercase hex.
    public static func hex(_ bytes: some BytesRepresentable) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return bytes.withBytes { src in
            var out: [UInt8] = []
            out.reserveCapacity(src.count * 2)
            for b in src {
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 15)])
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Decodes hex of any even length (either case); nil on a bad digit or odd length.
    public static func bytes(hex text: String) -> [UInt8]? {
        let c = Array(text.utf8)
        guard c.count % 2 == 0 else { return nil }
        func nibble(_ x: UInt8) -> UInt8? {
            switch x {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return x - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return x - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return x - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(c.count / 2)
        var i = 0
        while i < c.count {
            guard let hi = nibble(c[i]), let lo = nibble(c[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// The three 32-byte key types share their text encodings.
public protocol WireGuardKey: BytesRepresentable {
    /// Nil unless `bytes` is exactly 32 bytes long.
    init?(bytes: some BytesRepresentable)
}

extension WireGuardKey {
    /// From the 44-character base64 form used by config files and `wg`.
    public init?(base64 text: String) {
        guard let b = KeyEncoding.key(base64: text) else { return nil }
        self.init(bytes: b)
    }

    /// From the 64-digit hex form used by UAPI.
    public init?(hex text: String) {
        guard text.utf8.count == 64, let b = KeyEncoding.bytes(hex: text) else { return nil }
        self.init(bytes: b)
    }

    public var base64: String { KeyEncoding.base64(self) }
    public var hex: String { KeyEncoding.hex(self) }
}

extension PublicKey: WireGuardKey {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try raw.withBytes(body) }
}

extension PrivateKey: WireGuardKey {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try secret.withBytes(body) }
}

extension PresharedKey: WireGuardKey {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try secret.withBytes(body) }
}
