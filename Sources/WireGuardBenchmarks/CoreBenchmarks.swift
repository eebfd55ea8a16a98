// SPDX-License-Identifier: MIT
// The two protocol-core figures and their references. Transport: seal and open in place at one packet size,
// beside OpenSSL doing the same per-message AEAD by itself (apps/speed.c's AEAD loop, in process) and beside
// OpenSSL's streaming loop. Handshakes: complete handshakes per second between two engines, beside the
// X25519 rate that bounds them.
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

/// Transport figures in Gbit/s.
struct TransportFigures {
    var seal = 0.0, open = 0.0
    /// OpenSSL per message, as apps/speed.c's AEAD loop does it: IV, AAD, payload, Final.
    var referenceSeal = 0.0, referenceOpen = 0.0
    /// OpenSSL's plain EVP_EncryptUpdate loop: no per-message work at all.
    var referenceStream = 0.0
}

/// Transport seal/open in place through `Keypair`, with OpenSSL's reference loops.
enum TransportBenchmark {
    /// Room for the 16-byte header, the payload and the tag.
    static func messageSize(_ payload: Int) -> Int { 16 + payload + 16 }

    /// A sealing and an opening keypair over the same key.
    static func pair() -> (Keypair, Keypair) {
        let key = Secret([UInt8](repeating: 0x5A, count: 32))
        let sealer = Keypair(sendingKey: key, receivingKey: key, isInitiator: true, localIndex: 1, remoteIndex: 2,
                             created: Instant(nanoseconds: 0))!
        let opener = Keypair(sendingKey: key, receivingKey: key, isInitiator: false, localIndex: 2, remoteIndex: 1,
                             created: Instant(nanoseconds: 0))!
        return (sealer, opener)
    }

    /// Our seal and open and the three OpenSSL references at `size` bytes, in alternating windows.
    static func run(duration: Double, size: Int) -> TransportFigures {
        let (sealer, opener) = pair()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: messageSize(size), alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xAB, count: messageSize(size))
        var f = TransportFigures()
        let batch = 64, long = 4096
        // A genuine message opens first. Then, as `openssl speed -decrypt` does, the same buffer is opened
        // again and again: after the first pass the tag no longer matches, but every open still does all the
        // work (Poly1305 over the ciphertext, ChaCha20, the constant-time tag comparison), and no memcpy to
        // restore the message inflates the figure. Seal and open use separate buffers.
        let sealed = UnsafeMutableRawPointer.allocate(byteCount: messageSize(size), alignment: 64)
        defer { sealed.deallocate() }
        _ = sealer.seal(packet: sealed, length: size)
        precondition(opener.open(message: sealed, length: size + 32) != nil, "a sealed message must open")
        // Each reference call sets up its own EVP context: long batches make that cost vanish per message.
        let payload = buffer + 16
        let reference = { (decrypt: Bool) in
            Measure.Loop(batch: long) {
                _ = OpenSSLReference.aead(buffer: payload, count: size, iterations: long, decrypt: decrypt)
            }
        }
        let m = Measure.interleaved(duration, [
            Measure.Loop(batch: batch) { for _ in 0..<batch { _ = sealer.seal(packet: buffer, length: size) } },
            reference(false),
            Measure.Loop(batch: batch) { for _ in 0..<batch { _ = opener.open(message: sealed, length: size + 32) } },
            reference(true),
            Measure.Loop(batch: long) { _ = OpenSSLReference.stream(buffer: payload, count: size, iterations: long) },
        ]).map { $0.gbps(bytes: size) }
        (f.seal, f.referenceSeal, f.open, f.referenceOpen, f.referenceStream) = (m[0], m[1], m[2], m[3], m[4])
        return f
    }

    /// `--alloc-check N`: N in-place seal and open pairs and nothing else, so that a heap profiler run with
    /// two values of N shows the allocations per packet (the difference divided by the extra packets), and
    /// callgrind the instructions per packet.
    static func allocationCheck(_ n: Int) {
        let (a, b) = pair()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: messageSize(1420), alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: 1, count: messageSize(1420))
        var ok = 0
        for _ in 0..<n {
            if let length = a.seal(packet: buffer, length: 1420), b.open(message: buffer, length: length) != nil { ok += 1 }
        }
        buffer.deallocate()
        print("sealed and opened \(ok) of \(n)")
    }
}

/// Scalar multiplications per complete handshake: DH only, and with the ephemeral public keys.
enum HandshakeCost {
    static let diffieHellman = 6
    static let withEphemeralPublicKeys = 8
}

/// Complete handshakes between two engines, and our X25519 rate.
enum HandshakeBenchmark {
    /// Complete handshakes per CPU-second (rounds per second, scaled by the share of rounds that completed a
    /// handshake: all of them when the engines work), measured in windows alternating with X25519 DHs
    /// through `X25519.KeyPair` (a loaded private key, as the handshake uses it), per CPU-second.
    static func run(duration: Double) -> (handshakes: Double, x25519: Double, completedAll: Bool) {
        let random = SeededRandom(seed: 21)
        let pair = HandshakePair()
        guard let key = X25519.KeyPair(privateKey: X25519.generatePrivateKey(using: random)),
              let peer = X25519.publicKey(for: X25519.generatePrivateKey(using: random)) else { return (0, 0, false) }
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: X25519.keySize, alignment: 16)
        defer { out.deallocate() }
        let m = Measure.interleaved(duration, [
            Measure.Loop(batch: 1) { pair.handshake() },
            Measure.Loop(batch: 8) { for _ in 0..<8 { _ = key.sharedSecret(with: peer, into: out) } },
        ])
        let share = pair.rounds == 0 ? 0 : Double(pair.completed) / Double(pair.rounds)
        return (m[0].perSecond * share, m[1].perSecond, pair.completed == pair.rounds)
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

        /// One round: re-enable persistent keepalive 200 s later, deliver every datagram until quiet.
        func handshake() {
            rounds += 1
            now.monotonic = now.monotonic + .seconds(200)
            now.wall.seconds += 200
            var effects: [Effect] = []
            a.apply(DeviceUpdate(peers: [PeerUpdate(publicKey: bPublic, updateOnly: true, persistentKeepalive: 0)]), now: now, effects: &effects)
            a.apply(DeviceUpdate(peers: [PeerUpdate(publicKey: bPublic, updateOnly: true, persistentKeepalive: 25)]), now: now, effects: &effects)
            // Turning persistent keepalive on sends a keepalive; with no fresh session that is an initiation.
            var queue: [(Engine, [UInt8], Endpoint)] = []
            for case .sendDatagram(let d, _, _) in effects { queue.append((b, d, ea)) }
            var steps = 0
            while !queue.isEmpty, steps < 8 {
                let (target, bytes, from) = queue.removeFirst()
                steps += 1
                var out: [Effect] = []
                target.handleDatagram(bytes, from: from, now: now, effects: &out)
                for effect in out {
                    switch effect {
                    case .sendDatagram(let d, _, _): queue.append(target === a ? (b, d, ea) : (a, d, eb))
                    case .event(.handshakeCompleted) where target === b: completed += 1
                    default: break
                    }
                }
            }
        }
    }
}
