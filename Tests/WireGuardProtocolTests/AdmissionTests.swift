// SPDX-License-Identifier: MIT
// The cheap half of handshake handling under a flood (Engine+Admission.swift): the under-load switch, MAC2
// checked before the rest, the per-source rate limiter on MAC2-valid messages and the per-source limit on
// cookie replies, on a bare responder engine fed initiations with a valid MAC1 from random keys.

import Testing
import WireGuardCrypto
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

/// A responder with a key and no peers, and initiations addressed to it.
final class FloodFixture {
    let random = SeededRandom(seed: 7)
    let engine: Engine
    let publicKey: PublicKey
    var t = Instant(nanoseconds: 5_000_000_000)

    init() {
        engine = Engine(random: random)
        let key = PrivateKey(bytes: random.bytes(32))!
        publicKey = key.publicKey!
        var effects: [Effect] = []
        engine.apply(DeviceUpdate(privateKey: key), now: now, effects: &effects)
    }

    var now: Now { Now(monotonic: t, wall: WallTime(seconds: 1_700_000_000, nanoseconds: 0)) }

    /// A fresh initiation from random keys with a valid MAC1 (and MAC2 when `generator` holds a cookie).
    func initiation(_ generator: inout CookieGenerator) -> [UInt8] {
        var msg = [UInt8](repeating: 0, count: MessageType.initiationSize)
        msg[0] = 1
        msg.withUnsafeMutableBytes { random.fill(UnsafeMutableRawBufferPointer(rebasing: $0[4..<116])) }
        generator.addMACs(to: &msg, now: t)
        return msg
    }

    func generator() -> CookieGenerator { CookieGenerator(peerPublicKey: publicKey) }

    /// Admits `message` from `source`; the reply bytes when one was written.
    func admit(_ message: [UInt8], from source: Endpoint) -> (HandshakeAdmission, [UInt8]?) {
        var effects: [Effect] = []
        var reply = [UInt8](repeating: 0, count: MessageType.cookieReplySize)
        let verdict = message.withUnsafeBytes { m in
            reply.withUnsafeMutableBytes { engine.admitHandshake(m, from: source, now: t, reply: $0.baseAddress!, effects: &effects) }
        }
        return (verdict, verdict == .cookieReply ? reply : nil)
    }

    func load(_ backlog: Int = Constants.underLoadQueueThreshold) { engine.reportHandshakeBacklog(backlog, now: t) }

    /// A generator holding a cookie for `source`, obtained the honest way: a cookie reply under load.
    func cookieHolder(at source: Endpoint) throws -> CookieGenerator {
        var g = generator()
        load()
        let (verdict, reply) = admit(initiation(&g), from: source)
        #expect(verdict == .cookieReply)
        let bytes = try #require(reply)
        let parsed = try #require(bytes.withUnsafeBytes { CookieReply($0) })
        let consumed = g.consume(parsed, now: t)
        #expect(consumed)
        return g
    }
}

@Suite struct AdmissionTests {
    let attacker = Endpoint("198.51.100.1:4000")!
    let honest = Endpoint("192.0.2.50:51820")!

    @Test func underLoadSwitchFollowsTheReportedBacklog() {
        let f = FloodFixture()
        var g = f.generator()
        #expect(f.admit(f.initiation(&g), from: attacker).0 == .process(priority: false), "not under load: to the worker")
        f.load(Constants.underLoadQueueThreshold - 1)
        #expect(f.admit(f.initiation(&g), from: attacker).0 == .process(priority: false), "a short backlog is not load")
        f.load()
        #expect(f.engine.isUnderLoad(now: f.t))
        #expect(f.admit(f.initiation(&g), from: attacker).0 == .cookieReply, "under load: a cookie, no DH")
        f.t = f.t + .milliseconds(999)
        #expect(f.admit(f.initiation(&g), from: Endpoint("198.51.100.2:1")!).0 == .cookieReply, "load lasts a second")
        f.t = f.t + .milliseconds(2)
        #expect(f.admit(f.initiation(&g), from: attacker).0 == .process(priority: false), "then ends")
    }

    @Test func cookieRepliesAreLimitedPerSource() {
        let f = FloodFixture()
        var g = f.generator()
        var replies = 0
        for _ in 0..<100 {
            f.load()
            if f.admit(f.initiation(&g), from: attacker).0 == .cookieReply { replies += 1 }
        }
        #expect(replies == Int(Constants.cookieReplyBurst), "one source gets a burst of replies, then none")
        #expect(f.admit(f.initiation(&g), from: Endpoint("198.51.100.1:4001")!).0 == .drop, "other ports share the address's budget")
        #expect(f.admit(f.initiation(&g), from: honest).0 == .cookieReply, "another source still gets its cookie")
        // A second later the flooding source has earned cookieReplyRatePerSecond more replies.
        f.t = f.t + .seconds(1)
        replies = 0
        for _ in 0..<100 {
            f.load()
            if f.admit(f.initiation(&g), from: attacker).0 == .cookieReply { replies += 1 }
        }
        #expect(replies == Int(Constants.cookieReplyBurst), "the bucket refills at its rate, up to the burst")
    }

    @Test func aSustainedFloodGetsTheLimitersRate() {
        // 2,500 initiations/s from one address for 10 s, the engine kept under load: 5 + 10/s replies.
        let f = FloodFixture()
        var g = f.generator()
        var replies = 0
        for i in 0..<25_000 {
            if i % 32 == 0 { f.load() }
            if f.admit(f.initiation(&g), from: Endpoint(address: attacker.address, port: UInt16(1000 + i % 256))).0 == .cookieReply {
                replies += 1
            }
            f.t = f.t + .microseconds(400)
        }
        #expect((100...106).contains(replies), "\(replies) replies")
    }

    @Test func validMAC2GoesFirstUnderLoadAndOtherwise() throws {
        let f = FloodFixture()
        var g = try f.cookieHolder(at: honest)
        let message = f.initiation(&g)
        #expect(message.suffix(16) != [UInt8](repeating: 0, count: 16))
        f.load()
        #expect(f.admit(message, from: honest).0 == .process(priority: true), "under load: proven source, to the front")
        f.t = f.t + .seconds(2)
        #expect(!f.engine.isUnderLoad(now: f.t))
        #expect(f.admit(f.initiation(&g), from: honest).0 == .process(priority: true),
                "between bursts of load too: a cookie-bearing retry never waits behind the flood")
        // The cookie is bound to the source address and port.
        f.load()
        #expect(f.admit(f.initiation(&g), from: Endpoint("192.0.2.50:51821")!).0 == .cookieReply)
    }

    @Test func rateLimiterConsultedForMAC2ValidHandshakesUnderLoad() throws {
        let f = FloodFixture()
        var g = try f.cookieHolder(at: honest)
        var processed = 0
        for _ in 0..<20 {
            f.load()
            if case .process(priority: true) = f.admit(f.initiation(&g), from: honest).0 { processed += 1 }
        }
        #expect(processed == Int(Constants.rateLimiterBurst), "a source with a cookie still passes the rate limiter")
        f.t = f.t + .seconds(2)
        processed = 0
        for _ in 0..<20 where f.admit(f.initiation(&g), from: honest).0 == .process(priority: true) { processed += 1 }
        #expect(processed == 20, "not under load: no rate limit")
    }

    @Test func invalidMAC1IsDroppedWithoutReply() {
        let f = FloodFixture()
        var g = f.generator()
        var msg = f.initiation(&g)
        msg[120] ^= 1
        f.load()
        #expect(f.admit(msg, from: attacker).0 == .drop)
    }

    @Test func rateLimiterTableIsBounded() {
        var rl = RateLimiter(maxSources: 3)
        let t = Instant(nanoseconds: 1_000_000_000)
        let first = (1...3).map { rl.allow(IPAddress("192.0.2.\($0)")!, now: t) }
        #expect(first == [true, true, true])
        let beyond = rl.allow(IPAddress("192.0.2.4")!, now: t)
        #expect(!beyond, "a new source beyond the table is refused")
        let known = rl.allow(IPAddress("192.0.2.1")!, now: t)
        #expect(known, "known sources carry on")
        let later = rl.allow(IPAddress("192.0.2.4")!, now: t + .seconds(2))
        #expect(later, "after the sweep there is room")
    }
}
