// SPDX-License-Identifier: MIT
// The receive path (kernel receive.c, wireguard-go receive.go): classify by (type, length) before any
// cryptography; handshake messages pass MAC1 (and, under load, MAC2 and the rate limiter) before any
// Diffie-Hellman; transport packets are authenticated, then replay-checked, then their inner source must be
// an allowed IP of the peer whose key opened them. Only authenticated packets move a peer's endpoint.

import WireGuardCrypto
import WireGuardModel

extension Engine {
    /// Handles one UDP payload of `count` bytes at the start of `buffer`, in place. For a data packet that
    /// authenticates and passes every check, returns the range of `buffer` holding the inner IP packet to
    /// write to the TUN (padding already trimmed). Handshake traffic and events go to `effects`. Anything
    /// invalid is dropped without effect (handshake rejections produce a `.rejected` event for logs).
    /// `local` is the address the datagram arrived on: it becomes the peer's sticky source if the datagram
    /// authenticates. Nothing is received while the interface is down.
    public func handleDatagram(buffer: UnsafeMutableRawBufferPointer, count: Int, from source: Endpoint,
                               local: EndpointSource? = nil, now: Now, effects: inout [Effect]) -> Range<Int>? {
        guard isUp else { return nil }
        let message = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        switch MessageType.classify(message) {
        case .transport?:
            return receiveTransport(buffer: buffer, count: count, from: source, local: local, now: now, effects: &effects)
        case .initiation?:
            receiveInitiation(message, from: source, local: local, now: now, effects: &effects)
        case .response?:
            receiveResponse(message, from: source, local: local, now: now, effects: &effects)
        case .cookieReply?:
            receiveCookieReply(message, from: source, now: now, effects: &effects)
        case nil:
            break
        }
        return nil
    }

    /// MAC checks for an initiation or response. Returns false (having answered or logged) if the message
    /// must go no further.
    private func admitHandshakeMessage(_ message: UnsafeRawBufferPointer, from source: Endpoint, peer: PublicKey?,
                                       now: Now, effects: inout [Effect]) -> Bool {
        guard var checker = cookieChecker else { return false }
        defer { cookieChecker = checker }
        let underLoad = isUnderLoad(now: now.monotonic)
        switch checker.check(message, source: source, checkMAC2: underLoad, now: now.monotonic, random: random) {
        case .invalidMAC1:
            effects.append(.event(.rejected(.invalidMAC1, from: source, peer: peer)))
            return false
        case .validMAC1WithoutCookie where underLoad:
            let reply = checker.createReply(to: message, source: source, now: now.monotonic, random: random)
            effects.append(.sendDatagram(reply.bytes, to: source))
            effects.append(.event(.rejected(.underLoadCookieSent, from: source, peer: peer)))
            return false
        case .validMAC1WithCookie where !rateLimiter.allow(source.address, now: now.monotonic):
            effects.append(.event(.rejected(.rateLimited, from: source, peer: peer)))
            return false
        default:
            return true
        }
    }

    private func receiveInitiation(_ message: UnsafeRawBufferPointer, from source: Endpoint, local: EndpointSource?,
                                   now: Now, effects: inout [Effect]) {
        guard let identity, admitHandshakeMessage(message, from: source, peer: nil, now: now, effects: &effects),
              let msg = HandshakeInitiation(message) else { return }
        guard let partial = Handshake.beginConsumingInitiation(msg, identity: identity),
              let peer = peersByKey[partial.remoteStatic] else {
            effects.append(.event(.rejected(.unknownPeer, from: source, peer: nil)))
            return
        }
        do {
            try peer.handshake.finishConsumingInitiation(partial, msg, now: now.monotonic)
        } catch {
            let reason: Rejection = switch error {
            case .staleTimestamp: .staleTimestamp
            case .initiationFlood: .initiationFlood
            default: .decryptionFailed
            }
            effects.append(.event(.rejected(reason, from: source, peer: peer.publicKey)))
            return
        }
        peer.rxBytes &+= UInt64(message.count)
        peer.timersAnyAuthenticatedPacketTraversal(now: now.monotonic)
        peer.timersAnyAuthenticatedPacketReceived()
        updateEndpoint(peer, source, local: local, effects: &effects)
        // Consuming abandoned any initiation of our own; registering the response's index drops its index.
        sendHandshakeResponse(peer, to: source, now: now, effects: &effects)
    }

    private func receiveResponse(_ message: UnsafeRawBufferPointer, from source: Endpoint, local: EndpointSource?,
                                 now: Now, effects: inout [Effect]) {
        guard let identity, let msg = HandshakeResponse(message),
              case .handshake(let peer)? = indexTable[msg.receiverIndex] else { return }
        guard admitHandshakeMessage(message, from: source, peer: peer.publicKey, now: now, effects: &effects) else { return }
        do {
            try peer.handshake.consumeResponse(msg, identity: identity)
        } catch {
            let reason: Rejection = error == .wrongState ? .unexpectedResponse : .decryptionFailed
            effects.append(.event(.rejected(reason, from: source, peer: peer.publicKey)))
            return
        }
        let t = now.monotonic
        peer.rxBytes &+= UInt64(message.count)
        updateEndpoint(peer, source, local: local, effects: &effects)
        peer.timersAnyAuthenticatedPacketTraversal(now: t)
        peer.timersAnyAuthenticatedPacketReceived()
        guard let keys = peer.handshake.beginSession(), let keypair = Keypair(keys: keys, created: t) else { return }
        indexTable.replace(keypair.localIndex, with: .keypair(keypair, peer))
        destroy(peer.keypairs.install(keypair))
        peer.timersSessionDerived(now: t)
        peer.timersHandshakeComplete(wall: now.wall)
        effects.append(.event(.handshakeCompleted(peer: peer.publicKey)))
        // Confirm the session to the responder at once: staged data if any, else a keepalive.
        sendKeepalive(peer, now: now, effects: &effects)
    }

    private func receiveCookieReply(_ message: UnsafeRawBufferPointer, from source: Endpoint, now: Now,
                                    effects: inout [Effect]) {
        // Never moves the endpoint and never triggers a retransmission: the next retry carries MAC2.
        guard let reply = CookieReply(message), let entry = indexTable[reply.receiverIndex] else { return }
        let peer = entry.peer
        if peer.cookieGenerator.consume(reply, now: now.monotonic) {
            effects.append(.event(.cookieReplyConsumed(peer: peer.publicKey)))
        } else {
            effects.append(.event(.rejected(.invalidCookieReply, from: source, peer: peer.publicKey)))
        }
    }

    /// A transport message through the three data-plane phases on one thread.
    private func receiveTransport(buffer: UnsafeMutableRawBufferPointer, count: Int, from source: Endpoint,
                                  local: EndpointSource?, now: Now, effects: inout [Effect]) -> Range<Int>? {
        guard let session = lookupTransport(buffer.baseAddress!, count: count, now: now),
              let (length, counter) = session.keypair.open(message: buffer.baseAddress!, length: count) else { return nil }
        return acceptTransport(session, counter: counter, buffer: buffer.baseAddress!, length: length, wireLength: count,
                               from: source, local: local, now: now, effects: &effects)
    }
}
