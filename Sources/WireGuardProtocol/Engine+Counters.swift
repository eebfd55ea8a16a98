// SPDX-License-Identifier: MIT
// Counting for metrics. Most outcomes already leave an `Event` (handshakes, cookie replies, rejections);
// the engine's entry points tally the events they appended (`tally`) so no decision site changes. Silent
// drops (no event: no peer for a destination, unknown session, replay, bad authentication) are counted where
// they are decided, with one call. Everything is counted once: on the peer when one is known, otherwise on
// the engine; `metrics()` reports interface totals as the engine's own counts plus every peer's, and a
// removed peer's counts stay in the totals (`retire`).

import WireGuardModel

/// One peer's configuration, transfer counters and metrics counters, as read under the engine's lock.
public struct PeerMetrics: Sendable, Equatable {
    public var status: PeerStatus
    public var counters: TrafficCounters

    public init(status: PeerStatus, counters: TrafficCounters) {
        self.status = status
        self.counters = counters
    }
}

/// What a metrics scrape reports about an interface: totals over everything (peers present and removed,
/// traffic no peer could be named for), then each peer.
public struct InterfaceMetrics: Sendable, Equatable {
    public var totals: TrafficCounters
    public var peers: [PeerMetrics]

    public init(totals: TrafficCounters, peers: [PeerMetrics]) {
        self.totals = totals
        self.peers = peers
    }
}

extension TrafficCounters {
    /// Adds every counter of `other` to this one.
    mutating func add(_ other: TrafficCounters) {
        handshakesCompleted &+= other.handshakesCompleted
        cookieRepliesSent &+= other.cookieRepliesSent
        cookieRepliesReceived &+= other.cookieRepliesReceived
        for r in HandshakeFailure.allCases { self[r] &+= other[r] }
        for r in DropReason.allCases { self[r] &+= other[r] }
    }
}

extension Engine {
    /// The counters and status of the interface and every peer (allocates; call from a scrape, under the lock).
    public func metrics() -> InterfaceMetrics {
        var totals = counters
        let all = peerList.all
        var peers: [PeerMetrics] = []
        peers.reserveCapacity(all.count)
        for (peer, s) in zip(all, peerStatus(of: all)) {
            totals.add(peer.counters)
            peers.append(PeerMetrics(status: s, counters: peer.counters))
        }
        return InterfaceMetrics(totals: totals, peers: peers)
    }

    /// Counts `count` drops for `reason` that no peer can be named for (unknown session, malformed).
    @inline(__always)
    public func countDrop(_ reason: DropReason, count: UInt64 = 1) {
        counters[reason] &+= count
    }

    /// Counts the transport messages of `sessions[0..<count]` that did not authenticate, on their peers.
    public func countAuthenticationFailures(_ sessions: UnsafePointer<TransportSession?>, count: Int) {
        for i in 0..<count {
            if let session = sessions[i] { session.peer.counters[.badAuthentication] &+= 1 }
        }
    }

    /// Keeps a removed peer's counts in the interface totals.
    func retire(_ peer: PeerState) {
        counters.add(peer.counters)
    }

    /// Why `handleTunPacket` could not route the `count` bytes at `packet`; counted, and returns nil for the
    /// caller to return.
    func countUnsendable(_ packet: UnsafeRawPointer, count: Int) -> Transmission? {
        guard count > 0, count <= Constants.maxContentSize, let destination = IPPacket.destination(packet, length: count) else {
            counters[.invalidTunPacket] &+= 1
            return nil
        }
        countUnroutable(destination, count: 1)
        return nil
    }

    /// Counts `count` packets to `destination` dropped because no peer routes it (no_peer) or its peer has
    /// no endpoint (no_endpoint, on the peer).
    public func countUnroutable(_ destination: IPAddress, count: Int) {
        if let peer = route(to: destination) {
            peer.counters[.noEndpoint] &+= UInt64(count)
        } else {
            counters[.noPeer] &+= UInt64(count)
        }
    }

    /// Counts the events in `effects[start...]` (appended by one entry point).
    @inline(__always)
    func tally(_ effects: [Effect], from start: Int) {
        guard effects.count > start else { return }
        for i in start..<effects.count {
            if case .event(let event) = effects[i] { tally(event) }
        }
    }

    private func tally(_ event: Event) {
        switch event {
        case .handshakeCompleted(let key):
            update(key) { $0.handshakesCompleted &+= 1 }
        case .cookieReplyConsumed(let key):
            update(key) { $0.cookieRepliesReceived &+= 1 }
        case .handshakeInitiationSent(let key, isRetry: true), .handshakeGaveUp(let key):
            // A retry (or giving up) means the previous initiation got no response in time.
            update(key) { $0[HandshakeFailure.timeout] &+= 1 }
        case .rejected(let rejection, _, let key):
            let (failure, drop) = Self.classify(rejection)
            update(key) { counters in
                if let failure { counters[failure] &+= 1 }
                if let drop { counters[drop] &+= 1 }
                // Under load a cookie reply went out instead of processing the message.
                if rejection == .underLoadCookieSent { counters.cookieRepliesSent &+= 1 }
            }
        case .handshakeInitiationSent, .handshakeResponseSent, .cookieReplySent, .keepaliveSent, .keyMaterialZeroed,
             .endpointChanged:
            break
        }
    }

    /// Applies `change` to the counters of the peer with `key`, or to the engine's when there is none.
    private func update(_ key: PublicKey?, _ change: (inout TrafficCounters) -> Void) {
        if let key, let peer = peersByKey[key] {
            change(&peer.counters)
        } else {
            change(&counters)
        }
    }

    /// What a rejection counts as: a handshake failure, or a dropped packet.
    static func classify(_ rejection: Rejection) -> (HandshakeFailure?, DropReason?) {
        switch rejection {
        case .invalidMAC1: return (.invalidMAC, nil)
        case .underLoadCookieSent: return (.cookieRequired, nil)
        case .rateLimited: return (.rateLimited, nil)
        case .unknownPeer: return (.unknownPeer, nil)
        case .decryptionFailed: return (.decryptionFailed, nil)
        case .staleTimestamp: return (.replayedTimestamp, nil)
        case .initiationFlood: return (.initiationFlood, nil)
        case .unexpectedResponse: return (.unexpectedResponse, nil)
        case .invalidCookieReply: return (.invalidCookieReply, nil)
        case .disallowedSource: return (nil, .sourceNotAllowed)
        case .invalidInnerPacket: return (nil, .invalidInnerPacket)
        }
    }
}
