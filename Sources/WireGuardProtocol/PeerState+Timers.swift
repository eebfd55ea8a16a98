// SPDX-License-Identifier: MIT
// The five per-peer timers of the kernel's timers.c, as deadlines. The engine arms them through the event
// hooks below (named after the event, as in the kernel and wireguard-go) and runs the `expired…` handlers
// in Engine+Timers.swift when `now` passes a deadline.
//
// - retransmitHandshake: an initiation got no response within rekeyTimeout (+ jitter): send it again, up to
//   maxTimerHandshakes times, then give up and drop what was staged.
// - sendKeepalive: we received data and sent nothing back for keepaliveTimeout: send an empty packet so the
//   peer knows the session works ("passive keepalive").
// - newHandshake: we sent data and heard nothing for keepaliveTimeout + rekeyTimeout (+ jitter): the session
//   may be dead on the other side, start a new handshake.
// - zeroKeyMaterial: no new session for 3 × rejectAfterTime: wipe every key.
// - persistentKeepalive: any authenticated packet resets it; when it fires, send a keepalive (keeps NAT
//   mappings open for peers that must stay reachable).

import WireGuardCrypto
import WireGuardModel

/// Timer event hooks.
extension PeerState {
    private func jitter(_ random: some RandomSource) -> Duration {
        .milliseconds(Int64(random.uniform(Constants.rekeyTimeoutJitterMaxMilliseconds)))
    }

    /// An authenticated data packet (not a keepalive) was sent.
    func timersDataSent(now: Instant, random: some RandomSource) {
        if newHandshakeDeadline == nil {
            newHandshakeDeadline = now + Constants.newHandshakeDelay + jitter(random)
        }
    }

    /// An authenticated data packet (not a keepalive) was received.
    func timersDataReceived(now: Instant) {
        if sendKeepaliveDeadline == nil {
            sendKeepaliveDeadline = now + Constants.keepaliveTimeout
        } else {
            needAnotherKeepalive = true
        }
    }

    /// Any authenticated packet (handshake, data or keepalive) is about to be sent.
    func timersAnyAuthenticatedPacketSent() {
        sendKeepaliveDeadline = nil
    }

    /// Any authenticated packet was received.
    func timersAnyAuthenticatedPacketReceived() {
        newHandshakeDeadline = nil
    }

    /// An initiation was sent.
    func timersHandshakeInitiated(now: Instant, random: some RandomSource) {
        retransmitHandshakeDeadline = now + Constants.rekeyTimeout + jitter(random)
    }

    /// A handshake completed (initiator: response consumed; responder: first packet on the new keys).
    func timersHandshakeComplete(wall: WallTime) {
        retransmitHandshakeDeadline = nil
        handshakeAttempts = 0
        sentLastMinuteHandshake = false
        lastHandshake = wall
    }

    /// A session's keys were derived: push back the wipe of all key material.
    func timersSessionDerived(now: Instant) {
        zeroKeyMaterialDeadline = now + Constants.zeroKeyMaterialDelay
    }

    /// Any authenticated packet was sent or received.
    func timersAnyAuthenticatedPacketTraversal(now: Instant) {
        if persistentKeepaliveInterval > 0 {
            persistentKeepaliveDeadline = now + .seconds(Int64(persistentKeepaliveInterval))
        }
    }

    /// Cancels every timer (peer removed or keys zeroed by configuration).
    func timersStop() {
        retransmitHandshakeDeadline = nil
        sendKeepaliveDeadline = nil
        newHandshakeDeadline = nil
        zeroKeyMaterialDeadline = nil
        persistentKeepaliveDeadline = nil
        needAnotherKeepalive = false
    }

    /// The earliest armed deadline. Allocation-free: the data plane asks after every batch.
    public var nextDeadline: Instant? {
        @inline(__always) func earlier(_ a: Instant?, _ b: Instant?) -> Instant? {
            guard let a else { return b }
            guard let b else { return a }
            return a < b ? a : b
        }
        return earlier(earlier(earlier(retransmitHandshakeDeadline, sendKeepaliveDeadline),
                               earlier(newHandshakeDeadline, zeroKeyMaterialDeadline)), persistentKeepaliveDeadline)
    }
}
