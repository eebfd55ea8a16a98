// SPDX-License-Identifier: MIT
// The world of the engine fuzz target: engine A (the one under test: a known private key, one peer B) and
// engine B (A's peer, so that real handshake and transport messages can be made), a manual clock, and a pool
// of every datagram either side sent, for the fuzzer to replay and mutate. Only public entry points are used
// (init, apply, handleDatagram, handleTunPacket, handleTimers, reportHandshakeBacklog), so the harness keeps
// working while the receive path changes.

import WireGuardCrypto
import WireGuardModel
import WireGuardProtocol
import WireGuardTestSupport

#if canImport(Glibc)
import Glibc
#endif

final class EnginePair {
    /// Where A starts before the fuzzer's records run.
    enum Scenario: UInt8, CaseIterable {
        /// Configured, no handshake yet.
        case fresh
        /// A sent an initiation and B answered; the response is in the pool, not delivered.
        case initiated
        /// A initiated and the session is confirmed both ways.
        case established
        /// B initiated; A answered and waits for B's first data packet (in the pool, not delivered).
        case awaitingConfirmation
    }

    static let keyA = PrivateKey(bytes: [UInt8](repeating: 0x11, count: 32))!
    static let keyB = PrivateKey(bytes: [UInt8](repeating: 0x22, count: 32))!
    static let endpointA = Endpoint("192.0.2.1:51820")!
    static let endpointB = Endpoint("192.0.2.2:51820")!
    /// Sources a datagram may come from besides B's endpoint (roaming, spoofing).
    static let otherSources = [Endpoint("203.0.113.9:1234")!, Endpoint("[2001:db8::9]:4321")!, endpointA]
    static let innerA4 = IPAddress("10.9.0.1")!, innerB4 = IPAddress("10.9.0.2")!
    static let innerA6 = IPAddress("fd00::1")!, innerB6 = IPAddress("fd00::2")!
    /// Upper bound on the pool, so an input's cost stays bounded.
    static let maxPool = 64

    let a: Engine
    /// Made on first use: most inputs of the fresh scenario never reach B, and its keys cost two X25519.
    private(set) lazy var b: Engine = makeB()
    private let presharedKey: PresharedKey?
    /// Whether `b` exists yet (its timers run only then).
    private var bMade = false
    private(set) var monotonic = Instant(nanoseconds: 1_000_000_000)
    private var wall = WallTime(seconds: 1_700_000_000)
    /// Every datagram sent by either engine, in order.
    private(set) var pool: [[UInt8]] = []
    /// The sender indices of A's initiations and responses (what B's replies and data carry back).
    private(set) var indicesOfA: [[UInt8]] = []

    init(scenario: Scenario, psk: Bool, keepalive: Bool) {
        a = Engine(random: SeededRandom(seed: 1))
        presharedKey = psk ? PresharedKey(bytes: [UInt8](repeating: 0x33, count: 32)) : nil
        var effects: [Effect] = []
        a.apply(DeviceUpdate(privateKey: Self.keyA, listenPort: 51820, peers: [
            PeerUpdate(publicKey: Self.keyB.publicKey!, presharedKey: presharedKey, endpoint: Self.endpointB,
                       persistentKeepalive: keepalive ? 1 : nil,
                       allowedIPs: [.add(IPPrefix("10.9.0.2/32")!), .add(IPPrefix("fd00::2/128")!)]),
        ]), now: now, effects: &effects)
        checkA(effects)
        switch scenario {
        case .fresh:
            break
        case .initiated:
            sendFromA(ping(from: Self.innerA4, to: Self.innerB4), deliver: false)
        case .established:
            sendFromA(ping(from: Self.innerA4, to: Self.innerB4), deliver: true)
        case .awaitingConfirmation:
            sendFromB(ping(from: Self.innerB4, to: Self.innerA4), deliver: false)
            for message in pool where message.count == 148 { receiveAtA(message, from: Self.endpointB) }
        }
    }

    var now: Now { Now(monotonic: monotonic, wall: wall) }

    private func makeB() -> Engine {
        bMade = true
        let engine = Engine(random: SeededRandom(seed: 2))
        var effects: [Effect] = []
        engine.apply(DeviceUpdate(privateKey: Self.keyB, listenPort: 51820, peers: [
            PeerUpdate(publicKey: Self.keyA.publicKey!, presharedKey: presharedKey, endpoint: Self.endpointA,
                       allowedIPs: [.add(IPPrefix("0.0.0.0/0")!), .add(IPPrefix("::/0")!)]),
        ]), now: now, effects: &effects)
        return engine
    }

    /// Moves the clock and runs A's (and B's) timers if due.
    func advance(_ duration: Duration) {
        monotonic = monotonic + duration
        wall = WallTime(seconds: wall.seconds + duration.components.seconds, nanoseconds: wall.nanoseconds)
        var effects: [Effect] = []
        if let due = a.nextDeadline, due <= monotonic { a.handleTimers(now: now, effects: &effects) }
        forwardFromA(effects)
        effects.removeAll()
        if bMade, let due = b.nextDeadline, due <= monotonic { b.handleTimers(now: now, effects: &effects) }
        collect(effects)
    }

    /// Gives A one datagram, in a buffer of exactly its size (so the address sanitizer sees any overrun).
    func receiveAtA(_ bytes: [UInt8], from source: Endpoint) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        defer { buffer.deallocate() }
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        var effects: [Effect] = []
        if Self.trace { print("A receives \(bytes.count) bytes (type \(bytes.first ?? 0)) from \(source)") }
        if let range = a.handleDatagram(buffer: buffer, count: bytes.count, from: source, now: now, effects: &effects) {
            if Self.trace { print("A: TUN gets \(range.count) bytes") }
            precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "TUN range outside the datagram")
            checkInnerSource(Array(buffer[range]))
        }
        forwardFromA(effects)
    }

    /// A reads `packet` from its TUN.
    func sendFromA(_ packet: [UInt8], deliver: Bool) {
        var effects: [Effect] = []
        a.handleTunPacket(packet, now: now, effects: &effects)
        forwardFromA(effects, deliver: deliver, fromTun: true)
    }

    /// B reads `packet` from its TUN; what B sends goes to the pool and, if `deliver`, to A.
    func sendFromB(_ packet: [UInt8], deliver: Bool) {
        var effects: [Effect] = []
        b.handleTunPacket(packet, now: now, effects: &effects)
        let sent = collect(effects)
        if deliver { for message in sent { receiveAtA(message, from: Self.endpointB) } }
    }

    /// A's effects: each datagram is checked, pooled, and handed to B; B's answers are pooled and, when
    /// `deliver`, handed back to A (a whole exchange).
    private func forwardFromA(_ effects: [Effect], deliver: Bool = false, fromTun: Bool = false) {
        checkA(effects, fromTun: fromTun)
        for case .sendDatagram(let bytes, _, _) in effects {
            addToPool(bytes)
            if (bytes.count == 148 || bytes.count == 92), indicesOfA.count < Self.maxPool { indicesOfA.append(Array(bytes[4..<8])) }
            var answers: [Effect] = []
            b.handleDatagram(bytes, from: Self.endpointA, now: now, effects: &answers)
            let sent = collect(answers)
            if deliver { for message in sent { receiveAtA(message, from: Self.endpointB) } }
        }
    }

    /// Pools B's datagrams and returns them.
    @discardableResult
    private func collect(_ effects: [Effect]) -> [[UInt8]] {
        var sent: [[UInt8]] = []
        for case .sendDatagram(let bytes, _, _) in effects {
            addToPool(bytes)
            sent.append(bytes)
        }
        return sent
    }

    private func addToPool(_ bytes: [UInt8]) {
        if pool.count < Self.maxPool { pool.append(bytes) }
    }

    /// FUZZ_TRACE=1 prints what A does (to see how far an input gets when replaying it).
    static let trace = getenv("FUZZ_TRACE") != nil

    /// What A emits must be well formed whatever it was fed. A TUN packet no peer takes is answered on the
    /// TUN with an ICMP error (`fromTun`); anything else A writes to its TUN was received from B.
    private func checkA(_ effects: [Effect], fromTun: Bool = false) {
        for effect in effects {
            if Self.trace { print("A: \(effect)") }
            switch effect {
            case .sendDatagram(let bytes, _, _):
                let sizes = [148, 92, 64]
                let transport = bytes.count >= 32 && (bytes.count - 32) % 16 == 0 && bytes.first == 4
                precondition(sizes.contains(bytes.count) || transport, "A sent a malformed datagram of \(bytes.count) bytes")
            case .writeToTun(let packet) where fromTun:
                let icmp4 = packet.count >= 20 && packet[0] >> 4 == 4 && packet[9] == 1
                let icmp6 = packet.count >= 40 && packet[0] >> 4 == 6 && packet[6] == 58
                precondition(icmp4 || icmp6, "A answered a TUN packet with something other than ICMP")
            case .writeToTun(let packet):
                checkInnerSource(packet)
            case .event:
                break
            }
        }
    }

    /// A packet A writes to its TUN must come from one of B's allowed IPs (cryptokey routing).
    private func checkInnerSource(_ packet: [UInt8]) {
        let v4 = packet.count >= 20 && packet[0] >> 4 == 4 && Array(packet[12..<16]) == Self.innerB4.bytes
        let v6 = packet.count >= 40 && packet[0] >> 4 == 6 && Array(packet[8..<24]) == Self.innerB6.bytes
        precondition(v4 || v6, "A delivered a packet whose source is not B's")
    }

    func ping(from source: IPAddress, to destination: IPAddress) -> [UInt8] {
        PacketBuilder.ping(from: source, to: destination, sequence: 1, payload: [UInt8](repeating: 0x61, count: 16))
    }
}
