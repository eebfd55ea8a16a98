// SPDX-License-Identifier: MIT

import Testing
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

final class Tag: CustomStringConvertible {
    let name: String
    init(_ name: String) { self.name = name }
    var description: String { name }
}

@Suite struct AllowedIPsTests {
    /// The kernel selftest's insert-and-lookup KATs (protocol.md §9.3).
    @Test func kernelKATs() {
        let a = Tag("a"), b = Tag("b"), c = Tag("c"), d = Tag("d"), e = Tag("e"), f = Tag("f"), g = Tag("g"), h = Tag("h")
        let t = Ref(AllowedIPs<Tag>())
        func ins(_ tag: Tag, _ p: String) { t.value.insert(IPPrefix(p)!, tag) }
        ins(a, "192.168.4.0/24"); ins(b, "192.168.4.4/32"); ins(c, "192.168.0.0/16"); ins(d, "192.95.5.64/27")
        ins(c, "192.95.5.65/27"); ins(e, "0.0.0.0/0"); ins(g, "64.15.112.0/20"); ins(h, "64.15.123.211/25")
        ins(a, "10.0.0.0/25"); ins(b, "10.0.0.128/25"); ins(a, "10.1.0.0/30"); ins(b, "10.1.0.4/30")
        ins(c, "10.1.0.8/29"); ins(d, "10.1.0.16/29")
        ins(d, "2607:5300:6000:6b00::c05f:543/128"); ins(c, "2607:5300:6000:6b00::/64"); ins(f, "::/0")
        ins(g, "2404:6800::/32"); ins(h, "2404:6800:4004:800:dead:beef:dead:beef/64"); ins(a, "2404:6800:4004:800:dead:beef:dead:beef/128")
        let expected: [(String, Tag)] = [
            ("192.168.4.20", a), ("192.168.4.0", a), ("192.168.4.4", b), ("192.168.200.182", c), ("192.95.5.68", c),
            ("192.95.5.96", e), ("64.15.116.26", g), ("64.15.127.3", g), ("64.15.123.1", g), ("64.15.123.128", h),
            ("64.15.123.129", h), ("10.0.0.52", a), ("10.0.0.220", b), ("10.1.0.2", a), ("10.1.0.6", b),
            ("10.1.0.10", c), ("10.1.0.20", d),
            ("2607:5300:6000:6b00::c05f:543", d), ("2607:5300:6000:6b00::c02e:1ee", c), ("2607:5300:6000:6b01::", f),
            ("2404:6800:4004:806::1006", g), ("2404:6800:4004:800:0:1234:0:5678", h), ("2404:6800:4004:800::", h),
            ("2404:6800:4004:800:dead:beef:dead:beef", a), ("2404:67ff::1", f),
        ]
        for (address, tag) in expected {
            #expect(t.value.lookup(IPAddress(address)!) === tag, "\(address) should map to \(tag)")
        }
        #expect(t.value.prefixes(ownedBy: d).map(\.description) == ["10.1.0.16/29", "2607:5300:6000:6b00::c05f:543/128"])
        #expect(t.value.prefixes(ownedBy: c).contains(IPPrefix("192.95.5.64/27")!), "a prefix moves to its new owner")
    }

    @Test func removalKATs() {
        let a = Tag("a"), b = Tag("b")
        let t = Ref(AllowedIPs<Tag>())
        for p in ["1.0.0.0/32", "64.0.0.0/32", "128.0.0.0/32", "192.0.0.0/32", "255.0.0.0/32"] { t.value.insert(IPPrefix(p)!, a) }
        t.value.removeAll(ownedBy: a)
        for p in ["1.0.0.0", "64.0.0.0", "128.0.0.0", "192.0.0.0", "255.0.0.0"] { #expect(t.value.lookup(IPAddress(p)!) == nil) }
        #expect(t.value.count == 0)
        t.value.insert(IPPrefix("192.168.0.0/16")!, a)
        t.value.insert(IPPrefix("192.168.0.0/24")!, a)
        t.value.removeAll(ownedBy: a)
        #expect(t.value.lookup(IPAddress("192.168.0.1")!) == nil)

        // Removing one prefix: only the exact prefix, only if that owner has it.
        t.value.insert(IPPrefix("10.0.0.0/8")!, a)
        t.value.insert(IPPrefix("10.1.0.0/16")!, b)
        #expect(!t { $0.remove(IPPrefix("10.1.0.0/16")!, ifOwnedBy: a) })
        #expect(!t { $0.remove(IPPrefix("10.1.0.0/24")!, ifOwnedBy: b) })
        #expect(t.value.lookup(IPAddress("10.1.2.3")!) === b)
        #expect(t { $0.remove(IPPrefix("10.1.0.0/16")!, ifOwnedBy: b) })
        #expect(t.value.lookup(IPAddress("10.1.2.3")!) === a)
        #expect(t.value.prefixes(ownedBy: b).isEmpty)
    }

    @Test func depthStaysLogarithmicForRandomPrefixes() {
        let random = SeededRandom(seed: 99)
        let t = Ref(AllowedIPs<Tag>())
        let tag = Tag("x")
        for _ in 0..<10_000 {
            t.value.insert(IPPrefix(address: .v4(UInt32(truncatingIfNeeded: random.next())), length: 32)!, tag)
        }
        #expect(t.value.depth < 33, "depth \(t.value.depth)")
    }

    @Test func readBackMasksHostBits() {
        #expect(IPPrefix("192.95.5.93/27")!.description == "192.95.5.64/27")
        #expect(IPPrefix("2607:5300:6d8a:6bf8:dab1:f1df:c05f:1523/83")!.description == "2607:5300:6d8a:6bf8:dab1:e000::/83")
        #expect(IPPrefix("2607:5300:6d8a:6bf8:dab1:f1df:c05f:1523/21")!.description == "2607:5000::/21")
    }

    /// Random inserts, moves and removals checked against a naive list (the kernel's horrible_allowedips).
    @Test(arguments: [11, 12, 13])
    func randomizedAgainstNaiveList(seed: UInt64) {
        let random = SeededRandom(seed: seed)
        let tags = (0..<8).map { Tag("p\($0)") }
        let t = Ref(AllowedIPs<Tag>())
        var naive: [IPPrefix: Tag] = [:]
        func randomAddress(v6: Bool) -> IPAddress {
            // A small address space makes overlaps and moves common.
            v6 ? .v6(hi: 0x2001_0db8_0000_0000 | (random.next() & 0xFF_FFFF), lo: random.next() & 0xFF)
               : .v4(0x0A00_0000 | UInt32(truncatingIfNeeded: random.next() & 0xFF_FFFF))
        }
        for step in 0..<3000 {
            let v6 = random.next() % 2 == 0
            let len = v6 ? 32 + Int(random.next() % 97) : 8 + Int(random.next() % 25)
            let prefix = IPPrefix(address: randomAddress(v6: v6), length: len)!
            let tag = tags[Int(random.next() % 8)]
            switch random.next() % 10 {
            case 0..<6:
                t.value.insert(prefix, tag); naive[prefix] = tag
            case 6..<8:
                let existing = naive.keys.randomElementSeeded(random)
                if let existing, let owner = naive[existing] {
                    #expect(t { $0.remove(existing, ifOwnedBy: owner) }); naive[existing] = nil
                }
            case 8:
                t.value.removeAll(ownedBy: tag); naive = naive.filter { $0.value !== tag }
            default:
                #expect(!t { $0.remove(prefix, ifOwnedBy: tag) } || naive[prefix] === tag)
                if naive[prefix] === tag { naive[prefix] = nil }
            }
            if step % 50 == 0 {
                for _ in 0..<50 {
                    let probe = randomAddress(v6: random.next() % 2 == 0)
                    let best = naive.filter { $0.key.contains(probe) }.max { $0.key.length < $1.key.length }
                    #expect(t.value.lookup(probe) === best?.value)
                }
                #expect(t.value.count == naive.count)
            }
        }
        #expect(t.value.depth <= 129, "path compression bounds the depth by the address width")
        for tag in tags {
            #expect(Set(t.value.prefixes(ownedBy: tag)) == Set(naive.filter { $0.value === tag }.keys))
        }
    }
}

extension Collection {
    func randomElementSeeded(_ random: SeededRandom) -> Element? {
        guard !isEmpty else { return nil }
        return self[index(startIndex, offsetBy: Int(random.next() % UInt64(count)))]
    }
}
