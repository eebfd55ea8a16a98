// SPDX-License-Identifier: MIT
// The send path (kernel send.c, wireguard-go send.go): route by destination, stage, make sure a session
// exists, pad to a multiple of 16, seal, and keep the key fresh.

import WireGuardCrypto
import WireGuardModel

extension Engine {
    /// Handles an IP packet read from the TUN, in place. The packet is `count` bytes at `offset` in
    /// `buffer`; at least 16 bytes must precede it and `IPPacket.padding + 16` bytes must follow it. If a
    /// session is ready the packet is sealed in place and the returned `Transmission` says which bytes to
    /// send where; otherwise it is copied to the peer's staging queue (or dropped when no peer routes it),
    /// and any handshake traffic this causes is appended to `effects`.
    public func handleTunPacket(buffer: UnsafeMutableRawBufferPointer, offset: Int, count: Int, now: Now,
                                effects: inout [Effect]) -> Transmission? {
        precondition(offset >= Constants.transportHeaderSize)
        let base = buffer.baseAddress! + offset
        guard isUp, count > 0, count <= Constants.maxContentSize,
              let destination = IPPacket.destination(base, length: count),
              let peer = route(to: destination),
              let endpoint = peer.endpoint else { return countUnsendable(base, count: count) }  // no route, or a peer we cannot reach
        let t = now.monotonic
        if peer.staged.isEmpty, let keypair = peer.keypairs.current, keypair.isUsableForSending(now: t) {
            let padding = IPPacket.padding(length: count, mtu: mtu)
            precondition(offset + count + padding + Constants.transportTagSize <= buffer.count, "no tailroom")
            let start = offset - Constants.transportHeaderSize
            if let length = keypair.sealPadded(packet: buffer.baseAddress! + start, length: count, mtu: mtu) {
                peer.timersAnyAuthenticatedPacketTraversal(now: t)
                peer.timersAnyAuthenticatedPacketSent()
                peer.txBytes &+= UInt64(length)
                peer.timersDataSent(now: t, random: random)
                keepKeyFreshSending(peer, keypair, now: now, effects: &effects)
                return Transmission(endpoint: endpoint, source: peer.endpointSource, range: start..<(start + length))
            }
        }
        peer.stage(Array(UnsafeRawBufferPointer(start: base, count: count)))
        sendStagedPackets(peer, now: now, effects: &effects)
        return nil
    }

    /// Sends everything staged for `peer` on its current session, or starts a handshake if there is none.
    func sendStagedPackets(_ peer: PeerState, now: Now, effects: inout [Effect]) {
        guard isUp, !peer.staged.isEmpty else { return }
        let t = now.monotonic
        guard let keypair = peer.keypairs.current, keypair.isUsableForSending(now: t) else {
            sendHandshakeInitiation(peer, isRetry: false, now: now, effects: &effects)
            return
        }
        guard let endpoint = peer.endpoint else { return }
        var sentData = false
        var sentAny = false
        while !peer.staged.isEmpty {
            let packet = peer.staged[0]
            let padding = IPPacket.padding(length: packet.count, mtu: mtu)
            var message = [UInt8](repeating: 0, count: Constants.transportOverhead + packet.count + padding)
            message.replaceSubrange(Constants.transportHeaderSize..<(Constants.transportHeaderSize + packet.count), with: packet)
            guard let length = message.withUnsafeMutableBytes({ keypair.sealPadded(packet: $0.baseAddress!, length: packet.count, mtu: mtu) }) else {
                // Counter exhausted: keep the rest staged for the next session.
                sendHandshakeInitiation(peer, isRetry: false, now: now, effects: &effects)
                break
            }
            peer.staged.removeFirst()
            if !sentAny {
                peer.timersAnyAuthenticatedPacketTraversal(now: t)
                peer.timersAnyAuthenticatedPacketSent()
                sentAny = true
            }
            peer.txBytes &+= UInt64(length)
            effects.append(.sendDatagram(message, to: endpoint, from: peer.endpointSource))
            if packet.isEmpty {
                effects.append(.event(.keepaliveSent(peer: peer.publicKey)))
            } else {
                sentData = true
            }
        }
        if sentData { peer.timersDataSent(now: t, random: random) }
        if sentAny { keepKeyFreshSending(peer, keypair, now: now, effects: &effects) }
    }

    /// Sends a keepalive: an empty transport packet, unless data is already waiting to go.
    func sendKeepalive(_ peer: PeerState, now: Now, effects: inout [Effect]) {
        guard isUp else { return }
        if peer.staged.isEmpty { peer.stage([]) }
        sendStagedPackets(peer, now: now, effects: &effects)
    }

    /// Rekey on send: after `rekeyAfterMessages`, or when we initiated the session and it is older than
    /// `rekeyAfterTime`. Only the initiator rekeys on time, so both sides do not rekey at once.
    func keepKeyFreshSending(_ peer: PeerState, _ keypair: Keypair, now: Now, effects: inout [Effect]) {
        guard keypair.canSend else { return }
        if keypair.sendCounter > Constants.rekeyAfterMessages
            || (keypair.isInitiator && now.monotonic - keypair.created > rekeyAfterTime) {
            sendHandshakeInitiation(peer, isRetry: false, now: now, effects: &effects)
        }
    }

    /// Rekey on receive: an initiator whose session nears `rejectAfterTime` while only receiving starts one
    /// last handshake, so a new session exists before the old one must be refused.
    func keepKeyFreshReceiving(_ peer: PeerState, now: Now, effects: inout [Effect]) {
        guard !peer.sentLastMinuteHandshake, let keypair = peer.keypairs.current, keypair.isInitiator,
              now.monotonic - keypair.created > Constants.lastMinuteRekeyAge else { return }
        peer.sentLastMinuteHandshake = true
        sendHandshakeInitiation(peer, isRetry: false, now: now, effects: &effects)
    }

    /// Creates and sends an initiation, at most one per `rekeyTimeout`. A retry keeps the attempt count.
    func sendHandshakeInitiation(_ peer: PeerState, isRetry: Bool, now: Now, effects: inout [Effect]) {
        if !isRetry { peer.handshakeAttempts = 0 }
        let t = now.monotonic
        guard isUp, t - peer.lastSentHandshake >= Constants.rekeyTimeout, let identity, !peer.cannotHandshake,
              let endpoint = peer.endpoint else { return }
        peer.lastSentHandshake = t
        let index = registerHandshake(peer)
        guard let message = peer.handshake.createInitiation(
            identity: identity, ephemeralPrivate: X25519.generatePrivateKey(using: random),
            timestamp: Timestamp(now.wall), localIndex: index) else {
            indexTable.remove(index)
            return
        }
        var bytes = message.bytes
        peer.cookieGenerator.addMACs(to: &bytes, now: t)
        peer.timersAnyAuthenticatedPacketTraversal(now: t)
        peer.timersAnyAuthenticatedPacketSent()
        peer.txBytes &+= UInt64(bytes.count)
        effects.append(.sendDatagram(bytes, to: endpoint, from: peer.endpointSource))
        effects.append(.event(.handshakeInitiationSent(peer: peer.publicKey, isRetry: isRetry)))
        peer.timersHandshakeInitiated(now: t, random: random)
    }

    /// Creates and sends the response to the initiation just consumed; the new keypair waits in `next`.
    func sendHandshakeResponse(_ peer: PeerState, to endpoint: Endpoint, now: Now, effects: inout [Effect]) {
        guard let identity else { return }
        let t = now.monotonic
        let index = registerHandshake(peer)
        guard let message = peer.handshake.createResponse(
            identity: identity, ephemeralPrivate: X25519.generatePrivateKey(using: random), localIndex: index),
            let keys = peer.handshake.beginSession(),
            let keypair = Keypair(keys: keys, created: t) else {
            indexTable.remove(index)
            peer.handshake.clear()
            return
        }
        indexTable.replace(keypair.localIndex, with: .keypair(keypair, peer))
        destroy(peer.keypairs.install(keypair))
        peer.timersSessionDerived(now: t)
        var bytes = message.bytes
        peer.cookieGenerator.addMACs(to: &bytes, now: t)
        peer.lastSentHandshake = t
        peer.timersAnyAuthenticatedPacketTraversal(now: t)
        peer.timersAnyAuthenticatedPacketSent()
        peer.txBytes &+= UInt64(bytes.count)
        effects.append(.sendDatagram(bytes, to: endpoint, from: peer.endpointSource))
        effects.append(.event(.handshakeResponseSent(peer: peer.publicKey)))
    }
}
