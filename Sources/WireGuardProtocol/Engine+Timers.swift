// SPDX-License-Identifier: MIT
// What happens when a peer's deadline passes (kernel timers.c `wg_expired_*`).

import WireGuardCrypto
import WireGuardModel

extension Engine {
    /// Runs every timer whose deadline is at or before `now`, peer by peer in deadline order (ties in the
    /// order peers were added). Call it at `nextDeadline`. Only due peers are visited: O(due × log n).
    public func handleTimers(now: Now, effects: inout [Effect]) {
        guard isUp else { return }  // the interface is down: no timer runs (kernel `netif_running`)
        let t = now.monotonic
        let mark = effects.count
        defer { tally(effects, from: mark) }
        // A popped peer goes back into the heap as soon as a handler (or the clearing of a fired deadline)
        // leaves one of its timers armed; every handler arms deadlines after `t`, so the loop ends.
        while let peer = timers.popDue(t) {
            timerPeersVisited &+= 1
            if let d = peer.retransmitHandshakeDeadline, d <= t {
                peer.retransmitHandshakeDeadline = nil
                expiredRetransmitHandshake(peer, now: now, effects: &effects)
            }
            if let d = peer.sendKeepaliveDeadline, d <= t {
                peer.sendKeepaliveDeadline = nil
                expiredSendKeepalive(peer, now: now, effects: &effects)
            }
            if let d = peer.newHandshakeDeadline, d <= t {
                peer.newHandshakeDeadline = nil
                sendHandshakeInitiation(peer, isRetry: false, now: now, effects: &effects)
            }
            if let d = peer.zeroKeyMaterialDeadline, d <= t {
                peer.zeroKeyMaterialDeadline = nil
                expiredZeroKeyMaterial(peer, effects: &effects)
            }
            if let d = peer.persistentKeepaliveDeadline, d <= t {
                peer.persistentKeepaliveDeadline = nil
                if peer.persistentKeepaliveInterval > 0 { sendKeepalive(peer, now: now, effects: &effects) }
            }
        }
    }

    private func expiredRetransmitHandshake(_ peer: PeerState, now: Now, effects: inout [Effect]) {
        if peer.handshakeAttempts > Constants.maxTimerHandshakes {
            // Give up: nothing staged survives, and the keys go in 540 s unless a session appears.
            effects.append(.event(.handshakeGaveUp(peer: peer.publicKey)))
            peer.sendKeepaliveDeadline = nil
            peer.staged.removeAll()
            if peer.zeroKeyMaterialDeadline == nil {
                peer.zeroKeyMaterialDeadline = now.monotonic + Constants.zeroKeyMaterialDelay
            }
            return
        }
        peer.handshakeAttempts += 1
        // The sticky source may be why nothing answers: let routing choose again (kernel timers.c).
        peer.endpointSource = nil
        sendHandshakeInitiation(peer, isRetry: true, now: now, effects: &effects)
    }

    private func expiredSendKeepalive(_ peer: PeerState, now: Now, effects: inout [Effect]) {
        sendKeepalive(peer, now: now, effects: &effects)
        if peer.needAnotherKeepalive {
            peer.needAnotherKeepalive = false
            peer.sendKeepaliveDeadline = now.monotonic + Constants.keepaliveTimeout
        }
    }

    /// Wipes the handshake and all three keypairs.
    func expiredZeroKeyMaterial(_ peer: PeerState, effects: inout [Effect]) {
        destroy(peer.keypairs.clear())
        unregisterHandshake(peer)
        peer.handshake.clear()
        effects.append(.event(.keyMaterialZeroed(peer: peer.publicKey)))
    }
}
