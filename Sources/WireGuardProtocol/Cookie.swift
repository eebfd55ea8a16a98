// SPDX-License-Identifier: MIT
// MAC1/MAC2 and cookie replies (whitepaper §5.4.4–5.4.7; kernel cookie.c). MAC1 proves the sender knows
// our public key; under load MAC2 proves it can receive at its source address, via a cookie we minted
// from a secret that rotates every two minutes.

import WireGuardCrypto
import WireGuardModel

let labelMAC1 = Array("mac1----".utf8)
let labelCookie = Array("cookie--".utf8)

/// The result of checking a handshake message's MACs (kernel `cookie_mac_state`).
public enum MACState: Sendable, Equatable {
    case invalidMAC1
    case validMAC1WithoutCookie
    case validMAC1WithCookie
}

/// The receiving side, keyed by our own public key: checks MAC1/MAC2 and mints cookie replies. The checks and
/// `writeReply` allocate nothing: they run for every handshake message of a flood.
public struct CookieChecker {
    /// HASH("mac1----" || our public key).
    public let mac1Key: Bytes32
    /// HASH("cookie--" || our public key): the XChaCha20-Poly1305 key for cookie replies.
    public let cookieEncryptionKey: Bytes32
    private var secret: Secret?
    private var secretBirth = Instant(nanoseconds: 0)
    /// MAC1's and the cookie's keyed BLAKE2s with the key block already compressed: every message saves it.
    private let mac1State: Blake2s
    private var cookieState: Blake2s?

    /// A 16-byte MAC or cookie held inline.
    typealias MAC = (UInt64, UInt64)

    public init(publicKey: PublicKey) {
        mac1Key = Blake2s.hash(labelMAC1, publicKey.raw)
        cookieEncryptionKey = Blake2s.hash(labelCookie, publicKey.raw)
        mac1State = Self.keyedState(mac1Key)
    }

    /// Fixes the cookie secret (tests reproducing a vector).
    public mutating func setSecret(_ s: Secret, at now: Instant) {
        secret = s
        secretBirth = now
        cookieState = Self.keyedState(s)
    }

    private static func keyedState(_ key: some BytesRepresentable) -> Blake2s {
        var s = Blake2s(outputLength: 16, key: key)
        s.absorbKeyBlock()
        return s
    }

    /// Checks MAC1 over `message[0..<len-32]` and, if `checkMAC2`, MAC2 over `message[0..<len-16]` with
    /// the cookie for `source`. An all-zero MAC2 (a sender without a cookie) is invalid without computing
    /// the cookie.
    public mutating func check(_ message: UnsafeRawBufferPointer, source: Endpoint, checkMAC2: Bool,
                               now: Instant, random: some RandomSource) -> MACState {
        let n = message.count
        let mac1 = Self.mac(mac1State, UnsafeRawBufferPointer(rebasing: message[0..<(n - 32)]))
        guard Self.equals(mac1, UnsafeRawBufferPointer(rebasing: message[(n - 32)..<(n - 16)])) else { return .invalidMAC1 }
        let received = UnsafeRawBufferPointer(rebasing: message[(n - 16)..<n])
        guard checkMAC2, !ConstantTime.isZero(received) else { return .validMAC1WithoutCookie }
        let cookie = cookieValue(for: source, now: now, random: random)
        let mac2 = withUnsafeBytes(of: cookie) { Self.mac(key: $0, UnsafeRawBufferPointer(rebasing: message[0..<(n - 16)])) }
        return Self.equals(mac2, received) ? .validMAC1WithCookie : .validMAC1WithoutCookie
    }

    /// MAC(Rm, source IP || BE16 port), rotating Rm when it is older than two minutes.
    public mutating func makeCookie(for source: Endpoint, now: Instant, random: some RandomSource) -> [UInt8] {
        withUnsafeBytes(of: cookieValue(for: source, now: now, random: random)) { Array($0) }
    }

    private mutating func cookieValue(for source: Endpoint, now: Instant, random: some RandomSource) -> MAC {
        if secret == nil || now - secretBirth >= Constants.cookieRefreshTime {
            setSecret(random.secret(32), at: now)
        }
        // The source as the kernel feeds it: the address in network order, then the port big-endian.
        var bytes: (UInt64, UInt64, UInt16) = (0, 0, source.port.bigEndian)
        let count: Int
        switch source.address {
        case .v4(let a):
            bytes.0 = UInt64(a.bigEndian) | UInt64(source.port.bigEndian) << 32
            count = 6
        case .v6(let hi, let lo):
            bytes.0 = hi.bigEndian
            bytes.1 = lo.bigEndian
            count = 18
        }
        return withUnsafeBytes(of: &bytes) { Self.mac(cookieState!, UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Writes the 64-byte cookie reply to `message` (an initiation or response from `source`) at `out`: the
    /// sender's index, a random nonce, and the cookie sealed with XChaCha20-Poly1305 under MAC1 as AD.
    public mutating func writeReply(to message: UnsafeRawBufferPointer, source: Endpoint, now: Instant,
                                    random: some RandomSource, into out: UnsafeMutableRawPointer) {
        let n = message.count
        let cookie = cookieValue(for: source, now: now, random: random)
        out.storeBytes(of: MessageType.cookieReply.rawValue.littleEndian, as: UInt32.self)
        (out + 4).copyMemory(from: message.baseAddress! + 4, byteCount: 4)
        random.fill(UnsafeMutableRawBufferPointer(start: out + 8, count: 24))
        (out + 32).storeBytes(of: cookie, as: MAC.self)
        _ = XChaCha20Poly1305.seal(key: cookieEncryptionKey, nonce: UnsafeRawBufferPointer(start: out + 8, count: 24),
                                   buffer: out + 32, count: 16,
                                   ad: UnsafeRawBufferPointer(rebasing: message[(n - 32)..<(n - 16)]))
    }

    /// The 64-byte cookie reply to `message` (an initiation or response) received from `source`.
    public mutating func createReply(to message: UnsafeRawBufferPointer, source: Endpoint, now: Instant,
                                     random: some RandomSource) -> CookieReply {
        var bytes = [UInt8](repeating: 0, count: MessageType.cookieReplySize)
        bytes.withUnsafeMutableBytes { writeReply(to: message, source: source, now: now, random: random, into: $0.baseAddress!) }
        return bytes.withUnsafeBytes { CookieReply($0)! }
    }

    @inline(__always)
    static func mac(key: some BytesRepresentable, _ data: UnsafeRawBufferPointer) -> MAC {
        var s = Blake2s(outputLength: 16, key: key)
        s.update(data)
        var out: MAC = (0, 0)
        withUnsafeMutableBytes(of: &out) { s.finalize(into: $0) }
        return out
    }

    /// The MAC of `data` from a keyed state whose key block is compressed.
    @inline(__always)
    static func mac(_ keyed: Blake2s, _ data: UnsafeRawBufferPointer) -> MAC {
        var s = keyed
        s.update(data)
        var out: MAC = (0, 0)
        withUnsafeMutableBytes(of: &out) { s.finalize(into: $0) }
        return out
    }

    @inline(__always)
    static func equals(_ a: MAC, _ b: UnsafeRawBufferPointer) -> Bool {
        withUnsafeBytes(of: a) { ConstantTime.equals($0, b) }
    }
}

/// The sending side, keyed by the peer's public key: adds MAC1/MAC2 to our handshake messages and
/// consumes the peer's cookie replies.
public struct CookieGenerator {
    public let mac1Key: Bytes32
    public let cookieDecryptionKey: Bytes32
    private var lastMAC1Sent: [UInt8]?
    private var cookie: [UInt8]?
    private var cookieBirth = Instant(nanoseconds: 0)

    public init(peerPublicKey: PublicKey) {
        mac1Key = Blake2s.hash(labelMAC1, peerPublicKey.raw)
        cookieDecryptionKey = Blake2s.hash(labelCookie, peerPublicKey.raw)
    }

    /// True while a cookie received from the peer is fresh enough to use for MAC2.
    public func hasValidCookie(now: Instant) -> Bool {
        cookie != nil && now - cookieBirth < Constants.cookieSenderLifetime
    }

    /// Writes MAC1 and MAC2 (zero without a fresh cookie) into the last 32 bytes of `message`.
    public mutating func addMACs(to message: inout [UInt8], now: Instant) {
        let n = message.count
        let mac1 = message.withUnsafeBytes { Blake2s.mac(key: mac1Key, UnsafeRawBufferPointer(rebasing: $0[0..<(n - 32)])) }
        message.replaceSubrange((n - 32)..<(n - 16), with: mac1)
        lastMAC1Sent = mac1
        if hasValidCookie(now: now), let cookie {
            let mac2 = message.withUnsafeBytes { Blake2s.mac(key: cookie, UnsafeRawBufferPointer(rebasing: $0[0..<(n - 16)])) }
            message.replaceSubrange((n - 16)..<n, with: mac2)
        } else {
            message.replaceSubrange((n - 16)..<n, with: repeatElement(0, count: 16))
        }
    }

    /// Decrypts a cookie reply against the MAC1 we last sent. One cookie per sent MAC1, as the kernel:
    /// a second reply to the same message is refused.
    public mutating func consume(_ reply: CookieReply, now: Instant) -> Bool {
        guard let mac1 = lastMAC1Sent,
              let plain = XChaCha20Poly1305.open(key: cookieDecryptionKey, nonce: reply.nonce,
                                                 ciphertext: reply.encryptedCookie, ad: mac1) else { return false }
        cookie = plain
        cookieBirth = now
        lastMAC1Sent = nil
        return true
    }
}
