// SPDX-License-Identifier: MIT
// Applying configuration deltas and reporting status, with the kernel's semantics (netlink.c `set_device`,
// `set_peer`; wireguard-go uapi.go).

import WireGuardCrypto
import WireGuardModel

extension Engine {
    /// Applies `update` in order: private key, port, fwmark, replace_peers, then each peer block. A validated
    /// update cannot fail; anything that cannot apply (a peer naming our own key) is skipped silently, as the
    /// kernel does.
    public func apply(_ update: DeviceUpdate, now: Now, effects: inout [Effect]) {
        if let key = update.privateKey { setPrivateKey(key, now: now) }
        if let port = update.listenPort { listenPort = port }
        if let mark = update.fwmark { fwmark = mark }
        if update.replacePeers { removeAllPeers() }
        for peerUpdate in update.peers { apply(peerUpdate, now: now, effects: &effects) }
    }

    private func apply(_ update: PeerUpdate, now: Now, effects: inout [Effect]) {
        // A peer with our own public key could only ever talk to itself: ignore the whole block.
        if let ours = identity?.publicKey, ours == update.publicKey { return }
        var peer = peersByKey[update.publicKey]
        if update.remove {
            if let peer { removePeer(peer) }
            return
        }
        if peer == nil {
            if update.updateOnly { return }
            guard peerList.count < Constants.maxPeers else { return }
            peer = addPeer(update.publicKey, now: now)
        }
        guard let peer else { return }
        if let psk = update.presharedKey { peer.handshake.presharedKey = psk.secret }
        if let endpoint = update.endpoint {
            // A configured endpoint comes without a source (kernel set_peer: the src is zeroed).
            peer.endpoint = endpoint
            peer.endpointSource = nil
        }
        if !(update.replaceAllowedIPs && allowedIPs.owns(peer, exactly: update.allowedIPs)) {
            if update.replaceAllowedIPs { allowedIPs.removeAll(ownedBy: peer) }
            for change in update.allowedIPs {
                switch change {
                case .add(let prefix): allowedIPs.insert(prefix, peer)
                case .remove(let prefix): allowedIPs.remove(prefix, ifOwnedBy: peer)
                }
            }
        }
        if let interval = update.persistentKeepalive {
            let wasOff = peer.persistentKeepaliveInterval == 0
            peer.persistentKeepaliveInterval = interval
            if interval == 0 {
                peer.persistentKeepaliveDeadline = nil
            } else if wasOff {
                // Turning persistent keepalive on sends one keepalive right away.
                sendKeepalive(peer, now: now, effects: &effects)
            }
        }
        sendStagedPackets(peer, now: now, effects: &effects)
    }

    /// Sets (or, with the all-zero key, clears) our static key. A peer whose public key equals the new
    /// public key is removed; every other peer's static-static DH is recomputed, its handshake dropped and
    /// its sessions made unusable for sending, so new handshakes start at once with the new identity.
    private func setPrivateKey(_ key: PrivateKey, now: Now) {
        if let current = privateKey, current == key { return }
        let newIdentity = StaticIdentity(key)
        if let pub = newIdentity?.publicKey, let clash = peersByKey[pub] { removePeer(clash) }
        identity = newIdentity
        privateKey = key.isZero ? nil : key
        cookieChecker = newIdentity.map { CookieChecker(publicKey: $0.publicKey) }
        peerList.forEach { peer in
            unregisterHandshake(peer)
            peer.handshake.clear()
            peer.handshake.setIdentity(newIdentity)
            peer.keypairs.current?.canSend = false
            peer.keypairs.next?.canSend = false
            peer.lastSentHandshake = now.monotonic - (Constants.rekeyTimeout + .seconds(1))
        }
    }

    private func addPeer(_ key: PublicKey, now: Now) -> PeerState {
        let peer = PeerState(publicKey: key, identity: identity, now: now.monotonic)
        peersCreated += 1
        peer.sequence = peersCreated
        peer.timerQueue = timers
        peersByKey[key] = peer
        peerList.append(peer)
        return peer
    }

    /// Removes a peer and everything that points to it. O(its allowed IPs + log peers).
    func removePeer(_ peer: PeerState) {
        release(peer)
        peersByKey[peer.publicKey] = nil
        peerList.remove(peer)
    }

    /// Removes every peer (`replace_peers`). O(peers + allowed IPs).
    func removeAllPeers() {
        for peer in peerList.removeAll() {
            release(peer)
            peersByKey[peer.publicKey] = nil
        }
    }

    /// Detaches `peer` from the tables it is in, other than the peer list and key map.
    private func release(_ peer: PeerState) {
        retire(peer)
        allowedIPs.removeAll(ownedBy: peer)
        destroy(peer.keypairs.clear())
        unregisterHandshake(peer)
        peer.handshake.clear()
        peer.staged.removeAll()
        peer.timersStop()
        timers.remove(peer)
        peer.timerQueue = nil
    }

    /// The device's configuration and counters, as UAPI `get=1` reports them.
    public func status() -> DeviceStatus {
        var status = deviceStatus()
        status.peers = peerStatus(of: peerList.all)
        return status
    }

    /// The device part of `status()`, without peers.
    public func deviceStatus() -> DeviceStatus {
        DeviceStatus(privateKey: privateKey, publicKey: identity?.publicKey, listenPort: listenPort, fwmark: fwmark,
                     peers: [])
    }

    /// The status of `peers` that still belong to this engine (a host that reads a large device in slices,
    /// releasing its lock in between, gets the peers that were removed meanwhile left out).
    public func peerStatus(of peers: some Sequence<PeerState>) -> [PeerStatus] {
        peers.compactMap { peer in
            guard peersByKey[peer.publicKey] === peer else { return nil }
            return PeerStatus(publicKey: peer.publicKey, presharedKey: peer.presharedKey, endpoint: peer.endpoint,
                              lastHandshake: peer.lastHandshake, rxBytes: peer.rxBytes, txBytes: peer.txBytes,
                              persistentKeepalive: peer.persistentKeepaliveInterval,
                              allowedIPs: allowedIPs.prefixes(ownedBy: peer))
        }
    }
}
