// SPDX-License-Identifier: MIT
// Cryptokey routing table: a path-compressed binary trie per address family mapping prefixes to an owner
// (kernel allowedips.c, wireguard-go allowedips.go). Outgoing packets pick a peer by longest-prefix match on
// their destination; decrypted packets must have a source that maps back to the peer that sent them.

import WireGuardModel

/// Longest-prefix-match table from IP prefixes to owners (compared by identity). Each prefix has at most
/// one owner: inserting it for another owner moves it.
public struct AllowedIPs<Value: AnyObject> {
    final class Node {
        var hi: UInt64
        var lo: UInt64
        var cidr: Int
        var child0: Node?
        var child1: Node?
        // Not `weak`: a weak reference moves the target's refcount to a side table and slows every retain during
        // lookups. A parent always outlives its attached children, and a detached node's parent is never read.
        unowned(unsafe) var parent: Node?
        var value: Value?
        /// Insertion order, so a peer's prefixes read back in the order they were added.
        var order = 0
        let isV4: Bool

        init(hi: UInt64, lo: UInt64, cidr: Int, value: Value?, isV4: Bool) {
            self.hi = hi
            self.lo = lo
            self.cidr = cidr
            self.value = value
            self.isV4 = isV4
        }
    }

    private var root4: Node?
    private var root6: Node?
    private var byOwner: [ObjectIdentifier: [ObjectIdentifier: Node]] = [:]
    private var sequence = 0
    /// Number of prefixes stored.
    public private(set) var count = 0

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

    @inline(__always)
    private static func child(_ n: Node, _ b: Int) -> Node? { b == 0 ? n.child0 : n.child1 }

    private static func setChild(_ n: Node, _ b: Int, _ c: Node?) {
        if b == 0 { n.child0 = c } else { n.child1 = c }
        c?.parent = n
    }

    private mutating func replaceInParent(_ old: Node, with new: Node?, v4: Bool) {
        if let p = old.parent {
            if p.child0 === old { p.child0 = new } else { p.child1 = new }
            new?.parent = p
        } else {
            new?.parent = nil
            if v4 { root4 = new } else { root6 = new }
        }
    }

    // MARK: Lookup

    /// The owner of the longest prefix containing `address`, or nil.
    @inline(__always)
    public func lookup(_ address: IPAddress) -> Value? {
        let (hi, lo) = address.wide
        let width = address.bitWidth
        var node = address.isV4 ? root4 : root6
        var found: Value?
        while let n = node, AllowedIPs.commonBits(n, hi, lo) >= n.cidr {
            if let v = n.value { found = v }
            if n.cidr == width { break }
            node = AllowedIPs.child(n, AllowedIPs.bit(hi, lo, n.cidr))
        }
        return found
    }

    private func exactNode(_ prefix: IPPrefix) -> Node? {
        let (hi, lo) = prefix.address.wide
        var node = prefix.address.isV4 ? root4 : root6
        while let n = node, n.cidr <= prefix.length, AllowedIPs.commonBits(n, hi, lo) >= n.cidr {
            if n.cidr == prefix.length { return n.value == nil ? nil : n }
            node = AllowedIPs.child(n, AllowedIPs.bit(hi, lo, n.cidr))
        }
        return nil
    }

    /// The depth of the deepest node (1 for a single node); a balanced trie of n random prefixes stays
    /// near log2(n), and never exceeds the address width plus one.
    public var depth: Int {
        func walk(_ n: Node?) -> Int { n.map { 1 + max(walk($0.child0), walk($0.child1)) } ?? 0 }
        return max(walk(root4), walk(root6))
    }

    // MARK: Changes

    /// Maps `prefix` to `value`, moving it from any previous owner.
    public mutating func insert(_ prefix: IPPrefix, _ value: Value) {
        let v4 = prefix.address.isV4
        let (hi, lo) = prefix.address.wide
        let cidr = prefix.length
        sequence += 1
        guard let root = v4 ? root4 : root6 else {
            let n = Node(hi: hi, lo: lo, cidr: cidr, value: value, isV4: v4)
            if v4 { root4 = n } else { root6 = n }
            register(n, value)
            return
        }
        var node: Node? = root
        var parent: Node?
        while let n = node, n.cidr <= cidr, AllowedIPs.commonBits(n, hi, lo) >= n.cidr {
            if n.cidr == cidr {
                if let old = n.value { unregister(n, old) }
                n.value = value
                register(n, value)
                return
            }
            parent = n
            node = AllowedIPs.child(n, AllowedIPs.bit(hi, lo, n.cidr))
        }
        let new = Node(hi: hi, lo: lo, cidr: cidr, value: value, isV4: v4)
        register(new, value)
        guard let down = node else {
            AllowedIPs.setChild(parent!, AllowedIPs.bit(hi, lo, parent!.cidr), new)
            return
        }
        let common = min(cidr, AllowedIPs.commonBits(down, hi, lo))
        if common == cidr {
            // The new prefix covers `down`: it takes `down`'s place and `down` hangs below it.
            replaceInParent(down, with: new, v4: v4)
            AllowedIPs.setChild(new, AllowedIPs.bit(down.hi, down.lo, cidr), down)
        } else {
            // They diverge at bit `common`: a valueless branch node holds both.
            let (bh, bl) = AllowedIPs.masked(hi, lo, common)
            let branch = Node(hi: bh, lo: bl, cidr: common, value: nil, isV4: v4)
            replaceInParent(down, with: branch, v4: v4)
            AllowedIPs.setChild(branch, AllowedIPs.bit(down.hi, down.lo, common), down)
            AllowedIPs.setChild(branch, AllowedIPs.bit(hi, lo, common), new)
        }
    }

    /// Removes `prefix` only if `value` owns it. Returns true if something was removed.
    @discardableResult
    public mutating func remove(_ prefix: IPPrefix, ifOwnedBy value: Value) -> Bool {
        guard let n = exactNode(prefix), n.value === value else { return false }
        removeNode(n, v4: prefix.address.isV4)
        return true
    }

    /// Removes every prefix owned by `value`.
    public mutating func removeAll(ownedBy value: Value) {
        guard let nodes = byOwner[ObjectIdentifier(value)] else { return }
        for node in nodes.values { removeNode(node, v4: node.isV4) }
    }

    /// The prefixes owned by `value`, in the order they were inserted.
    public func prefixes(ownedBy value: Value) -> [IPPrefix] {
        guard let nodes = byOwner[ObjectIdentifier(value)] else { return [] }
        return nodes.values.sorted { $0.order < $1.order }.map { n in
            let address: IPAddress = n.isV4 ? .v4(UInt32(truncatingIfNeeded: n.hi >> 32)) : .v6(hi: n.hi, lo: n.lo)
            return IPPrefix(address: address, length: n.cidr)!
        }
    }

    private mutating func register(_ n: Node, _ value: Value) {
        n.order = sequence
        byOwner[ObjectIdentifier(value), default: [:]][ObjectIdentifier(n)] = n
        count += 1
    }

    private mutating func unregister(_ n: Node, _ value: Value) {
        let key = ObjectIdentifier(value)
        byOwner[key]?[ObjectIdentifier(n)] = nil
        if byOwner[key]?.isEmpty == true { byOwner[key] = nil }
        count -= 1
    }

    private mutating func removeNode(_ n: Node, v4: Bool) {
        if let v = n.value { unregister(n, v) }
        n.value = nil
        if n.child0 != nil && n.child1 != nil { return }  // still needed as a branch
        let only = n.child0 ?? n.child1
        let parent = n.parent
        replaceInParent(n, with: only, v4: v4)
        n.child0 = nil
        n.child1 = nil
        // A removed leaf may leave a valueless parent with one child: splice that branch out too.
        if only == nil, let p = parent, p.value == nil {
            let sibling = p.child0 ?? p.child1
            replaceInParent(p, with: sibling, v4: v4)
            p.child0 = nil
            p.child1 = nil
        }
    }
}
