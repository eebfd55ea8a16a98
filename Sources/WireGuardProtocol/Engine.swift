// SPDX-License-Identifier: MIT
// The whole WireGuard protocol for one interface, without I/O: datagrams, TUN packets, timer ticks and
// configuration go in, with the current time; effects come out, and `nextDeadline` says when to call
// `handleTimers` next. Randomness is injected. (kernel device.c / wireguard-go device.go)
//
// Two entry styles share one implementation:
// - in place (`handleTunPacket(buffer:…)`, `handleDatagram(buffer:…)`): the data path. The caller owns
//   preallocated buffers with 16 bytes of headroom and room for padding and the tag; a data packet is
//   sealed or opened where it lies and the call returns where to send it or what to write to the TUN,
//   with no allocation.
// - by value (`handleTunPacket(_:…)`, `handleDatagram(_:…)`): copies into a buffer and reports everything as
//   effects. Tests and simulations use it.

import WireGuardCrypto
import WireGuardModel

/// A sealed transport message ready to send: `range` of the caller's buffer, to `endpoint`.
public struct Transmission: Equatable, Sendable {
    public var endpoint: Endpoint
    /// The local address to send from (the peer's sticky source); nil lets routing choose.
    public var source: EndpointSource? = nil
    public var range: Range<Int>
}

/// One WireGuard interface's protocol state. Not thread-safe: owned by one thread.
public final class Engine {
    let random: any RandomSource
    var identity: StaticIdentity?
    var privateKey: PrivateKey?
    var cookieChecker: CookieChecker?
    var peersByKey: [PublicKey: PeerState] = [:]
    /// Peers in the order they were added (what `status` reports, as the kernel's list).
    var peerList = PeerList()
    /// Peers with an armed timer, earliest first.
    let timers = TimerQueue()
    /// Creation counter for `PeerState.sequence`.
    var peersCreated = 0
    /// Peers `handleTimers` has looked at since the engine was created (tests: the work per wake-up
    /// follows the due peers, not the idle ones).
    var timerPeersVisited = 0
    var indexTable = IndexTable()
    var allowedIPs = AllowedIPs<PeerState>()
    var rateLimiter = RateLimiter()
    /// Cookie replies per source while under load.
    var cookieReplyLimiter = RateLimiter(perSecond: Constants.cookieReplyRatePerSecond, burst: Constants.cookieReplyBurst)
    var underLoadUntil: Instant?
    /// Metrics counts no peer can be named for, and those of removed peers (Engine+Counters.swift).
    var counters = TrafficCounters()
    /// Inner MTU used for padding (the TUN's MTU).
    public var mtu: Int = Constants.defaultMTU
    /// Age at which the initiator of a session rekeys on send: `Constants.rekeyAfterTime`, shortened only by
    /// tests that need many rekeys in one run (the daemon's WG_TEST_REKEY_AFTER_SECONDS).
    public var rekeyAfterTime: Duration = Constants.rekeyAfterTime
    /// Configured listen port and fwmark, kept for `status` (binding them is the device's job).
    public internal(set) var listenPort: UInt16 = 0
    public internal(set) var fwmark: UInt32 = 0
    /// Whether the interface is up (kernel `netif_running`). While down nothing is sent or received, no
    /// timer runs and configuration is only recorded; see Engine+Link.swift. A new engine is up.
    public internal(set) var isUp = true
    /// Rate limits for the ICMP errors answering packets no peer can take (Engine+Unreachable.swift).
    var icmpLimiter = ICMPRateLimiter()

    /// An engine with no key and no peers.
    public init(random: any RandomSource) {
        self.random = random
    }

    deinit {
        // Peers may outlive the engine (held by a caller): they must not reach its timer heap then.
        peerList.forEach { $0.timerQueue = nil }
    }

    /// Our public key, if a private key is set.
    public var publicKey: PublicKey? { identity?.publicKey }

    /// The peer with this public key.
    public func peer(_ key: PublicKey) -> PeerState? { peersByKey[key] }

    /// The peer whose allowed IPs hold the longest prefix containing `address` (cryptokey routing).
    @inline(__always)
    public func route(to address: IPAddress) -> PeerState? { allowedIPs.lookup(address) }

    /// All peers in insertion order.
    public var peers: [PeerState] { peerList.all }

    // MARK: Load

    /// The host reports how many handshake messages are waiting to be processed (its queue's depth, as the
    /// kernel's and wireguard-go's). At `Constants.underLoadQueueThreshold` or more, the engine is under load
    /// for the next second: every initiation and response must then carry a valid MAC2 (cookie) and pass the
    /// per-source rate limiter; the others get a cookie reply (see `admitHandshake`).
    public func reportHandshakeBacklog(_ count: Int, now: Instant) {
        if count >= Constants.underLoadQueueThreshold {
            underLoadUntil = now + Constants.underLoadAfterTime
        }
    }

    /// True while the engine is under load.
    public func isUnderLoad(now: Instant) -> Bool {
        if let until = underLoadUntil, now < until { return true }
        return false
    }

    // MARK: Deadlines

    /// The earliest instant at which `handleTimers` has work to do; nil when no timer is armed or the interface
    /// is down. O(1).
    public var nextDeadline: Instant? {
        guard isUp else { return nil }
        return timers.earliest
    }

    // MARK: By-value entry points

    /// Handles one UDP payload from `source`, received on the local address `local`; every outcome is
    /// reported in `effects`.
    public func handleDatagram(_ bytes: [UInt8], from source: Endpoint, local: EndpointSource? = nil, now: Now,
                               effects: inout [Effect]) {
        var buffer = bytes
        let delivered = buffer.withUnsafeMutableBytes { buf in
            handleDatagram(buffer: buf, count: bytes.count, from: source, local: local, now: now, effects: &effects)
        }
        if let range = delivered { effects.append(.writeToTun(Array(buffer[range]))) }
    }

    /// Handles one IP packet read from the TUN; every outcome is reported in `effects`.
    public func handleTunPacket(_ packet: [UInt8], now: Now, effects: inout [Effect]) {
        let headroom = Constants.transportHeaderSize
        var buffer = [UInt8](repeating: 0, count: headroom + packet.count + Constants.paddingMultiple + Constants.transportTagSize)
        buffer.replaceSubrange(headroom..<(headroom + packet.count), with: packet)
        let sent = buffer.withUnsafeMutableBytes { buf in
            handleTunPacket(buffer: buf, offset: headroom, count: packet.count, now: now, effects: &effects)
        }
        if let sent {
            effects.append(.sendDatagram(Array(buffer[sent.range]), to: sent.endpoint, from: sent.source))
        } else if let reply = unreachableReply(to: packet, now: now.monotonic) {
            effects.append(.writeToTun(reply))
        }
    }

    // MARK: Index table helpers

    /// Registers the handshake in flight under a new index, dropping the index of any earlier one.
    func registerHandshake(_ peer: PeerState) -> UInt32 {
        unregisterHandshake(peer)
        return indexTable.insert(.handshake(peer), random: random)
    }

    func unregisterHandshake(_ peer: PeerState) {
        let old = peer.handshake.localIndex
        if case .handshake(let p)? = indexTable[old], p === peer { indexTable.remove(old) }
    }

    /// Forgets keypairs: their indices stop resolving, and their keys are freed (and wiped) with them.
    func destroy(_ keypairs: [Keypair]) {
        for kp in keypairs {
            if case .keypair(let k, _)? = indexTable[kp.localIndex], k === kp { indexTable.remove(kp.localIndex) }
        }
    }

    /// Updates the peer's endpoint and its sticky source from an authenticated packet that came from
    /// `source` to our local address `local` (roaming; kernel `wg_socket_set_peer_endpoint`).
    func updateEndpoint(_ peer: PeerState, _ source: Endpoint, local: EndpointSource?, effects: inout [Effect]) {
        if peer.endpointSource != local { peer.endpointSource = local }
        if peer.endpoint != source {
            peer.endpoint = source
            effects.append(.event(.endpointChanged(peer: peer.publicKey, to: source)))
        }
    }
}
