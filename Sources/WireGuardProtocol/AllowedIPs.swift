// SPDX-License-Identifier: MIT
// Cryptokey routing table: a path-compressed binary trie per address family mapping prefixes to an owner
// (kernel allowedips.c, wireguard-go allowedips.go). Outgoing packets pick a peer by longest-prefix match on
// their destination; decrypted packets must have a source that maps back to the peer that sent them.
//
// Nodes live in one array and refer to each other by 32-bit index (0 is "none"): 48 bytes a node, no
// allocation or reference counting per node, which keeps 130,000 prefixes near 12 MB and lookups free of
// retains. Each owner's nodes form a doubly linked list in insertion order (the kernel's per-peer list), so
// removing or listing an owner's prefixes costs what it owns, not what the table holds.

import WireGuardModel

/// Longest-prefix-match table from IP prefixes to owners (compared by identity). Each prefix has at most
/// one owner: inserting it for another owner moves it.
public struct AllowedIPs<Value: AnyObject> {
    struct Node {
        /// The prefix, left-aligned in 128 bits (IPv4 in the top 32), host bits zero.
        var hi: UInt64
        var lo: UInt64
        var child0: UInt32 = 0
        var child1: UInt32 = 0
        var parent: UInt32 = 0
        /// Index in `owners`, 0 for a valueless branch node.
        var owner: UInt32 = 0
        /// Neighbours in the owner's list.
        var previousOwned: UInt32 = 0
        var nextOwned: UInt32 = 0
        var cidr: UInt8
        var isV4: Bool
    }

    struct Owner {
        var value: Value?
        var head: UInt32 = 0
        var tail: UInt32 = 0
        var count = 0
    }

    /// Slot 0 of both arrays is the "none" entry.
    private var nodes: [Node] = [Node(hi: 0, lo: 0, cidr: 0, isV4: false)]
    private var freeNodes: [UInt32] = []
    private var owners: [Owner] = [Owner()]
    private var freeOwners: [UInt32] = []
    private var ownerSlots: [ObjectIdentifier: UInt32] = [:]
    private var root4: UInt32 = 0
    private var root6: UInt32 = 0
    /// Number of prefixes stored.
    public private(set) var count = 0
    /// Nodes added or removed since creation (tests: what a configuration change touched).
    private(set) var nodeChanges = 0

    public init() {}

    // MARK: Bit helpers on left-aligned 128-bit keys

    @inline(__always)
    private static func bit(_ hi: UInt64, _ lo: UInt64, _ i: Int) -> Int {
        i < 64 ? Int(truncatingIfNeeded: (hi >> UInt64(63 - i)) & 1) : Int(truncatingIfNeeded: (lo >> UInt64(127 - i)) & 1)
    }

    @inline(__always)
    private static func commonBits(_ n: Node, _ hi: UInt64, _ lo: UInt64) -> Int {
        let x = n.hi ^ hi
        if x != 0 { return x.leadingZeroBitCount }
        return 64 + (n.lo ^ lo).leadingZeroBitCount
    }

    private static func masked(_ hi: UInt64, _ lo: UInt64, _ cidr: Int) -> (UInt64, UInt64) {
        if cidr == 0 { return (0, 0) }
        if cidr <= 64 { return (hi & ~UInt64(0) << UInt64(64 - cidr), 0) }
        if cidr == 128 { return (hi, lo) }
        return (hi, lo & ~UInt64(0) << UInt64(128 - cidr))
    }

    // MARK: Lookup

    /// The owner of the longest prefix containing `address`, or nil.
    @inline(__always)
    public func lookup(_ address: IPAddress) -> Value? {
        let (hi, lo) = address.wide
        let width = address.bitWidth
        var i = address.isV4 ? root4 : root6
        let found: UInt32 = nodes.withUnsafeBufferPointer { table in
            var found: UInt32 = 0
            while i != 0 {
                let n = table[Int(i)]
                let cidr = Int(n.cidr)
                guard AllowedIPs.commonBits(n, hi, lo) >= cidr else { break }
                if n.owner != 0 { found = n.owner }
                if cidr == width { break }
                i = AllowedIPs.bit(hi, lo, cidr) == 0 ? n.child0 : n.child1
            }
            return found
        }
        return found == 0 ? nil : owners[Int(found)].value
    }

    /// The node holding exactly `prefix` with an owner, or 0.
    private func exactNode(_ prefix: IPPrefix) -> UInt32 {
        let (hi, lo) = prefix.address.wide
        var i = prefix.address.isV4 ? root4 : root6
        while i != 0 {
            let n = nodes[Int(i)]
            guard Int(n.cidr) <= prefix.length, AllowedIPs.commonBits(n, hi, lo) >= Int(n.cidr) else { return 0 }
            if Int(n.cidr) == prefix.length { return n.owner == 0 ? 0 : i }
            i = AllowedIPs.bit(hi, lo, Int(n.cidr)) == 0 ? n.child0 : n.child1
        }
        return 0
    }

    /// The depth of the deepest node (1 for a single node); a balanced trie of n random prefixes stays
    /// near log2(n), and never exceeds the address width plus one.
    public var depth: Int {
        func walk(_ i: UInt32) -> Int { i == 0 ? 0 : 1 + max(walk(nodes[Int(i)].child0), walk(nodes[Int(i)].child1)) }
        return max(walk(root4), walk(root6))
    }

    /// Nodes in use, branch nodes included (tests and memory accounting).
    var nodeCount: Int { nodes.count - 1 - freeNodes.count }

    // MARK: Changes

    /// Maps `prefix` to `value`, moving it from any previous owner.
    public mutating func insert(_ prefix: IPPrefix, _ value: Value) {
        let v4 = prefix.address.isV4
        let (hi, lo) = prefix.address.wide
        let cidr = prefix.length
        let root = v4 ? root4 : root6
        guard root != 0 else {
            let n = newNode(hi, lo, cidr, v4)
            if v4 { root4 = n } else { root6 = n }
            attach(n, to: value)
            return
        }
        var i = root
        var parent: UInt32 = 0
        while i != 0, Int(nodes[Int(i)].cidr) <= cidr, AllowedIPs.commonBits(nodes[Int(i)], hi, lo) >= Int(nodes[Int(i)].cidr) {
            if Int(nodes[Int(i)].cidr) == cidr {
                if nodes[Int(i)].owner != 0 { detach(i) }
                attach(i, to: value)
                return
            }
            parent = i
            i = child(i, AllowedIPs.bit(hi, lo, Int(nodes[Int(i)].cidr)))
        }
        let new = newNode(hi, lo, cidr, v4)
        attach(new, to: value)
        guard i != 0 else {
            setChild(parent, AllowedIPs.bit(hi, lo, Int(nodes[Int(parent)].cidr)), new)
            return
        }
        let down = nodes[Int(i)]
        let common = min(cidr, AllowedIPs.commonBits(down, hi, lo))
        if common == cidr {
            // The new prefix covers `down`: it takes `down`'s place and `down` hangs below it.
            replaceInParent(i, with: new, v4: v4)
            setChild(new, AllowedIPs.bit(down.hi, down.lo, cidr), i)
        } else {
            // They diverge at bit `common`: a valueless branch node holds both.
            let (bh, bl) = AllowedIPs.masked(hi, lo, common)
            let branch = newNode(bh, bl, common, v4)
            replaceInParent(i, with: branch, v4: v4)
            setChild(branch, AllowedIPs.bit(down.hi, down.lo, common), i)
            setChild(branch, AllowedIPs.bit(hi, lo, common), new)
        }
    }

    /// Removes `prefix` only if `value` owns it. Returns true if something was removed.
    @discardableResult
    public mutating func remove(_ prefix: IPPrefix, ifOwnedBy value: Value) -> Bool {
        let i = exactNode(prefix)
        guard i != 0, owners[Int(nodes[Int(i)].owner)].value === value else { return false }
        removeNode(i)
        return true
    }

    /// Removes every prefix owned by `value`. O(prefixes of `value`).
    public mutating func removeAll(ownedBy value: Value) {
        guard let slot = ownerSlots[ObjectIdentifier(value)] else { return }
        var i = owners[Int(slot)].head
        while i != 0 {
            let next = nodes[Int(i)].nextOwned
            removeNode(i)
            i = next
        }
    }

    /// The prefixes owned by `value`, in the order they were inserted.
    public func prefixes(ownedBy value: Value) -> [IPPrefix] {
        guard let slot = ownerSlots[ObjectIdentifier(value)] else { return [] }
        var out: [IPPrefix] = []
        out.reserveCapacity(owners[Int(slot)].count)
        var i = owners[Int(slot)].head
        while i != 0 {
            out.append(prefix(of: nodes[Int(i)]))
            i = nodes[Int(i)].nextOwned
        }
        return out
    }

    /// True when `changes` are all additions and name exactly the prefixes `value` owns, in the order they
    /// were inserted: replacing `value`'s prefixes with them would change nothing (`wg syncconf` resends
    /// every peer's list with replace_allowed_ips). O(prefixes of `value`).
    public func owns(_ value: Value, exactly changes: [AllowedIPChange]) -> Bool {
        guard let slot = ownerSlots[ObjectIdentifier(value)] else { return changes.isEmpty }
        guard owners[Int(slot)].count == changes.count else { return false }
        var i = owners[Int(slot)].head
        for change in changes {
            guard case .add(let p) = change, i != 0, p == prefix(of: nodes[Int(i)]) else { return false }
            i = nodes[Int(i)].nextOwned
        }
        return true
    }

    // MARK: Node and owner bookkeeping

    private func prefix(of n: Node) -> IPPrefix {
        let address: IPAddress = n.isV4 ? .v4(UInt32(truncatingIfNeeded: n.hi >> 32)) : .v6(hi: n.hi, lo: n.lo)
        return IPPrefix(address: address, length: Int(n.cidr))!
    }

    @inline(__always)
    private func child(_ i: UInt32, _ b: Int) -> UInt32 { b == 0 ? nodes[Int(i)].child0 : nodes[Int(i)].child1 }

    private mutating func setChild(_ i: UInt32, _ b: Int, _ c: UInt32) {
        if b == 0 { nodes[Int(i)].child0 = c } else { nodes[Int(i)].child1 = c }
        if c != 0 { nodes[Int(c)].parent = i }
    }

    private mutating func replaceInParent(_ old: UInt32, with new: UInt32, v4: Bool) {
        let p = nodes[Int(old)].parent
        if p != 0 {
            if nodes[Int(p)].child0 == old { nodes[Int(p)].child0 = new } else { nodes[Int(p)].child1 = new }
        } else if v4 {
            root4 = new
        } else {
            root6 = new
        }
        if new != 0 { nodes[Int(new)].parent = p }
    }

    private mutating func newNode(_ hi: UInt64, _ lo: UInt64, _ cidr: Int, _ v4: Bool) -> UInt32 {
        nodeChanges += 1
        let node = Node(hi: hi, lo: lo, cidr: UInt8(cidr), isV4: v4)
        if let i = freeNodes.popLast() {
            nodes[Int(i)] = node
            return i
        }
        nodes.append(node)
        return UInt32(nodes.count - 1)
    }

    private mutating func freeNode(_ i: UInt32) {
        nodeChanges += 1
        nodes[Int(i)] = Node(hi: 0, lo: 0, cidr: 0, isV4: false)
        freeNodes.append(i)
    }

    /// Gives node `i` (valueless) to `value`, at the end of its list.
    private mutating func attach(_ i: UInt32, to value: Value) {
        nodeChanges += 1
        let id = ObjectIdentifier(value)
        let slot: UInt32
        if let existing = ownerSlots[id] {
            slot = existing
        } else {
            if let reused = freeOwners.popLast() {
                slot = reused
                owners[Int(slot)] = Owner(value: value)
            } else {
                owners.append(Owner(value: value))
                slot = UInt32(owners.count - 1)
            }
            ownerSlots[id] = slot
        }
        let tail = owners[Int(slot)].tail
        nodes[Int(i)].owner = slot
        nodes[Int(i)].previousOwned = tail
        nodes[Int(i)].nextOwned = 0
        if tail != 0 { nodes[Int(tail)].nextOwned = i } else { owners[Int(slot)].head = i }
        owners[Int(slot)].tail = i
        owners[Int(slot)].count += 1
        count += 1
    }

    /// Takes node `i` out of its owner's list, leaving it valueless; an owner left with nothing is freed.
    private mutating func detach(_ i: UInt32) {
        let slot = nodes[Int(i)].owner
        let previous = nodes[Int(i)].previousOwned, next = nodes[Int(i)].nextOwned
        if previous != 0 { nodes[Int(previous)].nextOwned = next } else { owners[Int(slot)].head = next }
        if next != 0 { nodes[Int(next)].previousOwned = previous } else { owners[Int(slot)].tail = previous }
        nodes[Int(i)].owner = 0
        nodes[Int(i)].previousOwned = 0
        nodes[Int(i)].nextOwned = 0
        owners[Int(slot)].count -= 1
        count -= 1
        if owners[Int(slot)].count == 0, let value = owners[Int(slot)].value {
            ownerSlots[ObjectIdentifier(value)] = nil
            owners[Int(slot)] = Owner()
            freeOwners.append(slot)
        }
    }

    private mutating func removeNode(_ i: UInt32) {
        if nodes[Int(i)].owner != 0 { detach(i) }
        let n = nodes[Int(i)]
        if n.child0 != 0 && n.child1 != 0 { return }  // still needed as a branch
        let only = n.child0 != 0 ? n.child0 : n.child1
        replaceInParent(i, with: only, v4: n.isV4)
        freeNode(i)
        // A removed leaf may leave a valueless parent with one child: splice that branch out too.
        if only == 0, n.parent != 0, nodes[Int(n.parent)].owner == 0 {
            let p = nodes[Int(n.parent)]
            replaceInParent(n.parent, with: p.child0 != 0 ? p.child0 : p.child1, v4: n.isV4)
            freeNode(n.parent)
        }
    }
}
