// SPDX-License-Identifier: MIT
// The receive path (kernel receive.c, wireguard-go receive.go): classify by (type, length) before any
// cryptography; handshake messages pass MAC1 (and, under load, MAC2 and the rate limiter) before any
// Diffie-Hellman (Engine+Admission.swift); transport packets are authenticated, then replay-checked, then their inner source must be
// an allowed IP of the peer whose key opened them. Only authenticated packets move a peer's endpoint.

import WireGuardCrypto
import WireGuardModel

/// An initiation after its first half (`Engine.beginInitiation`): whom it was for and, when its static key
/// decrypted, the sender it names.
public struct InitiationFirstHalf {
    let responder: PublicKey
    let partial: PartialInitiation?
}

extension Engine {
    /// Handles one UDP payload of `count` bytes at the start of `buffer`, in place. For a data packet that
    /// authenticates and passes every check, returns the range of `buffer` holding the inner IP packet to
    /// write to the TUN (padding already trimmed). Handshake traffic and events go to `effects`: an initiation
    /// or response goes through `admitHandshake` (a cookie reply becomes a `.sendDatagram`) and then
    /// `handleAdmittedHandshake`. Anything invalid is dropped without effect (handshake rejections produce a
    /// `.rejected` event for logs). `local` is the address the datagram arrived on: it becomes the peer's
    /// sticky source if the datagram authenticates. Nothing is received while the interface is down.
    public func handleDatagram(buffer: UnsafeMutableRawBufferPointer, count: Int, from source: Endpoint,
                               local: EndpointSource? = nil, now: Now, effects: inout [Effect]) -> Range<Int>? {
        guard isUp else { return nil }
        let message = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        let mark = effects.count
        switch MessageType.classify(message) {
        case .transport?:
            return receiveTransport(buffer: buffer, count: count, from: source, local: local, now: now, effects: &effects)
        case .initiation?, .response?:
            withUnsafeTemporaryAllocation(byteCount: MessageType.cookieReplySize, alignment: 16) { reply in
                switch admitHandshake(message, from: source, now: now.monotonic, reply: reply.baseAddress!, effects: &effects) {
                case .drop:
                    break
                case .cookieReply:
                    effects.append(.sendDatagram(Array(reply), to: source))
                case .process:
                    handleAdmittedHandshake(message, from: source, local: local, now: now, effects: &effects)
                }
            }
        case .cookieReply?:
            receiveCookieReply(message, from: source, now: now, effects: &effects)
            tally(effects, from: mark)  // the handshake entry points count their own
        case nil:
            countDrop(.malformed)
        }
        return nil
    }

    /// The expensive half of an initiation or response that `admitHandshake` let through: the Noise
    /// handshake (Diffie-Hellman), then the answer or the new session. Anything else is ignored. `local` is
    /// the address it arrived on (the sticky source, kept only if the message validates).
    public func handleAdmittedHandshake(_ message: UnsafeRawBufferPointer, from source: Endpoint,
                                        local: EndpointSource? = nil, now: Now, effects: inout [Effect]) {
        guard isUp else { return }
        let mark = effects.count
        defer { tally(effects, from: mark) }
        switch MessageType.classify(message) {
        case .initiation?: receiveInitiation(message, from: source, local: local, now: now, effects: &effects)
        case .response?: receiveResponse(message, from: source, local: local, now: now, effects: &effects)
        default: break
        }
    }

    /// The first half of an initiation's handshake (`e`, `es`, the static key), which needs nothing of the
    /// engine but our static identity: a host may run it without the engine lock, with an identity of its
    /// own (`StaticIdentity(copying:)`: a DH context serves one thread at a time), and hand the result to
    /// `finishInitiation`. A flood from unknown keys ends here, the Diffie-Hellman spent off the lock.
    public static func beginInitiation(_ message: UnsafeRawBufferPointer, identity: StaticIdentity) -> InitiationFirstHalf? {
        guard let msg = HandshakeInitiation(message) else { return nil }
        return InitiationFirstHalf(responder: identity.publicKey,
                                   partial: Handshake.beginConsumingInitiation(msg, identity: identity))
    }

    /// Our static identity, for `beginInitiation` (read it under the host's lock).
    public var staticIdentity: StaticIdentity? { identity }

    /// The rest of an admitted initiation after `beginInitiation`: the peer, `ss`, the timestamp and flood
    /// rules, the response. If our key changed in between, the first half is done again here.
    public func finishInitiation(_ half: InitiationFirstHalf, _ message: UnsafeRawBufferPointer, from source: Endpoint,
                                 local: EndpointSource? = nil, now: Now, effects: inout [Effect]) {
        guard isUp else { return }
        let mark = effects.count
        defer { tally(effects, from: mark) }
        receiveInitiation(message, from: source, local: local, now: now, effects: &effects,
                          firstHalf: half.responder == identity?.publicKey ? half : nil)
    }

    private func receiveInitiation(_ message: UnsafeRawBufferPointer, from source: Endpoint, local: EndpointSource?,
                                   now: Now, effects: inout [Effect], firstHalf: InitiationFirstHalf? = nil) {
        guard let identity, let msg = HandshakeInitiation(message) else { return }
        let began = firstHalf.map { $0.partial } ?? Handshake.beginConsumingInitiation(msg, identity: identity)
        guard let partial = began, let peer = peersByKey[partial.remoteStatic] else {
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
        guard let session = lookupTransport(buffer.baseAddress!, count: count, now: now) else { countDrop(.unknownSession); return nil }
        guard let (length, counter) = session.keypair.open(message: buffer.baseAddress!, length: count) else {
            session.peer.counters[.badAuthentication] &+= 1
            return nil
        }
        return acceptTransport(session, counter: counter, buffer: buffer.baseAddress!, length: length, wireLength: count,
                               from: source, local: local, now: now, effects: &effects)
    }
}
