// SPDX-License-Identifier: MIT
// Complete handshakes per second between two engines, and the X25519 rate that bounds them.
//
// A complete handshake (initiation created and consumed, response created and consumed) costs, once each
// side's static-static DH is precomputed, six DH scalar multiplications (es twice, ee twice, se twice) plus
// two fixed-base ones for the ephemeral public keys. The kernel's fixed-base multiplication is cheaper than
// a DH; OpenSSL 3.0's (X25519 public from private) is as slow as a DH, so through OpenSSL the true cost is
// eight DH-equivalents. The benchmark prints both bounds: X25519 ops/s divided by 6 and by 8.

import WireGuardCrypto
import WireGuardModel
import WireGuardProtocol
import WireGuardTestSupport

/// Scalar multiplications per complete handshake: DH only, and with the ephemeral public keys.
enum HandshakeCost {
    static let diffieHellman = 6
    static let withEphemeralPublicKeys = 8
}

enum HandshakeBenchmark {
    /// X25519 DHs per CPU-second through `X25519.KeyPair` (a loaded private key, as the handshake uses it).
    static func x25519(duration: Double) -> Double {
        let random = SeededRandom(seed: 21)
        guard let pair = X25519.KeyPair(privateKey: X25519.generatePrivateKey(using: random)),
              let peer = X25519.publicKey(for: X25519.generatePrivateKey(using: random)) else { return 0 }
        return withUnsafeTemporaryAllocation(byteCount: X25519.keySize, alignment: 16) { out in
            Measure.run(duration, batch: 16) {
                for _ in 0..<16 { _ = pair.sharedSecret(with: peer, into: out) }
            }.perSecond
        }
    }

    /// Complete handshakes per CPU-second (rounds per second, scaled by the share of rounds that completed a
    /// handshake: all of them when the engines work); `completedAll` is false if a round did not complete.
    static func handshakes(duration: Double) -> (perSecond: Double, completedAll: Bool) {
        let pair = HandshakePair()
        let m = Measure.run(duration, batch: 1) { pair.handshake() }
        let share = pair.rounds == 0 ? 0 : Double(pair.completed) / Double(pair.rounds)
        return (m.perSecond * share, pair.completed == pair.rounds)
    }

    /// Two engines that handshake again and again: the clock moves 200 s per round, past
    /// rejectAfterTime, so the keepalive sent when persistent keepalive is switched on needs a new session:
    /// each round is one full initiation, response and confirmation.
    final class HandshakePair {
        let a = Engine(random: SeededRandom(seed: 10))
        let b = Engine(random: SeededRandom(seed: 11))
        let ea = Endpoint("10.0.0.1:1")!, eb = Endpoint("10.0.0.2:2")!
        var now = Now(monotonic: Instant(nanoseconds: 1_000_000_000_000), wall: WallTime(seconds: 1_700_000_000))
        private(set) var completed = 0
        private(set) var rounds = 0
        let bPublic: PublicKey

        init() {
            let ka = PrivateKey.generate(using: SeededRandom(seed: 1)), kb = PrivateKey.generate(using: SeededRandom(seed: 2))
            bPublic = kb.publicKey!
            var effects: [Effect] = []
            a.apply(DeviceUpdate(privateKey: ka, peers: [PeerUpdate(publicKey: kb.publicKey!, endpoint: eb)]), now: now, effects: &effects)
            b.apply(DeviceUpdate(privateKey: kb, peers: [PeerUpdate(publicKey: ka.publicKey!)]), now: now, effects: &effects)
        }

        func handshake() {
            rounds += 1
            now.monotonic = now.monotonic + .seconds(200)
            now.wall.seconds += 200
            var effects: [Effect] = []
            a.apply(DeviceUpdate(peers: [PeerUpdate(publicKey: bPublic, updateOnly: true, persistentKeepalive: 0)]), now: now, effects: &effects)
            a.apply(DeviceUpdate(peers: [PeerUpdate(publicKey: bPublic, updateOnly: true, persistentKeepalive: 25)]), now: now, effects: &effects)
            // Turning persistent keepalive on sends a keepalive; with no fresh session that is an initiation.
            var queue: [(Engine, [UInt8], Endpoint)] = []
            for case .sendDatagram(let d, _) in effects { queue.append((b, d, ea)) }
            var steps = 0
            while !queue.isEmpty, steps < 8 {
                let (target, bytes, from) = queue.removeFirst()
                steps += 1
                var out: [Effect] = []
                target.handleDatagram(bytes, from: from, now: now, effects: &out)
                for effect in out {
                    switch effect {
                    case .sendDatagram(let d, _): queue.append(target === a ? (b, d, ea) : (a, d, eb))
                    case .event(.handshakeCompleted) where target === b: completed += 1
                    default: break
                    }
                }
            }
        }
    }
}
