// SPDX-License-Identifier: MIT
// `wg syncconf` (setconf.c sync_conf): turning "make the device look like this file" into the smallest
// change, so that peers that stay keep their sessions. Peers running but absent from the file are removed;
// a preshared key or keepalive the file no longer mentions is turned off explicitly, since a peer update
// only changes what it names.

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
        let sorted = runtime.peers.sorted { $0.publicKey.bytes.lexicographicallyPrecedes($1.publicKey.bytes) }
        var removals: [PeerUpdate] = []
        for running in sorted {
            guard let index = firstInFile[running.publicKey] else {
                removals.insert(PeerUpdate(publicKey: running.publicKey, remove: true), at: 0)
                continue
            }
            if running.presharedKey != nil && result.peers[index].presharedKey == nil {
                result.peers[index].presharedKey = .zero
            }
            if running.persistentKeepalive != 0 && result.peers[index].persistentKeepalive == nil {
                result.peers[index].persistentKeepalive = 0
            }
        }
        result.peers = removals + result.peers
        return result
    }
}
