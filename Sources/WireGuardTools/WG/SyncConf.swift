// SPDX-License-Identifier: MIT
// `wg syncconf` (setconf.c sync_conf): turning "make the device look like this file" into the smallest
// change, so that peers that stay keep their sessions. Peers running but absent from the file are removed;
// a preshared key or keepalive the file no longer mentions is turned off explicitly, since a peer update
// only changes what it names. Unlike wireguard-tools, a peer whose block would change nothing is not sent at
// all (the device ends the same; a large device is not re-sent whole for one change).

import WireGuardModel

enum SyncConf {
    /// True when the running configuration is needed at all: a file without peers replaces them all.
    static func needsRuntime(_ file: DeviceUpdate) -> Bool { !file.peers.isEmpty }

    /// The change that brings a device from `runtime` to what `file` (read without append) describes.
    static func changes(file: DeviceUpdate, runtime: DeviceStatus) -> DeviceUpdate {
        guard !file.peers.isEmpty, !runtime.peers.isEmpty else { return file }
        var result = file
        result.replacePeers = false
        var firstInFile: [PublicKey: Int] = [:]
        for (index, peer) in file.peers.enumerated() where firstInFile[peer.publicKey] == nil {
            firstInFile[peer.publicKey] = index
        }
        // Removals go first, in descending key order, as wireguard-tools prepends them while walking the
        // sorted keys.
        let sorted = runtime.peers.map { ($0, $0.publicKey.bytes) }.sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(\.0)
        var removals: [PeerUpdate] = []
        for running in sorted {
            guard let index = firstInFile[running.publicKey] else {
                removals.append(PeerUpdate(publicKey: running.publicKey, remove: true))
                continue
            }
            if running.presharedKey != nil && result.peers[index].presharedKey == nil {
                result.peers[index].presharedKey = .zero
            }
            if running.persistentKeepalive != 0 && result.peers[index].persistentKeepalive == nil {
                result.peers[index].persistentKeepalive = 0
            }
        }
        // A block that would leave its peer exactly as it runs is left out: 10,000 unchanged peers are then
        // not re-sent, re-parsed and re-applied for a change to one.
        let running = Dictionary(runtime.peers.map { ($0.publicKey, $0) }, uniquingKeysWith: { first, _ in first })
        var occurrences: [PublicKey: Int] = [:]
        for peer in file.peers { occurrences[peer.publicKey, default: 0] += 1 }
        result.peers.removeAll { block in
            guard occurrences[block.publicKey] == 1, let now = running[block.publicKey] else { return false }
            return leavesUnchanged(block, now)
        }
        result.peers = removals.reversed() + result.peers
        return result
    }

    /// True when applying `block` to the peer `running` describes would change nothing.
    static func leavesUnchanged(_ block: PeerUpdate, _ running: PeerStatus) -> Bool {
        guard !block.remove, !block.updateOnly, block.replaceAllowedIPs else { return false }
        if let psk = block.presharedKey, psk != (running.presharedKey ?? .zero) { return false }
        if let endpoint = block.endpoint, endpoint != running.endpoint { return false }
        if let keepalive = block.persistentKeepalive, keepalive != running.persistentKeepalive { return false }
        guard block.allowedIPs.count == running.allowedIPs.count else { return false }
        for (change, prefix) in zip(block.allowedIPs, running.allowedIPs) {
            guard case .add(let p) = change, p == prefix else { return false }
        }
        return true
    }
}
