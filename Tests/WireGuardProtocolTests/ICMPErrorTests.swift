// SPDX-License-Identifier: MIT
// ICMPError (the host/address-unreachable errors for packets no peer takes), byte for byte, and
// ICMPRateLimiter. The expected bytes were computed by an independent implementation (Python's struct and
// ipaddress, RFC 1071 sums) and are checked again here with PacketBuilder's checksum.

import Testing
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var i = text.startIndex
    while i < text.endIndex {
        let j = text.index(i, offsetBy: 2)
        bytes.append(UInt8(text[i..<j], radix: 16)!)
        i = j
    }
    return bytes
}

/// The error `ICMPError` builds for `packet`, or nil.
func unreachable(_ packet: [UInt8], allow: (IPAddress) -> Bool = { _ in true }) -> [UInt8]? {
    var out = [UInt8](repeating: 0xEE, count: ICMPError.maxLength)
    let n = packet.withUnsafeBytes { p in
        out.withUnsafeMutableBytes { o in
            ICMPError.destinationUnreachable(quoting: p.baseAddress!, length: p.count, into: o.baseAddress!, allow: allow)
        }
    }
    return n.map { Array(out[0..<$0]) }
}

@Suite struct ICMPErrorTests {
    let v4Source = IPAddress("10.9.0.1")!, v4Unrouted = IPAddress("10.9.0.77")!
    let v6Source = IPAddress("fd00::1")!, v6Unrouted = IPAddress("fd00::77")!

    @Test func ipv4HostUnreachableBytes() throws {
        let packet = PacketBuilder.ping(from: v4Source, to: v4Unrouted, payload: [1, 1, 1, 1])
        #expect(packet == hex("45000020000040004001267e0a0900010a09004d0800f5fb0001000101010101"))
        let reply = try #require(unreachable(packet))
        #expect(reply == hex("45c0003c00000000400165a20a09004d0a0900010301fcfe0000000045000020000040004001267e"
                             + "0a0900010a09004d0800f5fb0001000101010101"))
        #expect(PacketBuilder.checksum(Array(reply[0..<20])) == 0, "IPv4 header checksum")
        #expect(PacketBuilder.checksum(Array(reply[20...])) == 0, "ICMP checksum")
    }

    @Test func ipv6AddressUnreachableBytes() throws {
        let packet = PacketBuilder.ping(from: v6Source, to: v6Unrouted)
        let reply = try #require(unreachable(packet))
        #expect(reply == hex("6000000000383a40fd000000000000000000000000000077fd000000000000000000000000000001"
                             + "0103ef4b000000006000000000083a40fd000000000000000000000000000001fd00000000000000"
                             + "00000000000000778000000000010001"))
        // The ICMPv6 checksum covers the pseudo-header (RFC 8200 §8.1).
        let pseudo = Array(reply[8..<40]) + [0, 0, 0, 0x38, 0, 0, 0, 58]
        #expect(PacketBuilder.checksum(pseudo + Array(reply[40...])) == 0)
    }

    @Test func quotesAsMuchAsFitsIn576And1280Bytes() throws {
        let big4 = PacketBuilder.ipv4(from: v4Source, to: v4Unrouted, protocol: 17, payload: (0..<1400).map { UInt8($0 & 0xFF) })
        let r4 = try #require(unreachable(big4))
        #expect(r4.count == 576 && Array(r4[28...]) == Array(big4[0..<548]))
        #expect(UInt16(r4[2]) << 8 | UInt16(r4[3]) == 576)
        #expect(PacketBuilder.checksum(Array(r4[20...])) == 0)
        let big6 = PacketBuilder.ipv6(from: v6Source, to: v6Unrouted, nextHeader: 17, payload: (0..<1400).map { UInt8($0 & 0xFF) })
        let r6 = try #require(unreachable(big6))
        #expect(r6.count == 1280 && Array(r6[48...]) == Array(big6[0..<1232]))
        #expect(UInt16(r6[4]) << 8 | UInt16(r6[5]) == 1240, "payload length")
        // The TOS keeps the original's TOS bits under the internetwork-control precedence.
        var tos = PacketBuilder.ping(from: v4Source, to: v4Unrouted)
        tos[1] = 0x10
        #expect(try #require(unreachable(tos))[1] == 0xD0)
    }

    @Test func ipv4PacketsThatMustNotBeAnswered() {
        let ok = PacketBuilder.ping(from: v4Source, to: v4Unrouted)
        #expect(unreachable(ok) != nil)
        var fragment = ok
        fragment[7] = 0x10  // offset 16 × 8 bytes
        #expect(unreachable(fragment) == nil, "non-first fragment")
        var firstFragment = ok
        firstFragment[6] = 0x20  // MF, offset 0: answered
        #expect(unreachable(firstFragment) != nil, "first fragment")
        let icmpError = PacketBuilder.ipv4(from: v4Source, to: v4Unrouted, protocol: 1, payload: [3, 1, 0, 0, 0, 0, 0, 0])
        #expect(unreachable(icmpError) == nil, "an ICMP error")
        let timeExceeded = PacketBuilder.ipv4(from: v4Source, to: v4Unrouted, protocol: 1, payload: [11, 0, 0, 0, 0, 0, 0, 0])
        #expect(unreachable(timeExceeded) == nil, "an ICMP error")
        let noICMPType = PacketBuilder.ipv4(from: v4Source, to: v4Unrouted, protocol: 1, payload: [])
        #expect(unreachable(noICMPType) == nil, "ICMP without a type")
        #expect(unreachable(PacketBuilder.ping(from: v4Source, to: IPAddress("224.0.0.251")!)) == nil, "multicast")
        #expect(unreachable(PacketBuilder.ping(from: v4Source, to: IPAddress("255.255.255.255")!)) == nil, "broadcast")
        #expect(unreachable(PacketBuilder.ping(from: IPAddress("0.0.0.0")!, to: v4Unrouted)) == nil, "no source")
        #expect(unreachable(PacketBuilder.ping(from: IPAddress("239.1.1.1")!, to: v4Unrouted)) == nil, "multicast source")
        #expect(unreachable(PacketBuilder.ping(from: IPAddress("255.255.255.255")!, to: v4Unrouted)) == nil)
        #expect(unreachable(Array(ok[0..<19])) == nil, "truncated header")
        var badIHL = ok
        badIHL[0] = 0x44
        #expect(unreachable(badIHL) == nil, "header length below 20")
        #expect(unreachable(PacketBuilder.ipv4(from: v4Source, to: v4Unrouted, protocol: 6, payload: [0, 80])) != nil, "TCP")
    }

    @Test func ipv6PacketsThatMustNotBeAnswered() {
        let udp = PacketBuilder.ipv6(from: v6Source, to: v6Unrouted, nextHeader: 17, payload: [0, 1, 0, 2, 0, 8, 0, 0])
        #expect(unreachable(udp) != nil)
        let error = PacketBuilder.ipv6(from: v6Source, to: v6Unrouted, nextHeader: 58, payload: [1, 3, 0, 0, 0, 0, 0, 0])
        #expect(unreachable(error) == nil, "an ICMPv6 error")
        let packetTooBig = PacketBuilder.ipv6(from: v6Source, to: v6Unrouted, nextHeader: 58, payload: [2, 0, 0, 0, 0, 0, 5, 0])
        #expect(unreachable(packetTooBig) == nil, "an ICMPv6 error")
        // Behind a hop-by-hop and a destination-options header.
        let hidden = PacketBuilder.ipv6(from: v6Source, to: v6Unrouted, nextHeader: 0,
                                        payload: [60, 0, 1, 4, 0, 0, 0, 0] + [58, 0, 1, 4, 0, 0, 0, 0] + [1, 3, 0, 0, 0, 0, 0, 0])
        #expect(unreachable(hidden) == nil, "an ICMPv6 error behind extension headers")
        let hiddenEcho = PacketBuilder.ipv6(from: v6Source, to: v6Unrouted, nextHeader: 0,
                                            payload: [58, 0, 1, 4, 0, 0, 0, 0] + [128, 0, 0, 0, 0, 1, 0, 1])
        #expect(unreachable(hiddenEcho) != nil, "an echo request behind a hop-by-hop header")
        let cutICMP = PacketBuilder.ipv6(from: v6Source, to: v6Unrouted, nextHeader: 58, payload: [])
        #expect(unreachable(cutICMP) == nil, "ICMPv6 without its type")
        // A non-first fragment hides its upper layer: answered (Linux's is_ineligible).
        let laterFragment = PacketBuilder.ipv6(from: v6Source, to: v6Unrouted, nextHeader: 44,
                                               payload: [58, 0, 0x05, 0x00, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(unreachable(laterFragment) != nil)
        let firstFragmentError = PacketBuilder.ipv6(from: v6Source, to: v6Unrouted, nextHeader: 44,
                                                    payload: [58, 0, 0x00, 0x01, 0, 0, 0, 1] + [1, 3, 0, 0, 0, 0, 0, 0])
        #expect(unreachable(firstFragmentError) == nil)
        #expect(unreachable(PacketBuilder.ping(from: v6Source, to: IPAddress("ff02::1")!)) == nil, "multicast")
        #expect(unreachable(PacketBuilder.ping(from: IPAddress("::")!, to: v6Unrouted)) == nil, "unspecified source")
        #expect(unreachable(PacketBuilder.ping(from: IPAddress("ff05::2")!, to: v6Unrouted)) == nil, "multicast source")
        #expect(unreachable(Array(udp[0..<39])) == nil, "truncated header")
        #expect(unreachable([0x50, 0, 0, 0]) == nil && unreachable([]) == nil, "not IP")
    }

    @Test func rateLimitIsAskedOnlyForEligiblePacketsAndCanRefuse() {
        var asked: [IPAddress] = []
        let ok = PacketBuilder.ping(from: v4Source, to: v4Unrouted)
        #expect(unreachable(ok, allow: { asked.append($0); return false }) == nil)
        #expect(asked == [v4Source], "the error's destination (the original source) is what gets limited")
        _ = unreachable(PacketBuilder.ping(from: v4Source, to: IPAddress("224.0.0.1")!), allow: { asked.append($0); return true })
        #expect(asked.count == 1, "an ineligible packet spends no token")
    }

    @Test func perDestinationLimitIsSixThenOnePerSecond() {
        var limiter = ICMPRateLimiter()
        func allow(_ a: IPAddress, _ t: Instant) -> Bool { limiter.allow(a, now: t) }
        let t0 = Instant(nanoseconds: 5_000_000_000)
        let host = IPAddress("10.9.0.1")!, other = IPAddress("10.9.0.2")!
        let burst = (0..<10).filter { _ in allow(host, t0) }.count
        #expect(burst == 6, "XRLIM_BURST_FACTOR tokens banked")
        #expect(allow(other, t0), "another destination has its own bucket")
        #expect(!allow(host, t0 + .milliseconds(999)))
        #expect(allow(host, t0 + .milliseconds(1000)), "one token a second")
        #expect(!allow(host, t0 + .milliseconds(1500)))
    }

    @Test func globalLimitIsFiftyThenAThousandPerSecond() {
        var limiter = ICMPRateLimiter()
        func allow(_ a: IPAddress, _ t: Instant) -> Bool { limiter.allow(a, now: t) }
        let t0 = Instant(nanoseconds: 5_000_000_000)
        func host(_ i: Int) -> IPAddress { .v6(hi: 0xFD00_0000_0000_0000, lo: UInt64(i)) }
        let burst = (0..<200).filter { allow(host($0), t0) }.count
        #expect(burst == 50, "icmp_msgs_burst")
        // 100 ms later: 100 credits more at 1000 per second.
        let refill = (200..<400).filter { allow(host($0), t0 + .milliseconds(100)) }.count
        #expect(refill == 50, "credit is capped at the burst")
        #expect(!allow(host(999), t0 + .milliseconds(110)), "refills come in steps of 20 ms")
        #expect(allow(host(998), t0 + .milliseconds(120)))
    }
}
