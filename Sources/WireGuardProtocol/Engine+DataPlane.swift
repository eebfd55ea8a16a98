// SPDX-License-Identifier: MIT
// The engine's side of a multi-threaded data plane (architecture.md, addendum): the engine stays the only
// owner of protocol state, and hands out just enough for cryptography to run elsewhere.
// - Send: `reserveSend` routes a run of packets that share a destination (one TUN super-packet's segments),
//   reserves that many counters on the peer's current keypair and does the timer and key-freshness
//   bookkeeping once for the run. The caller seals outside the engine with `Keypair.seal(packet:length:
//   counter:)`, on the keypair's data-plane context.
// - Receive: `lookupTransport` finds the keypair of a transport message; the caller opens it outside the
//   engine (`Keypair.open`); `acceptTransport` then applies the replay window, rotation, roaming, timers and
//   the allowed-IPs check — exactly what `handleDatagram` does for a transport message, in the same order.
//   `acceptTransports` does the same for a run of messages of one session from one source, with the
//   per-peer bookkeeping (rotation, roaming, timers) once for the run: each of those steps only records "a
//   packet authenticated now", so once per run leaves the state once per packet leaves (the data-received
//   timer, which counts a second packet, runs twice).
// Every entry point here must be called with the engine's owner holding its lock.

import WireGuardCrypto
import WireGuardModel

/// Counters reserved on one keypair for a run of packets to one endpoint.
public struct SendReservation {
    /// The keypair to seal with (its data-plane context).
    public let keypair: Keypair
    /// The counter of the run's first packet; packet i uses `firstCounter + i`.
    public let firstCounter: UInt64
    /// How many packets of the run got counters (may be fewer than asked when the keypair is exhausted).
    public let count: Int
    public let endpoint: Endpoint
    /// The local address to send from (the peer's sticky source); nil lets routing choose.
    public let source: EndpointSource?
    /// The inner MTU padding is computed for.
    public let mtu: Int
    /// The peer's earliest timer deadline after this run's bookkeeping (the host re-arms its timer if earlier).
    public let peerDeadline: Instant?
}

/// A transport message's session, found before it is opened.
public struct TransportSession {
    public let keypair: Keypair
    let peer: PeerState

    /// The peer's earliest timer deadline (read under the engine owner's lock, after `acceptTransport`).
    public var peerDeadline: Instant? { peer.nextDeadline }
}

extension Engine {
    /// Reserves counters for `count` packets to `destination` on its peer's current session. `length(i)` is
    /// the inner length of packet i (for the transfer counters). Returns nil when nothing can be sent at
    /// once — no peer routes the address, it has no endpoint, packets are already staged, or no session is
    /// usable — then the caller passes each packet to `handleTunPacket(buffer:…)`, which stages it and
    /// starts a handshake. A reservation shorter than `count` leaves the rest to that same path.
    public func reserveSend(to destination: IPAddress, count: Int, now: Now, effects: inout [Effect],
                            length: (Int) -> Int) -> SendReservation? {
        guard isUp, count > 0, let peer = route(to: destination), let endpoint = peer.endpoint, peer.staged.isEmpty,
              let keypair = peer.keypairs.current else { return nil }
        let t = now.monotonic
        guard keypair.isUsableForSending(now: t), let first = keypair.reserveCounters(count) else { return nil }
        let granted = Int(min(UInt64(count), Constants.rejectAfterMessages - first))
        var bytes = 0
        for i in 0..<granted {
            let n = length(i)
            bytes += n + IPPacket.padding(length: n, mtu: mtu) + Constants.transportOverhead
        }
        peer.timersAnyAuthenticatedPacketTraversal(now: t)
        peer.timersAnyAuthenticatedPacketSent()
        peer.txBytes &+= UInt64(bytes)
        peer.timersDataSent(now: t, random: random)
        keepKeyFreshSending(peer, keypair, now: now, effects: &effects)
        return SendReservation(keypair: keypair, firstCounter: first, count: granted, endpoint: endpoint,
                               source: peer.endpointSource, mtu: mtu, peerDeadline: peer.nextDeadline)
    }

    /// The session a transport message of `count` bytes at `message` belongs to, if it is known and may
    /// still receive. Nil means drop.
    @inline(__always)
    public func lookupTransport(_ message: UnsafeRawPointer, count: Int, now: Now) -> TransportSession? {
        let bytes = UnsafeRawBufferPointer(start: message, count: count)
        guard isUp, MessageType.classify(bytes) == .transport else { return nil }
        let index = TransportHeader.receiverIndex(bytes)
        guard case .keypair(let keypair, let peer)? = indexTable[index],
              keypair.isUsableForReceiving(now: now.monotonic) else { return nil }
        return TransportSession(keypair: keypair, peer: peer)
    }

    /// Completes the receipt of a transport message that `session.keypair.open` authenticated: `length` bytes
    /// of plaintext at `buffer + 16`, sent with `counter`, `wireLength` bytes on the wire. Returns the range
    /// of `buffer` holding the inner packet to write to the TUN, or nil (replayed, keepalive, invalid inner
    /// packet, source not allowed). `local` is the address the message arrived on (the sticky source).
    public func acceptTransport(_ session: TransportSession, counter: UInt64, buffer: UnsafeMutableRawPointer,
                                length: Int, wireLength: Int, from source: Endpoint, local: EndpointSource? = nil,
                                now: Now, effects: inout [Effect]) -> Range<Int>? {
        let mark = effects.count
        defer { tally(effects, from: mark) }
        guard session.keypair.replayFilter.validate(counter) else { session.peer.counters[.replay] &+= 1; return nil }
        noteAuthenticated(session, wireBytes: wireLength, dataPackets: length > 0 ? 1 : 0, from: source, local: local,
                          now: now, effects: &effects)
        guard length > 0 else { return nil }  // keepalive
        var allowed = AllowedSourceCache()
        return innerPacket(buffer, length: length, of: session.peer, from: source, allowed: &allowed, effects: &effects)
    }

    /// `acceptTransport` for `count` messages of `session` from `source`, opened by the caller: message i is
    /// at `messages[i]`, `wireLengths[i]` bytes on the wire, with the plaintext length and counter in
    /// `opened[i]`. Sets `results[i]` to the inner packet's range in message i, or nil (replayed, keepalive,
    /// invalid, source not allowed).
    public func acceptTransports(_ session: TransportSession, count: Int,
                                 messages: UnsafePointer<UnsafeMutableRawPointer>,
                                 opened: UnsafePointer<(plaintextLength: Int, counter: UInt64)>,
                                 wireLengths: UnsafePointer<Int>, results: UnsafeMutablePointer<Range<Int>?>,
                                 from source: Endpoint, local: EndpointSource? = nil, now: Now,
                                 effects: inout [Effect]) {
        var fresh = 0, data = 0, bytes = 0
        let mark = effects.count
        defer { tally(effects, from: mark) }
        // A run is mostly one flow: one allowed-IPs lookup per inner source.
        var allowed = AllowedSourceCache()
        for i in 0..<count {
            results[i] = nil
            guard session.keypair.replayFilter.validate(opened[i].counter) else { session.peer.counters[.replay] &+= 1; continue }
            fresh += 1
            bytes += wireLengths[i]
            let length = opened[i].plaintextLength
            guard length > 0 else { continue }  // keepalive
            data += 1
            results[i] = innerPacket(messages[i], length: length, of: session.peer, from: source, allowed: &allowed,
                                     effects: &effects)
        }
        guard fresh > 0 else { return }
        noteAuthenticated(session, wireBytes: bytes, dataPackets: data, from: source, local: local, now: now,
                          effects: &effects)
    }

    /// The per-peer bookkeeping of authenticated transport messages from `source`: `wireBytes` received,
    /// `dataPackets` of them not keepalives. Rotation (the responder's first proof that the initiator has the
    /// keys completes the session), roaming, key freshness and timers.
    private func noteAuthenticated(_ session: TransportSession, wireBytes: Int, dataPackets: Int, from source: Endpoint,
                                   local: EndpointSource?, now: Now, effects: inout [Effect]) {
        let peer = session.peer
        let t = now.monotonic
        peer.rxBytes &+= UInt64(wireBytes)
        let rotation = peer.keypairs.received(with: session.keypair)
        if rotation.rotated {
            destroy(rotation.dropped.map { [$0] } ?? [])
            peer.timersHandshakeComplete(wall: now.wall)
            effects.append(.event(.handshakeCompleted(peer: peer.publicKey)))
            sendStagedPackets(peer, now: now, effects: &effects)
        }
        updateEndpoint(peer, source, local: local, effects: &effects)
        keepKeyFreshReceiving(peer, now: now, effects: &effects)
        peer.timersAnyAuthenticatedPacketTraversal(now: t)
        peer.timersAnyAuthenticatedPacketReceived()
        // Per packet, a second data packet while the keepalive timer runs asks for another keepalive.
        for _ in 0..<min(dataPackets, 2) { peer.timersDataReceived(now: t) }
    }

    /// The last inner source checked against the allowed IPs, and the answer.
    private struct AllowedSourceCache {
        var source: IPAddress?
        var allowed = false
    }

    /// The inner packet of an authenticated message (`length` bytes of plaintext at `message + 16`): its range,
    /// trimmed to its own length, or nil (with a rejection event) when its header is invalid or its source is
    /// not one of `peer`'s allowed IPs.
    private func innerPacket(_ message: UnsafeMutableRawPointer, length: Int, of peer: PeerState, from source: Endpoint,
                             allowed: inout AllowedSourceCache, effects: inout [Effect]) -> Range<Int>? {
        let content = TransportHeader.contentOffset
        guard let (innerSource, innerLength) = IPPacket.sourceAndLength(message + content, length: length) else {
            effects.append(.event(.rejected(.invalidInnerPacket, from: source, peer: peer.publicKey)))
            return nil
        }
        if innerSource != allowed.source {
            allowed = AllowedSourceCache(source: innerSource, allowed: allowedIPs.lookup(innerSource) === peer)
        }
        guard allowed.allowed else {
            effects.append(.event(.rejected(.disallowedSource(innerSource), from: source, peer: peer.publicKey)))
            return nil
        }
        return content..<(content + innerLength)
    }
}
