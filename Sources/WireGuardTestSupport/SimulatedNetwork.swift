// SPDX-License-Identifier: MIT
// Several engines joined by a simulated UDP network with a manual clock and seeded faults. Nothing here
// touches a socket or a real clock, so timer behaviour over minutes runs in milliseconds.

import WireGuardCrypto
import WireGuardModel
import WireGuardProtocol

/// Seeded fault settings for datagrams in flight.
public struct LinkFaults: Sendable {
    public var dropRate = 0.0
    public var duplicateRate = 0.0
    /// Probability that a datagram is delayed by an extra `reorderDelay`, letting later ones overtake it.
    public var reorderRate = 0.0
    public var reorderDelay: Duration = .milliseconds(30)
    public var latency: Duration = .milliseconds(5)

    public init(dropRate: Double = 0, duplicateRate: Double = 0, reorderRate: Double = 0,
                latency: Duration = .milliseconds(5)) {
        self.dropRate = dropRate
        self.duplicateRate = duplicateRate
        self.reorderRate = reorderRate
        self.latency = latency
    }
}

/// One datagram on the simulated wire.
public struct Datagram: Sendable {
    public var bytes: [UInt8]
    public var from: Endpoint
    public var to: Endpoint
    public var sentAt: Instant
    /// The local address the sending engine asked to send from (its sticky source for the peer), if any.
    public var source: EndpointSource? = nil
}

/// A network of engines.
public final class SimulatedNetwork {
    /// One host: an engine, the address it sends from, and what came out of its TUN.
    public final class Node {
        public let engine: Engine
        public let privateKey: PrivateKey
        /// The source address of its datagrams; tests change it to roam.
        public var endpoint: Endpoint
        /// Further addresses the host owns (multi-homing; register them in `aliases` too): a datagram sent to
        /// one arrives with it as the local address, and one the engine sends from it leaves from it.
        public var localAddresses: [IPAddress] = []
        public internal(set) var tunOutput: [[UInt8]] = []
        public internal(set) var events: [Event] = []

        init(engine: Engine, privateKey: PrivateKey, endpoint: Endpoint) {
            self.engine = engine
            self.privateKey = privateKey
            self.endpoint = endpoint
        }

        public var publicKey: PublicKey { privateKey.publicKey! }

        /// Whether `address` is one of the host's own.
        public func owns(_ address: IPAddress) -> Bool {
            address == endpoint.address || localAddresses.contains(address)
        }
    }

    public let clock: ManualClock
    public var faults = LinkFaults()
    public private(set) var nodes: [Node] = []
    /// Every datagram handed to the wire, in order (before faults).
    public private(set) var wire: [Datagram] = []
    /// Called for each datagram before delivery; returning false drops it. May rewrite it (NAT, attacks).
    public var intercept: ((inout Datagram) -> Bool)?
    /// Addresses that forward to a node (NAT mappings): destination → node.
    public var aliases: [Endpoint: Node] = [:]
    private let faultRandom: SeededRandom
    private var inFlight: [(at: Instant, seq: Int, datagram: Datagram)] = []
    private var sequence = 0
    private var seed: UInt64

    public init(seed: UInt64 = 42) {
        self.seed = seed
        clock = ManualClock()
        faultRandom = SeededRandom(seed: seed ^ 0xFA17)
    }

    public var now: Now { clock.now }

    /// Adds a host with a fresh deterministic key.
    @discardableResult
    public func addNode(endpoint: Endpoint, privateKey: PrivateKey? = nil) -> Node {
        seed &+= 1
        let random = SeededRandom(seed: seed)
        let key = privateKey ?? PrivateKey.generate(using: random)
        let engine = Engine(random: random)
        var effects: [Effect] = []
        engine.apply(DeviceUpdate(privateKey: key, listenPort: endpoint.port), now: clock.now, effects: &effects)
        let node = Node(engine: engine, privateKey: key, endpoint: endpoint)
        nodes.append(node)
        process(effects, from: node)
        return node
    }

    /// Makes `a` and `b` peers of each other: each routes `bAllowed`/`aAllowed` to the other.
    public func connect(_ a: Node, _ b: Node, aAllowed: [String], bAllowed: [String], psk: PresharedKey? = nil,
                        aKeepalive: UInt16? = nil, bKeepalive: UInt16? = nil, aKnowsEndpoint: Bool = true,
                        bKnowsEndpoint: Bool = true) {
        configure(a, PeerUpdate(publicKey: b.publicKey, presharedKey: psk, endpoint: aKnowsEndpoint ? b.endpoint : nil,
                                persistentKeepalive: aKeepalive, allowedIPs: bAllowed.map { .add(IPPrefix($0)!) }))
        configure(b, PeerUpdate(publicKey: a.publicKey, presharedKey: psk, endpoint: bKnowsEndpoint ? a.endpoint : nil,
                                persistentKeepalive: bKeepalive, allowedIPs: aAllowed.map { .add(IPPrefix($0)!) }))
    }

    /// Applies a peer update to `node`.
    public func configure(_ node: Node, _ update: PeerUpdate) {
        apply(node, DeviceUpdate(peers: [update]))
    }

    public func apply(_ node: Node, _ update: DeviceUpdate) {
        var effects: [Effect] = []
        node.engine.apply(update, now: clock.now, effects: &effects)
        process(effects, from: node)
    }

    /// An IP packet written to `node`'s TUN by its kernel.
    public func sendFromTun(_ node: Node, _ packet: [UInt8]) {
        var effects: [Effect] = []
        node.engine.handleTunPacket(packet, now: clock.now, effects: &effects)
        process(effects, from: node)
    }

    /// Hands a raw datagram to `node` as if it came from `source` to its address `local` (default: its
    /// primary address) (attacks, replays).
    public func inject(_ bytes: [UInt8], to node: Node, from source: Endpoint, local: IPAddress? = nil) {
        var effects: [Effect] = []
        let arrival = EndpointSource(address: local ?? node.endpoint.address, interfaceIndex: 0)
        node.engine.handleDatagram(bytes, from: source, local: arrival, now: clock.now, effects: &effects)
        process(effects, from: node)
    }

    /// Runs the network until `instant`: delivers datagrams and fires timers in time order.
    public func run(until instant: Instant) {
        while true {
            let nextDelivery = inFlight.min { ($0.at, $0.seq) < ($1.at, $1.seq) }?.at
            let nextTimer = nodes.compactMap { $0.engine.nextDeadline }.min()
            let next = [nextDelivery, nextTimer].compactMap { $0 }.min()
            guard let next, next <= instant else { break }
            clock.set(to: max(next, clock.now.monotonic))
            let now = clock.now.monotonic
            let due = inFlight.filter { $0.at <= now }.sorted { ($0.at, $0.seq) < ($1.at, $1.seq) }
            inFlight.removeAll { $0.at <= now }
            for item in due { deliver(item.datagram) }
            for node in nodes {
                if let d = node.engine.nextDeadline, d <= now {
                    var effects: [Effect] = []
                    node.engine.handleTimers(now: clock.now, effects: &effects)
                    process(effects, from: node)
                }
            }
        }
        clock.set(to: instant)
    }

    /// Runs for `duration` from now.
    public func run(for duration: Duration) { run(until: clock.now.monotonic + duration) }

    /// Datagrams on the wire sent by `node` (handshake types 1–3 and transport 4), optionally since an index.
    public func datagrams(from node: Node, type: UInt8? = nil, since: Int = 0) -> [Datagram] {
        wire[since...].filter { $0.from == node.endpoint && (type == nil || $0.bytes.first == type) }
    }

    private func node(at endpoint: Endpoint) -> Node? {
        aliases[endpoint] ?? nodes.first { $0.endpoint == endpoint }
    }

    /// Performs effects `node`'s engine produced in a call the test made directly (datagrams onto the wire,
    /// TUN writes and events recorded).
    public func process(_ effects: [Effect], from node: Node) {
        for effect in effects {
            switch effect {
            case .sendDatagram(let bytes, let to, let source):
                // From the sticky source when the host owns it; else, as the device does when sendmsg fails
                // with EINVAL, the engine forgets it and routing (here: the primary address) chooses.
                var from = node.endpoint
                if let source {
                    if node.owns(source.address) {
                        from = Endpoint(address: source.address, port: node.endpoint.port)
                    } else {
                        node.engine.endpointSourceFailed(remote: to, source: source)
                    }
                }
                let d = Datagram(bytes: bytes, from: from, to: to, sentAt: clock.now.monotonic, source: source)
                wire.append(d)
                transmit(d)
            case .writeToTun(let packet):
                node.tunOutput.append(packet)
            case .event(let e):
                node.events.append(e)
            }
        }
    }

    private func transmit(_ d: Datagram) {
        if faultRandom.nextDouble() < faults.dropRate { return }
        let copies = faultRandom.nextDouble() < faults.duplicateRate ? 2 : 1
        for _ in 0..<copies {
            var at = clock.now.monotonic + faults.latency
            if faultRandom.nextDouble() < faults.reorderRate { at = at + faults.reorderDelay }
            sequence += 1
            inFlight.append((at, sequence, d))
        }
    }

    private func deliver(_ datagram: Datagram) {
        var d = datagram
        if let intercept, !intercept(&d) { return }
        guard let target = node(at: d.to) else { return }
        // The local address it arrives on: the one it was sent to, unless a NAT alias rewrote it to the
        // host's primary address.
        let local = EndpointSource(address: target.owns(d.to.address) ? d.to.address : target.endpoint.address,
                                   interfaceIndex: 0)
        var effects: [Effect] = []
        target.engine.handleDatagram(d.bytes, from: d.from, local: local, now: clock.now, effects: &effects)
        process(effects, from: target)
    }
}
