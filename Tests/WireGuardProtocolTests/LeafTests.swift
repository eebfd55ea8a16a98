// SPDX-License-Identifier: MIT

import Testing
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

@Suite struct LeafTests {
    /// (type, exact length) before anything else; non-zero reserved bytes make an unknown type.
    @Test(arguments: [
        (1, 148, MessageType.initiation), (1, 147, nil), (1, 149, nil), (2, 92, .response), (2, 93, nil),
        (3, 64, .cookieReply), (3, 63, nil), (4, 32, .transport), (4, 1500, .transport), (4, 31, nil),
        (5, 148, nil), (0, 148, nil),
    ] as [(UInt8, Int, MessageType?)])
    func classification(type: UInt8, length: Int, expected: MessageType?) {
        var bytes = [UInt8](repeating: 0, count: length)
        bytes[0] = type
        #expect(bytes.withUnsafeBytes { MessageType.classify($0) } == expected)
        if length > 2 {
            bytes[2] = 1
            #expect(bytes.withUnsafeBytes { MessageType.classify($0) } == nil)
        }
    }

    @Test func timestamps() {
        #expect(Timestamp(WallTime(seconds: 1_700_000_000)).bytes.hex == "400000006553f10a00000000")
        // Whitening: nanoseconds round down to a multiple of 2^24.
        let a = Timestamp(WallTime(seconds: 1_700_000_000, nanoseconds: 16_777_215))
        let b = Timestamp(WallTime(seconds: 1_700_000_000, nanoseconds: 16_777_216))
        #expect(a == Timestamp(WallTime(seconds: 1_700_000_000)))
        #expect(a < b && b.bytes.suffix(4) == [1, 0, 0, 0])
        #expect(Timestamp(WallTime(seconds: 1_700_000_001)) > b)
    }

    @Test(arguments: [(0, 1420, 0), (1, 1420, 15), (28, 1420, 4), (32, 1420, 0), (1419, 1420, 1), (1420, 1420, 0),
                      (1500, 1420, 0), (1425, 1420, 11), (17, 0, 15)])
    func padding(length: Int, mtu: Int, expected: Int) {
        #expect(IPPacket.padding(length: length, mtu: mtu) == expected)
    }

    @Test func innerPacketChecks() {
        let v4 = PacketBuilder.ping(from: IPAddress("10.0.0.1")!, to: IPAddress("10.0.0.2")!, payload: [1, 2, 3])
        let padded = v4 + [0, 0, 0, 0, 0]
        let r = padded.withUnsafeBytes { IPPacket.sourceAndLength($0.baseAddress!, length: $0.count) }
        #expect(r?.source == IPAddress("10.0.0.1") && r?.length == v4.count)
        var lying = v4
        lying[3] = UInt8(v4.count + 1)  // total length beyond what arrived
        #expect(lying.withUnsafeBytes { IPPacket.sourceAndLength($0.baseAddress!, length: $0.count) } == nil)
        let v6 = PacketBuilder.ping(from: IPAddress("fd00::1")!, to: IPAddress("fd00::2")!)
        #expect(v6.withUnsafeBytes { IPPacket.destination($0.baseAddress!, length: $0.count) } == IPAddress("fd00::2"))
        #expect(([0x50] + v6.dropFirst()).withUnsafeBytes { IPPacket.sourceAndLength($0.baseAddress!, length: $0.count) } == nil)
    }

    @Test func rateLimiter() {
        let rl = Ref(RateLimiter())
        var t = Instant(nanoseconds: 1_000_000_000)
        let a = IPAddress("192.0.2.1")!, b = IPAddress("192.0.2.2")!
        let allowed = (0..<10).filter { _ in rl { $0.allow(a, now: t) } }.count
        #expect(allowed == 5, "burst of 5")
        #expect(rl { $0.allow(b, now: t) }, "other sources are independent")
        t = t + .milliseconds(50)
        #expect(rl { $0.allow(a, now: t) })
        #expect(!rl { $0.allow(a, now: t) })
        // Over one second at 100/s, about 20 pass.
        var passed = 0
        for _ in 0..<100 {
            t = t + .milliseconds(10)
            if rl({ $0.allow(a, now: t) }) { passed += 1 }
        }
        #expect((19...21).contains(passed))
        // IPv6 sources share a bucket per /64.
        let six = (1...8).filter { i in rl { $0.allow(IPAddress("2001:db8::\(i)")!, now: t) } }.count
        #expect(six == 5)
        #expect(rl { $0.allow(IPAddress("2001:db8:0:1::1")!, now: t) })
        t = t + .seconds(2)
        _ = rl { $0.allow(a, now: t) }
        #expect(rl.value.trackedSources == 1, "idle entries are swept")
    }

    /// The cookie secret lives for 120 s; cookies for the same source change when it rotates.
    @Test func cookieSecretRotates() throws {
        let random = SeededRandom(seed: 4)
        let key = try #require(PrivateKey.generate(using: random).publicKey)
        let checker = Ref(CookieChecker(publicKey: key))
        let source = try #require(Endpoint("192.0.2.1:1"))
        let t0 = Instant(nanoseconds: 5_000_000_000)
        let c0 = checker { $0.makeCookie(for: source, now: t0, random: random) }
        let c1 = checker { $0.makeCookie(for: source, now: t0 + .seconds(119), random: random) }
        let other = checker { $0.makeCookie(for: Endpoint("192.0.2.1:2")!, now: t0 + .seconds(119), random: random) }
        let c2 = checker { $0.makeCookie(for: source, now: t0 + .seconds(120), random: random) }
        #expect(c0 == c1 && c0 != other && c2 != c0)
    }

    @Test func keypairSlots() throws {
        func kp(_ initiator: Bool, _ i: UInt32) -> Keypair {
            Keypair(sendingKey: .zeros(), receivingKey: .zeros(), isInitiator: initiator, localIndex: i, remoteIndex: i,
                    created: Instant(nanoseconds: 0))!
        }
        let s = Ref(KeypairSlots())
        let r1 = kp(false, 1)
        #expect(s { $0.install(r1) }.isEmpty)
        #expect(s.value.current == nil && s.value.next === r1, "a responder waits for confirmation")
        let (rotated, _) = s { $0.received(with: r1) }
        #expect(rotated && s.value.current === r1 && s.value.next == nil)
        let i2 = kp(true, 2)
        #expect(s { $0.install(i2) }.isEmpty)
        #expect(s.value.current === i2 && s.value.previous === r1)
        let r3 = kp(false, 3)
        let dropped = s { $0.install(r3) }
        #expect(dropped.count == 1 && dropped[0] === r1 && s.value.next === r3 && s.value.current === i2)
        let i4 = kp(true, 4)
        let dropped2 = s { $0.install(i4) }
        #expect(dropped2.count == 1 && dropped2[0] === i2, "unconfirmed next becomes previous")
        #expect(s.value.previous === r3 && s.value.current === i4)
    }
}
