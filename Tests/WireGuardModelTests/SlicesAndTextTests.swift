// SPDX-License-Identifier: MIT
// Large-configuration helpers: slicing an update for short lock holds, and address text that must read and
// write exactly as inet_pton and inet_ntop do.

#if canImport(Glibc)
import Glibc
#endif
import Testing
import WireGuardModel

@Suite struct SlicesAndTextTests {
    func key(_ n: Int) -> PublicKey { PublicKey(bytes: (0..<32).map { UInt8(truncatingIfNeeded: n >> ($0 % 4 * 8)) })! }

    @Test func peerSlicesKeepOrderAndStayWithinBudget() {
        var update = DeviceUpdate(privateKey: PrivateKey(bytes: [UInt8](repeating: 3, count: 32)), listenPort: 9, fwmark: 1, replacePeers: true)
        let prefix = IPPrefix("10.0.0.0/8")!
        for i in 0..<500 {
            update.peers.append(PeerUpdate(publicKey: key(i), allowedIPs: Array(repeating: .add(prefix), count: i % 7 == 0 ? 300 : i % 5)))
        }
        let budget = 100
        let slices = update.peerSlices(budget: budget)
        #expect(slices.flatMap { $0 } == update.peers, "slices cover the blocks in order")
        for s in slices {
            let cost = s.reduce(0) { $0 + 1 + $1.allowedIPs.count }
            #expect(cost <= budget || s.count == 1, "slice of cost \(cost)")
        }
        // Slices are full: a slice and the first block of the next one would exceed the budget.
        for (s, next) in zip(slices, slices.dropFirst()) {
            let cost = s.reduce(0) { $0 + 1 + $1.allowedIPs.count } + 1 + next.first!.allowedIPs.count
            #expect(cost > budget)
        }
        #expect(DeviceUpdate().peerSlices(budget: budget).isEmpty)
        // Blocks of cost 10 fill a budget of 100 exactly.
        let even = DeviceUpdate(peers: (0..<30).map { PeerUpdate(publicKey: key($0), allowedIPs: Array(repeating: .add(prefix), count: 9)) })
        #expect(even.peerSlices(budget: 100).map(\.count) == [10, 10, 10])
        let head = update.deviceOnly
        #expect(head.peers.isEmpty && !head.replacePeers && head.privateKey == update.privateKey
                && head.listenPort == 9 && head.fwmark == 1)
    }

    /// inet_pton's verdict and inet_ntop's text, for comparison.
    func system(_ text: String) -> String? {
        var a6 = in6_addr(), a4 = in_addr()
        var buf = [CChar](repeating: 0, count: 64)
        if inet_pton(AF_INET6, text, &a6) == 1 && text.contains(":") {
            return inet_ntop(AF_INET6, &a6, &buf, 64).map { _ in String(cString: buf) }
        }
        if inet_pton(AF_INET, text, &a4) == 1 && !text.contains(":") {
            return inet_ntop(AF_INET, &a4, &buf, 64).map { _ in String(cString: buf) }
        }
        return nil
    }

    @Test(arguments: [
        "0.0.0.0", "255.255.255.255", "10.0.0.1", "1.2.3.4", "01.2.3.4", "1.2.3.04", "1.2.3", "1.2.3.4.5", "256.0.0.1",
        "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.a", "", "::", "::1", "fd00::", "FD00::ABCD",
        "2001:db8::1:0:0:1", "2001:0db8:0000:0000:0000:0000:0000:0001", "::ffff:1.2.3.4", "::1.2.3.4", "1::2::3",
        "fd00::/64", "fe80::1%eth0", "0000:0000:0000:0000:0000:0000:255.255.255.255", "1:2:3:4:5:6:7:8:9", ":::",
        "12345::", "1.2.3.4:80", "999.1.1.1", "0.0.0.00",
    ])
    func addressTextMatchesTheSystem(text: String) {
        #expect(IPAddress(text)?.description == system(text))
    }

    @Test func randomAddressesRoundTripAsTheSystemWritesThem() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state }
        for _ in 0..<2000 {
            let v4 = IPAddress.v4(UInt32(truncatingIfNeeded: next() >> 16))
            // Sparse IPv6 addresses, so that zero runs (written "::") are common.
            let v6 = IPAddress.v6(hi: next() & 0xFFFF_0000_0000_FFFF, lo: next() & 0x0000_FFFF_0000_0000)
            for a in [v4, v6] {
                #expect(system(a.description) == a.description)
                #expect(IPAddress(a.description) == a)
                let length = Int(next() % UInt64(a.bitWidth + 1))
                let p = IPPrefix(address: a, length: length)!
                #expect(IPPrefix(p.description) == p)
                #expect(IPPrefix(Substring(p.description)) == p)
            }
        }
        for bad in ["10.0.0.0/33", "fd00::/129", "10.0.0.0", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/9",
                    "10.0.0.0/0008", "/8", "10.0.0.0/ 8"] {
            #expect(IPPrefix(bad) == nil, "\(bad)")
        }
    }
}
