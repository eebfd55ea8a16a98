// SPDX-License-Identifier: MIT
// Cutting a large configuration change into slices that can be applied one after the other with a lock
// released in between, so that traffic and timers never wait for the whole of it (10,000 peers and 130,000
// allowed IPs take a few hundred milliseconds to apply; a slice takes a few).

extension DeviceUpdate {
    /// The device part of the update: key, port and fwmark, without peers and without replace_peers.
    public var deviceOnly: DeviceUpdate {
        DeviceUpdate(privateKey: privateKey, listenPort: listenPort, fwmark: fwmark)
    }

    /// `peers` in consecutive slices, in order, each holding peer blocks whose cost (one per block and one
    /// per allowed-IP change) adds up to at most `budget`, or a single block that alone exceeds it.
    public func peerSlices(budget: Int) -> [ArraySlice<PeerUpdate>] {
        var slices: [ArraySlice<PeerUpdate>] = []
        var start = peers.startIndex, cost = 0
        for i in peers.indices {
            let c = 1 + peers[i].allowedIPs.count
            if cost + c > budget && i > start {
                slices.append(peers[start..<i])
                start = i
                cost = 0
            }
            cost += c
        }
        if start < peers.endIndex { slices.append(peers[start...]) }
        return slices
    }
}
