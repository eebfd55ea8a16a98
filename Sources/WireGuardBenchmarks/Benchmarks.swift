// SPDX-License-Identifier: MIT
// Benchmarks for the protocol core: transport seal/open in place at 1420 bytes on one core, complete
// handshakes per second, and AllowedIPs lookups with 10,000 prefixes. Figures, not pass/fail.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardCrypto
import WireGuardModel
import WireGuardProtocol
import WireGuardTestSupport

/// Benchmark runner behind the `wireguard-bench` executable.
public enum Benchmarks {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Runs `body` repeatedly for about `duration` seconds; returns (iterations, elapsed).
    static func measure(_ duration: Double, _ body: () -> Void) -> (Int, Double) {
        let warm = seconds()
        while seconds() - warm < min(0.5, duration / 2) { for _ in 0..<64 { body() } }
        let start = seconds()
        var n = 0
        while true {
            for _ in 0..<256 { body() }
            n += 256
            let elapsed = seconds() - start
            if elapsed >= duration { return (n, elapsed) }
        }
    }

    /// `--alloc-check N`: N in-place seal and open pairs and nothing else, so that a heap profiler run with
    /// two values of N shows the allocations per packet (the difference divided by the extra packets).
    static func allocationCheck(_ n: Int) {
        let key = Secret([UInt8](repeating: 0x33, count: 32))
        let a = Keypair(sendingKey: key, receivingKey: key, isInitiator: true, localIndex: 1, remoteIndex: 2,
                        created: Instant(nanoseconds: 0))!
        let b = Keypair(sendingKey: key, receivingKey: key, isInitiator: false, localIndex: 2, remoteIndex: 1,
                        created: Instant(nanoseconds: 0))!
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1452, alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: 1, count: 1452)
        var ok = 0
        for _ in 0..<n {
            if let length = a.seal(packet: buffer, length: 1420), b.open(message: buffer, length: length) != nil { ok += 1 }
        }
        buffer.deallocate()
        print("sealed and opened \(ok) of \(n)")
    }

    public static func main(arguments: [String]) {
        if arguments.first == "--alloc-check" {
            allocationCheck(Int(arguments.dropFirst().first ?? "") ?? 1000)
            return
        }
        let duration = arguments.first.flatMap(Double.init) ?? 2.0
        let size = 1420
        let key = [UInt8](repeating: 0x5A, count: 32)
        let sealer = Keypair(sendingKey: Secret(key), receivingKey: Secret(key), isInitiator: true, localIndex: 1,
                             remoteIndex: 2, created: Instant(nanoseconds: 0))!
        let opener = Keypair(sendingKey: Secret(key), receivingKey: Secret(key), isInitiator: false, localIndex: 2,
                             remoteIndex: 1, created: Instant(nanoseconds: 0))!
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 16 + size + 16, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xAB, count: 16 + size + 16)

        print("wireguard-swift protocol core benchmarks (one core, \(duration) s each)")
        let (sealN, sealT) = measure(duration) { _ = sealer.seal(packet: buffer, length: size) }
        print("transport seal (in place, \(size) B)".padded(36), gbps(sealN, size, sealT))

        // Open a valid message repeatedly: seal once per open so the tag verifies.
        let pristine = UnsafeMutableRawPointer.allocate(byteCount: 16 + size + 16, alignment: 64)
        defer { pristine.deallocate() }
        _ = sealer.seal(packet: buffer, length: size)
        pristine.copyMemory(from: buffer, byteCount: 16 + size + 16)
        var failures = 0
        let (openN, openT) = measure(duration) {
            // Decryption in place turns ciphertext into plaintext; restore the 1452-byte message each time
            // (a memcpy, which makes this figure slightly pessimistic).
            buffer.copyMemory(from: pristine, byteCount: 16 + size + 16)
            if opener.open(message: buffer, length: size + 32) == nil { failures += 1 }
        }
        print("transport open (in place, \(size) B)".padded(36), gbps(openN, size, openT),
              failures == 0 ? "" : "(\(failures) FAILED)")

        let pair = HandshakePair()
        let before = pair.completed, rounds = pair.rounds
        let (hsN, hsT) = measure(duration / 2) { pair.handshake() }
        let done = pair.completed - before
        print("complete handshakes".padded(36), String(format1: Double(done) / hsT), "per second",
              done == pair.rounds - rounds ? "" : "(only \(done) of \(hsN) rounds completed)")

        let engine = Engine(random: SeededRandom(seed: 5))
        var effects: [Effect] = []
        let random = SeededRandom(seed: 7)
        var update = DeviceUpdate(privateKey: PrivateKey.generate(using: random))
        for _ in 0..<100 {
            update.peers.append(PeerUpdate(publicKey: PrivateKey.generate(using: random).publicKey!))
        }
        for i in 0..<10_000 {
            let len = 8 + Int(random.next() % 25)
            update.peers[i % 100].allowedIPs.append(.add(IPPrefix(address: .v4(UInt32(truncatingIfNeeded: random.next())), length: len)!))
        }
        engine.apply(update, now: pair.now, effects: &effects)
        let probes = (0..<4096).map { _ in IPAddress.v4(UInt32(truncatingIfNeeded: random.next())) }
        var p = 0
        var hits = 0
        let (luN, luT) = measure(duration) {
            if engine.route(to: probes[p & 4095]) != nil { hits += 1 }
            p += 1
        }
        let hitRate = probes.filter { engine.route(to: $0) != nil }.count * 100 / probes.count
        print("AllowedIPs lookups (10,000 prefixes)".padded(36), String(format1: Double(luN) / luT / 1e6), "million per second",
              "(\(hitRate)% of probes match)")
    }

    /// Two engines that handshake again and again: the clock moves 200 s per round, past
    /// rejectAfterTime, so the keepalive sent when persistent keepalive is switched on needs a new session:
    /// each round is one full initiation, response and confirmation.
    final class HandshakePair {
        let a = Engine(random: SeededRandom(seed: 10))
        let b = Engine(random: SeededRandom(seed: 11))
        let ea = Endpoint("10.0.0.1:1")!, eb = Endpoint("10.0.0.2:2")!
        var now = Now(monotonic: Instant(nanoseconds: 1_000_000_000_000), wall: WallTime(seconds: 1_700_000_000))
        var completed = 0
        var rounds = 0
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
            var rounds = 0
            while !queue.isEmpty, rounds < 8 {
                let (target, bytes, from) = queue.removeFirst()
                rounds += 1
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


    static func gbps(_ n: Int, _ size: Int, _ t: Double) -> String {
        String(format1: Double(n) * Double(size) * 8 / t / 1e9) + " Gbit/s"
    }
}

extension String {
    init(format1 v: Double) {
        let scaled = (v * 10).rounded() / 10
        self = "\(scaled)"
    }

    func padded(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
