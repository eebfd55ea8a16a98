// SPDX-License-Identifier: MIT
// Reproduces ../shared/vectors/handshake-trace.txt byte for byte: every intermediate chaining key and
// hash, both messages with MAC1, transport keys, keepalive and data packets, the zero-PSK variant, the
// cookie reply and the resent MSG1 with MAC2.

import Foundation
import Testing
@testable import WireGuardCrypto
@testable import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

/// The trace file as name → hex.
struct Trace {
    let values: [String: String]

    init() throws {
        let url = try #require(Bundle.module.url(forResource: "handshake-trace", withExtension: "txt", subdirectory: "Fixtures"))
        var values: [String: String] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("---") {
            guard let range = line.range(of: ": ", options: .backwards) else { continue }
            values[String(line[..<range.lowerBound])] = String(line[range.upperBound...])
        }
        self.values = values
    }

    subscript(_ name: String) -> [UInt8] { [UInt8](hex: values[name]!) }
}

@Suite struct HandshakeTraceTests {
    let t: Trace
    init() throws { t = try Trace() }

    struct Run {
        var msg1: [UInt8] = []
        var msg2: [UInt8] = []
        var initiatorKeys: SessionKeys?
        var responderKeys: SessionKeys?
        var recorded: [(String, [UInt8])] = []
        var responderHashAfterMessage1 = Bytes32()
        var initiatorCookies: CookieGenerator?
    }

    func runHandshake(psk: [UInt8]) throws -> Run {
        var run = Run()
        let iKey = try #require(PrivateKey(bytes: t["S_i_priv"]))
        let rKey = try #require(PrivateKey(bytes: t["S_r_priv"]))
        let initiator = try #require(StaticIdentity(iKey))
        let responder = try #require(StaticIdentity(rKey))
        #expect(initiator.publicKey.bytes == t["S_i_pub"])
        #expect(responder.publicKey.bytes == t["S_r_pub"])

        let ih = Handshake(remoteStatic: responder.publicKey)
        ih.setIdentity(initiator)
        #expect(ih.precomputedStaticStatic?.bytes == t["DH(S_i_priv,S_r_pub) precomputed static-static"])
        ih.presharedKey = Secret(psk)
        var recorded: [(String, [UInt8])] = []
        ih.trace = { recorded.append(($0, $1)) }
        let m1 = try #require(ih.createInitiation(identity: initiator, ephemeralPrivate: Secret(t["E_i_priv"]),
                                                  timestamp: Timestamp(bytes: t["timestamp (TAI64N, unix 1700000000.0)"]),
                                                  localIndex: 0x1111_1111))
        var msg1 = m1.bytes
        var icookies = CookieGenerator(peerPublicKey: responder.publicKey)
        icookies.addMACs(to: &msg1, now: Instant(nanoseconds: 0))
        run.msg1 = msg1

        let parsed = try #require(msg1.withUnsafeBytes { HandshakeInitiation($0) })
        let partial = try #require(Handshake.beginConsumingInitiation(parsed, identity: responder))
        #expect(partial.remoteStatic == initiator.publicKey)
        let rh = Handshake(remoteStatic: initiator.publicKey)
        rh.setIdentity(responder)
        rh.presharedKey = Secret(psk)
        rh.trace = { recorded.append(($0, $1)) }
        try rh.finishConsumingInitiation(partial, parsed, now: Instant(nanoseconds: 0))
        run.responderHashAfterMessage1 = rh.hash
        let m2 = try #require(rh.createResponse(identity: responder, ephemeralPrivate: Secret(t["E_r_priv"]), localIndex: 0x2222_2222))
        var msg2 = m2.bytes
        var rcookies = CookieGenerator(peerPublicKey: initiator.publicKey)
        rcookies.addMACs(to: &msg2, now: Instant(nanoseconds: 0))
        run.msg2 = msg2
        run.responderKeys = rh.beginSession()

        let parsed2 = try #require(msg2.withUnsafeBytes { HandshakeResponse($0) })
        try ih.consumeResponse(parsed2, identity: initiator)
        run.initiatorKeys = ih.beginSession()
        #expect(ih.state == .zeroed && rh.state == .zeroed)
        run.recorded = recorded
        run.initiatorCookies = icookies
        return run
    }

    @Test func everyIntermediateValueAndMessage() throws {
        let run = try runHandshake(psk: t["PSK"])
        #expect(run.recorded.count == 23)
        for (name, value) in run.recorded {
            #expect(t.values[name] != nil, "trace has no \(name)")
            #expect(value.hex == t.values[name], "\(name)")
        }
        #expect(run.responderHashAfterMessage1.bytes == t["H after mixHash(encrypted_timestamp)"])
        #expect(run.msg1.hex == t.values["MSG1 (148 bytes, mac2 zero)"])
        #expect(Array(run.msg1[116..<132]).hex == "1da2aa25a7bab09e583d97e49c6b342f")
        #expect(run.msg2.hex == t.values["MSG2 (92 bytes, mac2 zero)"])
        let i = try #require(run.initiatorKeys), r = try #require(run.responderKeys)
        #expect(i.sending.bytes == t["initiator sending key (= responder receiving key)"])
        #expect(i.receiving.bytes == t["initiator receiving key (= responder sending key)"])
        #expect(r.receiving.bytes == t["T_recv (responder receive = initiator send)"])
        #expect(r.sending.bytes == t["T_send (responder send = initiator receive)"])
        #expect(i.isInitiator && !r.isInitiator)
        #expect(i.localIndex == 0x1111_1111 && i.remoteIndex == 0x2222_2222)
        #expect(r.localIndex == 0x2222_2222 && r.remoteIndex == 0x1111_1111)
    }

    @Test func transportPackets() throws {
        let run = try runHandshake(psk: t["PSK"])
        let now = Instant(nanoseconds: 0)
        let iKeys = try #require(run.initiatorKeys)
        let rKeys = try #require(run.responderKeys)
        let ik = try #require(Keypair(keys: iKeys, created: now))
        let rk = try #require(Keypair(keys: rKeys, created: now))
        func seal(_ kp: Keypair, _ inner: [UInt8]) -> [UInt8] {
            var buf = [UInt8](repeating: 0, count: 16) + inner + [UInt8](repeating: 0xEE, count: 32)
            let n = buf.withUnsafeMutableBytes { kp.sealPadded(packet: $0.baseAddress!, length: inner.count, mtu: 1420) }
            return Array(buf[0..<n!])
        }
        let inner = t["inner packet (IPv4 ICMP echo 192.168.0.1->192.168.0.2, 28 bytes)"]
        #expect(seal(ik, []).hex == t.values["initiator keepalive, counter 0 (32 bytes)"])
        #expect(seal(rk, inner).hex == t.values["responder data, counter 0 (16 hdr + 32 padded + 16 tag = 64 bytes)"])
        #expect(seal(ik, inner).hex == t.values["initiator data, counter 1"])

        var received = t["initiator data, counter 1"]
        let opened = received.withUnsafeMutableBytes { rk.open(message: $0.baseAddress!, length: $0.count) }
        #expect(opened?.plaintextLength == 32 && opened?.counter == 1)
        #expect(Array(received[16..<44]) == inner)
    }

    /// Running the traced handshake again and again (the per-thread OpenSSL objects and the wiped one-shot
    /// AEAD context are reused, the handshake state is committed and cleared) gives the same bytes, and a
    /// tampered response changes nothing on the initiator, which then still accepts the genuine one.
    @Test func repeatedRunsAndRejectedResponseReproduceTheTrace() throws {
        for _ in 0..<3 {
            let run = try runHandshake(psk: t["PSK"])
            #expect(run.msg1.hex == t.values["MSG1 (148 bytes, mac2 zero)"])
            #expect(run.msg2.hex == t.values["MSG2 (92 bytes, mac2 zero)"])
            #expect(run.initiatorKeys?.sending.bytes == t["initiator sending key (= responder receiving key)"])
        }
        let iKey = try #require(PrivateKey(bytes: t["S_i_priv"])), rKey = try #require(PrivateKey(bytes: t["S_r_priv"]))
        let initiator = try #require(StaticIdentity(iKey)), responder = try #require(StaticIdentity(rKey))
        let ih = Handshake(remoteStatic: responder.publicKey)
        ih.setIdentity(initiator)
        ih.presharedKey = Secret(t["PSK"])
        _ = try #require(ih.createInitiation(identity: initiator, ephemeralPrivate: Secret(t["E_i_priv"]),
                                             timestamp: Timestamp(bytes: t["timestamp (TAI64N, unix 1700000000.0)"]),
                                             localIndex: 0x1111_1111))
        let hashBefore = ih.hash
        var bad = t["MSG2 (92 bytes, mac2 zero)"]
        bad[50] ^= 1  // inside encrypted_nothing
        let tampered = try #require(bad.withUnsafeBytes { HandshakeResponse($0) })
        #expect(throws: HandshakeError.decryptionFailed) { try ih.consumeResponse(tampered, identity: initiator) }
        #expect(ih.state == .createdInitiation && ih.hash == hashBefore)
        let genuine = try #require(t["MSG2 (92 bytes, mac2 zero)"].withUnsafeBytes { HandshakeResponse($0) })
        try ih.consumeResponse(genuine, identity: initiator)
        #expect(ih.beginSession()?.sending.bytes == t["initiator sending key (= responder receiving key)"])
    }

    @Test func zeroPresharedKeyVariant() throws {
        let run = try runHandshake(psk: [UInt8](repeating: 0, count: 32))
        #expect(run.msg1.hex == t.values["zero-PSK variant: MSG1"])
        #expect(run.msg2.hex == t.values["zero-PSK variant: MSG2"])
        #expect(run.initiatorKeys?.sending.bytes == t["zero-PSK variant: initiator sending key"])
        #expect(run.initiatorKeys?.receiving.bytes == t["zero-PSK variant: initiator receiving key"])
    }

    @Test func cookieReplyAndMAC2() throws {
        var run = try runHandshake(psk: t["PSK"])
        let responderPublic = try #require(PublicKey(bytes: t["S_r_pub"]))
        var checker = CookieChecker(publicKey: responderPublic)
        #expect(checker.mac1Key.bytes == t["mac1 key HASH('mac1----' || S_r_pub)"])
        #expect(checker.cookieEncryptionKey.bytes == t["cookie encryption key HASH('cookie--' || S_r_pub)"])
        let now = Instant(nanoseconds: 1)
        checker.setSecret(Secret(t["responder cookie secret Rm"]), at: now)
        let source = try #require(Endpoint("192.0.2.1:51820"))
        #expect(source.cookieSourceBytes == t["source bytes (IPv4 || port big-endian, kernel style)"])
        #expect(checker.makeCookie(for: source, now: now, random: SeededRandom(seed: 0)) == t["cookie = MAC(Rm, src)"])
        let nonce = (0..<24).map { UInt8($0) }
        let reply = run.msg1.withUnsafeBytes {
            checker.createReply(to: $0, source: source, now: now, random: ScriptedRandom([nonce]))
        }
        #expect(reply.bytes.hex == t.values["cookie reply (64 bytes) for MSG1, nonce 000102..17"])

        var generator = try #require(run.initiatorCookies)
        let first = generator.consume(reply, now: now)
        let second = generator.consume(reply, now: now)
        #expect(first)
        #expect(!second, "one cookie per sent MAC1")
        var resent = Array(run.msg1)
        generator.addMACs(to: &resent, now: now)
        #expect(resent.hex == t.values["MSG1 with mac2 = MAC(cookie, MSG1[0:132])"])
        let state = resent.withUnsafeBytes {
            checker.check($0, source: source, checkMAC2: true, now: now, random: SeededRandom(seed: 0))
        }
        #expect(state == .validMAC1WithCookie)
        let plain = run.msg1.withUnsafeBytes {
            checker.check($0, source: source, checkMAC2: true, now: now, random: SeededRandom(seed: 0))
        }
        #expect(plain == .validMAC1WithoutCookie)
        run.msg1[5] ^= 1
        #expect(run.msg1.withUnsafeBytes {
            checker.check($0, source: source, checkMAC2: false, now: now, random: SeededRandom(seed: 0))
        } == .invalidMAC1)
    }
}
