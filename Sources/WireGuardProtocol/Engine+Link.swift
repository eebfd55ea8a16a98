// SPDX-License-Identifier: MIT
// The interface going down and up (kernel device.c `wg_stop` / `wg_open`, wireguard-go device.go `Down` /
// `Up`), and the host's say on sticky sources it cannot use.
//
// Down: every peer's staged packets are dropped, its timers stopped, its handshake and keypairs cleared and
// its handshake rate limit reset; from then on nothing is sent, nothing is received (the host closes its
// sockets) and no timer runs. Configuration still applies but only records: a persistent keepalive turned
// on while down sends nothing. Up: every peer with a persistent keepalive gets a keepalive, which starts a
// handshake since no session survived.

import WireGuardCrypto
import WireGuardModel

extension Engine {
    /// The interface went down at `now`. Idempotent.
    public func down(now: Now) {
        guard isUp else { return }
        isUp = false
        peerList.forEach { peer in
            peer.staged.removeAll()
            peer.timersStop()
            unregisterHandshake(peer)
            peer.handshake.clear()
            destroy(peer.keypairs.clear())
            peer.handshakeAttempts = 0
            peer.sentLastMinuteHandshake = false
            // The first initiation after up may go at once (kernel `wg_noise_reset_last_sent_handshake`).
            peer.lastSentHandshake = now.monotonic - (Constants.rekeyTimeout + .seconds(1))
        }
    }

    /// The interface came up (the host has reopened its sockets): sends what `wg_open` sends. Idempotent.
    public func up(now: Now, effects: inout [Effect]) {
        guard !isUp else { return }
        isUp = true
        peerList.forEach { peer in
            // Since the last staged packet was dropped at down: only the persistent keepalive goes.
            sendStagedPackets(peer, now: now, effects: &effects)
            if peer.persistentKeepaliveInterval > 0 { sendKeepalive(peer, now: now, effects: &effects) }
        }
    }

    /// The host could not send from `source` to `remote` (the local address is gone): every peer at
    /// `remote` with that sticky source forgets it, so the next datagrams leave from what routing chooses.
    public func endpointSourceFailed(remote: Endpoint, source: EndpointSource) {
        peerList.forEach { peer in
            if peer.endpoint == remote && peer.endpointSource == source { peer.endpointSource = nil }
        }
    }

    /// Every peer forgets its sticky source (a local address was removed, or the sockets were rebound).
    public func clearEndpointSources() {
        peerList.forEach { $0.endpointSource = nil }
    }
}
