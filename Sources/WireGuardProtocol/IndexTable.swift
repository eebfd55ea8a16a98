// SPDX-License-Identifier: MIT

import WireGuardCrypto

/// What a local receiver index points to.
enum IndexEntry {
    case handshake(PeerState)
    case keypair(Keypair, PeerState)

    var peer: PeerState {
        switch self {
        case .handshake(let p), .keypair(_, let p): return p
        }
    }
}

/// Random 32-bit receiver indices → handshakes in flight and live keypairs (wireguard-go indextable.go).
/// Indices are random so they reveal nothing about how many sessions exist.
struct IndexTable {
    private var entries: [UInt32: IndexEntry] = [:]

    /// Registers `entry` under a fresh random index.
    mutating func insert(_ entry: IndexEntry, random: some RandomSource) -> UInt32 {
        while true {
            let index = random.nextUInt32()
            if entries[index] == nil {
                entries[index] = entry
                return index
            }
        }
    }

    /// Rebinds an existing index (a handshake's index becomes its keypair's).
    mutating func replace(_ index: UInt32, with entry: IndexEntry) {
        entries[index] = entry
    }

    mutating func remove(_ index: UInt32) {
        entries[index] = nil
    }

    @inline(__always)
    subscript(index: UInt32) -> IndexEntry? { entries[index] }
}
