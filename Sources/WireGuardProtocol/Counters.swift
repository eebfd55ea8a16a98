// SPDX-License-Identifier: MIT
// Counters for metrics: plain values the engine keeps per interface and per peer, written only by the
// engine's owner under its lock and read the same way (the daemon's `/metrics` endpoint). No atomics and no
// heap: each counter is a slot of an inline array indexed by reason, stored in the peer itself.

/// Why a packet (inner or outer) was dropped without being delivered.
public enum DropReason: Int, CaseIterable, Sendable {
    /// A TUN packet whose destination no peer's allowed IPs route.
    case noPeer
    /// A TUN packet routed to a peer with no endpoint to send to.
    case noEndpoint
    /// A TUN packet that is not a valid IPv4/IPv6 packet of a sendable size.
    case invalidTunPacket
    /// A datagram that is no WireGuard message (type and length).
    case malformed
    /// A transport message naming no known or no longer usable session (receiver index).
    case unknownSession
    /// A transport message that did not authenticate (tag mismatch).
    case badAuthentication
    /// A transport message whose counter the replay window refuses.
    case replay
    /// An authenticated packet whose inner source is not an allowed IP of its peer.
    case sourceNotAllowed
    /// An authenticated packet whose inner IP header is invalid.
    case invalidInnerPacket
    /// The oldest packet waiting for a handshake was dropped to make room.
    case stagedQueueFull
    /// A handshake message found the daemon's handshake queue full.
    case handshakeQueueFull

    /// The `reason` label value.
    public var label: String {
        switch self {
        case .noPeer: return "no_peer"
        case .noEndpoint: return "no_endpoint"
        case .invalidTunPacket: return "invalid_tun_packet"
        case .malformed: return "malformed"
        case .unknownSession: return "unknown_session"
        case .badAuthentication: return "bad_authentication"
        case .replay: return "replay"
        case .sourceNotAllowed: return "source_not_allowed"
        case .invalidInnerPacket: return "invalid_inner_packet"
        case .stagedQueueFull: return "queue_full"
        case .handshakeQueueFull: return "handshake_queue_full"
        }
    }
}

/// Why a handshake attempt failed or a handshake message was refused.
public enum HandshakeFailure: Int, CaseIterable, Sendable {
    /// An initiation of ours got no response within `rekeyTimeout` (retried or given up).
    case timeout
    case invalidMAC
    /// The message did not decrypt (wrong key, corrupted).
    case decryptionFailed
    /// The initiator's static key names no configured peer.
    case unknownPeer
    /// The initiation's timestamp is not newer than the last accepted (a replay).
    case replayedTimestamp
    /// A second initiation from the same peer too soon.
    case initiationFlood
    case rateLimited
    /// Under load without a valid MAC2: answered with a cookie reply instead.
    case cookieRequired
    /// A response that matches no initiation in flight.
    case unexpectedResponse
    /// A cookie reply that did not decrypt.
    case invalidCookieReply

    /// The `reason` label value.
    public var label: String {
        switch self {
        case .timeout: return "timeout"
        case .invalidMAC: return "invalid_mac"
        case .decryptionFailed: return "decryption_failed"
        case .unknownPeer: return "unknown_peer"
        case .replayedTimestamp: return "replayed_timestamp"
        case .initiationFlood: return "initiation_flood"
        case .rateLimited: return "rate_limited"
        case .cookieRequired: return "cookie_required"
        case .unexpectedResponse: return "unexpected_response"
        case .invalidCookieReply: return "invalid_cookie_reply"
        }
    }
}

/// The counters of one peer, or of the whole interface (which counts everything, attributable to a peer or
/// not, and survives the removal of peers).
public struct TrafficCounters: Equatable, Sendable {
    /// Slots per array: the number of cases of `HandshakeFailure` and of `DropReason` (checked by a test).
    public static let handshakeFailureSlots = 10, dropSlots = 11
    public var handshakesCompleted: UInt64 = 0
    public var cookieRepliesSent: UInt64 = 0
    public var cookieRepliesReceived: UInt64 = 0
    /// Indexed by `HandshakeFailure.rawValue`.
    private var handshakeFailures = InlineArray<10, UInt64>(repeating: 0)
    /// Indexed by `DropReason.rawValue`.
    private var drops = InlineArray<11, UInt64>(repeating: 0)

    public init() {}

    public static func == (a: TrafficCounters, b: TrafficCounters) -> Bool {
        a.handshakesCompleted == b.handshakesCompleted && a.cookieRepliesSent == b.cookieRepliesSent
            && a.cookieRepliesReceived == b.cookieRepliesReceived
            && HandshakeFailure.allCases.allSatisfy { a[$0] == b[$0] } && DropReason.allCases.allSatisfy { a[$0] == b[$0] }
    }

    /// The count of drops for `reason`.
    public subscript(reason: DropReason) -> UInt64 {
        get { drops[reason.rawValue] }
        set { drops[reason.rawValue] = newValue }
    }

    /// The count of handshake failures for `reason`.
    public subscript(reason: HandshakeFailure) -> UInt64 {
        get { handshakeFailures[reason.rawValue] }
        set { handshakeFailures[reason.rawValue] = newValue }
    }
}

