// SPDX-License-Identifier: MIT

import WireGuardModel

/// What the engine asks its host to do. A call may produce several; dropped packets produce none (or an
/// `.event` explaining the drop, for logs).
public enum Effect: Sendable, Equatable {
    /// Send this UDP payload to `to`, from the local address `from` (the peer's sticky source; nil lets
    /// routing choose).
    case sendDatagram([UInt8], to: Endpoint, from: EndpointSource? = nil)
    /// Write this IP packet to the TUN device.
    case writeToTun([UInt8])
    /// Something worth logging or counting happened.
    case event(Event)
}

/// Events for logs and metrics. `peer` is nil when the sender could not be identified.
public enum Event: Sendable, Equatable {
    case handshakeInitiationSent(peer: PublicKey, isRetry: Bool)
    case handshakeResponseSent(peer: PublicKey)
    case handshakeCompleted(peer: PublicKey)
    case cookieReplySent(to: Endpoint)
    case cookieReplyConsumed(peer: PublicKey)
    case keepaliveSent(peer: PublicKey)
    /// The initiator gave up after `maxTimerHandshakes + 2` attempts; staged packets were dropped.
    case handshakeGaveUp(peer: PublicKey)
    case keyMaterialZeroed(peer: PublicKey)
    case endpointChanged(peer: PublicKey, to: Endpoint)
    case rejected(Rejection, from: Endpoint, peer: PublicKey?)
}

/// Why a handshake message or decrypted packet was refused.
public enum Rejection: Sendable, Equatable, CustomStringConvertible {
    case invalidMAC1
    /// Under load and the message had no valid MAC2: a cookie reply was sent instead.
    case underLoadCookieSent
    case rateLimited
    /// The encrypted static key did not decrypt (wrong responder key) or named no configured peer.
    case unknownPeer
    case decryptionFailed
    /// TAI64N not newer than the greatest accepted from this peer.
    case staleTimestamp
    /// A second initiation from the same peer within 20 ms.
    case initiationFlood
    case unexpectedResponse
    case invalidCookieReply
    /// Decrypted inner packet's source address is not an allowed IP of the peer that sent it.
    case disallowedSource(IPAddress)
    case invalidInnerPacket

    public var description: String {
        switch self {
        case .invalidMAC1: return "invalid MAC1"
        case .underLoadCookieSent: return "under load, cookie reply sent"
        case .rateLimited: return "rate limited"
        case .unknownPeer: return "unknown peer or undecryptable static key"
        case .decryptionFailed: return "decryption failed"
        case .staleTimestamp: return "stale timestamp (replay)"
        case .initiationFlood: return "initiations too frequent (flood)"
        case .unexpectedResponse: return "response to no pending initiation"
        case .invalidCookieReply: return "cookie reply did not decrypt"
        case .disallowedSource(let a): return "inner source \(a) not in allowed IPs"
        case .invalidInnerPacket: return "invalid inner packet"
        }
    }
}
