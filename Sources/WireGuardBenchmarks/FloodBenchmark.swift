// SPDX-License-Identifier: MIT
// The reject path of a handshake flood on one core: what answering an initiation with a valid MAC1 and no
// MAC2 costs while under load. Two figures:
// - cookie replies: MAC1 checked and a cookie reply built (cookie MAC, 24 random bytes from the buffered
//   CSPRNG the daemon uses, XChaCha20-Poly1305), every message from a new source so that every one is
//   answered: the rate at which one core can answer a flood (goal: 400,000 per second);
// - flood admission: `Engine.admitHandshake` under load for a flood from 8 addresses x 256 ports, as
//   bench/flood.sh sends it: the per-source limit answers a few and drops the rest after MAC1.

import WireGuardCrypto
import WireGuardModel
import WireGuardProtocol
import WireGuardTestSupport

enum FloodBenchmark {
    /// Distinct initiations cycled through.
    static let messages = 1024
    /// Cookie replies per second one core should build (issue 11).
    static let goal = 400_000

    /// (cookie replies per second, flood admissions per second).
    static func run(duration: Double) -> (replies: Double, admissions: Double) {
        let (replies, admissions) = loops()
        let m = Measure.interleaved(duration, [replies, admissions])
        return (m[0].perSecond, m[1].perSecond)
    }

    /// `--flood-alloc N`: N batches of 64 of each loop and nothing else, so that a heap profiler run with two
    /// values of N shows the allocations per rejected initiation (none).
    static func allocationCheck(_ n: Int) {
        let (replies, admissions) = loops()
        for _ in 0..<n {
            replies.body()
            admissions.body()
        }
        print("ran \(n * 64) cookie replies and \(n * 64) flood admissions")
    }

    /// The two measured loops, each doing 64 messages per call.
    private static func loops() -> (replies: Measure.Loop, admissions: Measure.Loop) {
        let seeded = SeededRandom(seed: 11)
        let key = PrivateKey.generate(using: seeded)
        let publicKey = key.publicKey!
        var generator = CookieGenerator(peerPublicKey: publicKey)
        let size = MessageType.initiationSize
        // Lives as long as the process (the loops capture it).
        let flood = UnsafeMutableRawPointer.allocate(byteCount: messages * size, alignment: 16)
        for m in 0..<messages {
            var msg = [UInt8](repeating: 0, count: size)
            msg[0] = 1
            msg.withUnsafeMutableBytes { seeded.fill(UnsafeMutableRawBufferPointer(rebasing: $0[4..<(size - 32)])) }
            generator.addMACs(to: &msg, now: Instant(nanoseconds: 0))
            msg.withUnsafeBytes { (flood + m * size).copyMemory(from: $0.baseAddress!, byteCount: size) }
        }
        let reply = UnsafeMutableRawPointer.allocate(byteCount: MessageType.cookieReplySize, alignment: 16)
        let random = BufferedRandom()
        let now = Instant(nanoseconds: 1_000_000_000)
        var checker = CookieChecker(publicKey: publicKey)
        // A new source for every reply: 2^24 addresses cycled.
        var next = 0
        let replies = Measure.Loop(batch: 64) {
            for _ in 0..<64 {
                let message = UnsafeRawBufferPointer(start: flood + (next % messages) * size, count: size)
                let source = Endpoint(address: .v4(0x0A00_0000 | UInt32(next & 0xFF_FFFF)), port: 51820)
                if checker.check(message, source: source, checkMAC2: true, now: now, random: random) == .validMAC1WithoutCookie {
                    checker.writeReply(to: message, source: source, now: now, random: random, into: reply)
                }
                next += 1
            }
        }
        let engine = Engine(random: random)
        var effects: [Effect] = []
        engine.apply(DeviceUpdate(privateKey: key), now: Now(monotonic: now, wall: WallTime(seconds: 1_700_000_000)),
                     effects: &effects)
        let sources = (0..<2048).map { Endpoint(address: .v4(0x0A5D_020A + UInt32($0 >> 8)), port: UInt16(40000 + ($0 & 0xFF))) }
        var clock = now, i = 0
        let admissions = Measure.Loop(batch: 64) {
            engine.reportHandshakeBacklog(Constants.underLoadQueueThreshold, now: clock)
            for _ in 0..<64 {
                let message = UnsafeRawBufferPointer(start: flood + (i % messages) * size, count: size)
                _ = engine.admitHandshake(message, from: sources[i & 2047], now: clock, reply: reply, effects: &effects)
                i += 1
            }
            effects.removeAll(keepingCapacity: true)
            clock = clock + .microseconds(100)
        }
        return (replies, admissions)
    }
}
