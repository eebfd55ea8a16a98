// SPDX-License-Identifier: MIT
// Benchmarks for the protocol core: transport seal/open in place at 1420 bytes on one core, complete
// handshakes per second, and AllowedIPs lookups with 10,000 prefixes. Each figure is printed beside its
// reference measured in the same run on the same core: OpenSSL's own AEAD loop and `openssl speed` for the
// transport, the X25519 rate (ours and `openssl speed ecdhx25519`) for handshakes. Figures, not pass/fail.
//
//   wireguard-bench [seconds] [--no-openssl]   figures (default 2 CPU-seconds each)
//   wireguard-bench --alloc-check N            N seal+open pairs only (heap and instruction profiles)
//   wireguard-bench --handshakes N             N complete handshakes only (heap and instruction profiles)
//   wireguard-bench --flood [seconds]          the handshake-flood reject path only
//   wireguard-bench --flood-alloc N            N x 64 rejected initiations only (heap profiles)

import WireGuardCrypto
import WireGuardModel
import WireGuardProtocol
import WireGuardTestSupport

/// Benchmark runner behind the `wireguard-bench` executable.
public enum Benchmarks {
    /// The transport payload size measured: a full 1420-byte MTU packet.
    static let packetSize = 1420
    /// A figure within this share of `openssl speed`'s counts as the same measurement.
    static let sameFigureTolerance = 0.1

    public static func main(arguments: [String]) {
        switch arguments.first {
        case "--alloc-check":
            TransportBenchmark.allocationCheck(Int(arguments.dropFirst().first ?? "") ?? 1000)
        case "--flood-alloc":
            FloodBenchmark.allocationCheck(Int(arguments.dropFirst().first ?? "") ?? 1000)
        case "--flood":
            let duration = arguments.lazy.compactMap(Double.init).first ?? 2.0
            _ = Measure.pinToCurrentCPU()
            flood(duration: duration)
        case "--handshakes":
            let pair = HandshakeBenchmark.HandshakePair()
            for _ in 0..<(Int(arguments.dropFirst().first ?? "") ?? 100) { pair.handshake() }
            print("completed \(pair.completed) of \(pair.rounds) handshakes")
        default:
            let duration = arguments.lazy.compactMap(Double.init).first ?? 2.0
            report(duration: duration, spawnOpenSSL: !arguments.contains("--no-openssl"))
        }
    }

    /// Measures and prints every figure with its reference; `spawnOpenSSL` adds the `openssl speed` runs.
    static func report(duration: Double, spawnOpenSSL: Bool) {
        let cpu = Measure.pinToCurrentCPU()
        let seconds = max(1, Int((duration / Double(OpenSSLSpeed.runs)).rounded()))
        print("wireguard-swift protocol core benchmarks: one core\(cpu.map { " (CPU \($0))" } ?? ""), \(duration) CPU-s per figure;",
              "rates per CPU-second as openssl speed counts them,",
              "best of \(Measure.windows) windows (openssl: of \(OpenSSLSpeed.runs) runs)")
        print("AEAD path: " + (ChaCha20Poly1305Context.usesProviderDispatch ? "OpenSSL provider functions called directly"
                                                                        : "OpenSSL EVP calls (provider table unavailable)"))

        let t = TransportBenchmark.run(duration: duration, size: packetSize)
        let speed = spawnOpenSSL ? OpenSSLSpeed.aead(seconds: seconds, bytes: packetSize) : nil
        let g = { (v: Double) in String(format1: v) + " Gbit/s" }
        let vsSpeed = { (v: Double) in speed?.gbps.map { ", " + String(percent: v, of: $0) + " of openssl speed" } ?? "" }
        print("transport seal (in place, \(packetSize) B)".padded(38), g(t.seal).padded(13),
              String(percent: t.seal, of: t.referenceSeal), "of OpenSSL per-message AEAD" + vsSpeed(t.seal))
        print("transport open (in place, \(packetSize) B)".padded(38), g(t.open).padded(13),
              String(percent: t.open, of: t.referenceOpen), "of OpenSSL per-message AEAD" + vsSpeed(t.open))
        print("  OpenSSL per-message AEAD (apps/speed.c's AEAD loop, in process): seal \(g(t.referenceSeal)),",
              "open \(g(t.referenceOpen))")
        print("  OpenSSL stream (apps/speed.c's plain EVP loop, one nonce, no per-message work): \(g(t.referenceStream))")
        if let speed {
            print("  \(speed.command): \(speed.gbps.map(g) ?? "did not run")")
            if let s = speed.gbps, abs(s - t.referenceStream) <= sameFigureTolerance * t.referenceStream,
               s > (1 + sameFigureTolerance) * t.referenceSeal {
                print("    = the stream loop: this openssl's speed runs ChaCha20-Poly1305 (mode \"stream\") without",
                      "its AEAD loop, so it does no per-message nonce, Poly1305 key, final or tag")
            }
        }

        let h = HandshakeBenchmark.run(duration: duration)
        let openssl = spawnOpenSSL ? OpenSSLSpeed.x25519(seconds: seconds) : nil
        print("X25519 DH (X25519.KeyPair)".padded(38), String(grouped: h.x25519), "per second",
              openssl.map { "(\($0.command): " + ($0.perSecond.map { String(grouped: $0) } ?? "did not run") + ")" } ?? "")
        // The bounds use our own X25519 rate, measured in windows alternating with the handshakes, so both
        // saw the same machine; `openssl speed` is printed above as a check on that rate.
        let bound6 = h.x25519 / Double(HandshakeCost.diffieHellman)
        let bound8 = h.x25519 / Double(HandshakeCost.withEphemeralPublicKeys)
        print("complete handshakes".padded(38), String(grouped: h.handshakes), "per second =",
              String(percent: h.handshakes, of: bound6), "of X25519/\(HandshakeCost.diffieHellman) (\(String(grouped: bound6))),",
              String(percent: h.handshakes, of: bound8),
              "of X25519/\(HandshakeCost.withEphemeralPublicKeys) (\(String(grouped: bound8)))",
              h.completedAll ? "" : "(SOME ROUNDS DID NOT COMPLETE)")
        print("  a handshake takes 6 DH + 2 ephemeral public keys; OpenSSL 3.0 computes a public key as slowly as a DH")

        flood(duration: duration)
        allowedIPs(duration: duration)
    }

    /// The handshake-flood reject path (FloodBenchmark): cookie replies and admissions per second.
    static func flood(duration: Double) {
        let f = FloodBenchmark.run(duration: duration)
        print("cookie replies (MAC1 checked, built)".padded(38), String(grouped: f.replies), "per second =",
              String(percent: f.replies, of: Double(FloodBenchmark.goal)), "of the goal (\(String(grouped: Double(FloodBenchmark.goal))))")
        print("flood admission under load (8x256)".padded(38), String(grouped: f.admissions), "per second",
              "(MAC1, per-source cookie limit: a few replies, the rest dropped)")
    }

    /// AllowedIPs lookups per second with 10,000 random IPv4 prefixes over 100 peers.
    static func allowedIPs(duration: Double) {
        let engine = Engine(random: SeededRandom(seed: 5))
        var effects: [Effect] = []
        let random = SeededRandom(seed: 7)
        var update = DeviceUpdate(privateKey: PrivateKey.generate(using: random))
        for _ in 0..<100 {
            update.peers.append(PeerUpdate(publicKey: PrivateKey.generate(using: random).publicKey!))
        }
        for i in 0..<10_000 {
            let len = 8 + Int(random.next() % 25)
            let prefix = IPPrefix(address: .v4(UInt32(truncatingIfNeeded: random.next())), length: len)!
            update.peers[i % 100].allowedIPs.append(.add(prefix))
        }
        let now = Now(monotonic: Instant(nanoseconds: 1_000_000_000), wall: WallTime(seconds: 1_700_000_000))
        engine.apply(update, now: now, effects: &effects)
        let probes = (0..<4096).map { _ in IPAddress.v4(UInt32(truncatingIfNeeded: random.next())) }
        var p = 0, hits = 0
        let m = Measure.run(duration, batch: 64) {
            for _ in 0..<64 {
                if engine.route(to: probes[p & 4095]) != nil { hits += 1 }
                p += 1
            }
        }
        let hitRate = probes.filter { engine.route(to: $0) != nil }.count * 100 / probes.count
        print("AllowedIPs lookups (10,000 prefixes)".padded(38), String(format1: m.perSecond / 1e6), "million per second",
              "(\(hitRate)% of probes match)")
    }
}
