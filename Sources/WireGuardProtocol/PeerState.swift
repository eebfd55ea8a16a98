// SPDX-License-Identifier: MIT

import WireGuardCrypto
import WireGuardModel

/// Everything the engine knows about one peer (kernel peer.h, wireguard-go peer.go). Owned by the engine's
/// thread; not Sendable.
public final class PeerState {
    public let publicKey: PublicKey
    let handshake: Handshake
    var cookieGenerator: CookieGenerator
    var keypairs = KeypairSlots()
    /// Where to send; set by configuration and then only by authenticated packets (roaming).
    public internal(set) var endpoint: Endpoint?
    /// The local address to send to `endpoint` from (sticky source): set with the endpoint by every
    /// authenticated packet, cleared by configuration and when a handshake retry finds no answer (kernel
    /// `wg_socket_clear_peer_endpoint_src`). Nil lets the host's routing choose.
    public internal(set) var endpointSource: EndpointSource?
    public internal(set) var persistentKeepaliveInterval: UInt16 = 0
    /// Packets waiting for a usable session, oldest first (at most `Constants.maxStagedPackets`).
    var staged: [[UInt8]] = []
    public internal(set) var rxBytes: UInt64 = 0
    public internal(set) var txBytes: UInt64 = 0
    /// Wall-clock time of the last completed handshake.
    public internal(set) var lastHandshake: WallTime?
    /// Metrics counts (Engine+Counters.swift).
    var counters = TrafficCounters()

    // Timer state; see PeerState+Timers.swift. Assigning a deadline reschedules the peer in its engine's
    // `TimerQueue`.
    var retransmitHandshakeDeadline: Instant? { didSet { timerQueue?.update(self) } }
    var sendKeepaliveDeadline: Instant? { didSet { timerQueue?.update(self) } }
    var newHandshakeDeadline: Instant? { didSet { timerQueue?.update(self) } }
    var zeroKeyMaterialDeadline: Instant? { didSet { timerQueue?.update(self) } }
    var persistentKeepaliveDeadline: Instant? { didSet { timerQueue?.update(self) } }
    /// The engine's timer heap while the peer belongs to it (cleared on removal; the engine outlives it).
    unowned(unsafe) var timerQueue: TimerQueue?
    /// Position in `timerQueue`, -1 when no timer is armed; `queuedDeadline` is the key it is filed under.
    var timerSlot = -1
    var queuedDeadline = Instant(nanoseconds: 0)
    /// Creation order on its engine: breaks ties between equal deadlines, and orders the peer list.
    var sequence = 0
    /// Position in the engine's `PeerList`.
    var listSlot = -1
    var needAnotherKeepalive = false
    var handshakeAttempts = 0
    var sentLastMinuteHandshake = false
    /// When we last sent an initiation or response (initiations are rate-limited to one per rekeyTimeout).
    var lastSentHandshake: Instant

    init(publicKey: PublicKey, identity: StaticIdentity?, now: Instant) {
        self.publicKey = publicKey
        handshake = Handshake(remoteStatic: publicKey)
        cookieGenerator = CookieGenerator(peerPublicKey: publicKey)
        lastSentHandshake = now - (Constants.rekeyTimeout + .seconds(1))
        handshake.setIdentity(identity)
    }

    /// True when no handshake is possible with this peer: we have no private key, or its public key is of
    /// low order (the static-static DH is zero). Such a peer never produces a datagram.
    var cannotHandshake: Bool { handshake.precomputedStaticStatic == nil }

    /// The preshared key, nil when none (all zero).
    var presharedKey: PresharedKey? {
        handshake.presharedKey.isZero ? nil : PresharedKey(bytes: handshake.presharedKey)
    }

    /// Queues an outgoing inner packet, dropping the oldest beyond the limit.
    func stage(_ packet: [UInt8]) {
        if staged.count >= Constants.maxStagedPackets { staged.removeFirst(); counters[.stagedQueueFull] &+= 1 }
        staged.append(packet)
    }
}
