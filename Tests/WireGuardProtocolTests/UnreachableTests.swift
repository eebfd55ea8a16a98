// SPDX-License-Identifier: MIT
// Engine+Unreachable: a packet from the TUN that no peer takes (no allowed IP holds its destination, or the
// peer that does has no endpoint) is answered with an ICMP error back into the TUN, within the rate limits;
// one that a peer takes never is, and nothing goes on the wire for either.

import Testing
import WireGuardModel
@testable import WireGuardProtocol
import WireGuardTestSupport

@Suite struct UnreachableTests {
    let unrouted = IPAddress("10.9.0.77")!

    @Test func noPeerForTheDestinationGetsHostUnreachable() throws {
        let (net, a, _) = makePair()
        let packet = ping(ipA, unrouted)
        net.sendFromTun(a, packet)
        #expect(net.wire.isEmpty)
        let reply = try #require(a.tunOutput.first)
        #expect(reply == unreachable(packet), "the ICMPError bytes, written back into A's TUN")
        #expect(reply[9] == 1 && reply[20] == 3 && reply[21] == 1, "ICMP destination unreachable, host unreachable")
        #expect(Array(reply[12..<16]) == unrouted.bytes && Array(reply[16..<20]) == ipA.bytes)
    }

    @Test func aPeerWithoutEndpointGetsItToo() throws {
        let (net, a, b) = makePair(bKnowsEndpoint: false)
        let packet = ping(ipB, ipA)
        net.sendFromTun(b, packet)
        let expected = try #require(unreachable(packet))
        #expect(net.wire.isEmpty && b.tunOutput == [expected])
        #expect(try #require(b.peerState).staged.isEmpty, "dropped, not staged")
        // Once A's initiation tells B where A is, the same packet goes.
        net.sendFromTun(a, ping(ipA, ipB))
        net.run(for: .seconds(1))
        net.sendFromTun(b, packet)
        net.run(for: .seconds(1))
        #expect(a.tunOutput == [packet] && b.tunOutput.count == 2)
    }

    @Test func ipv6GetsAddressUnreachable() throws {
        let net = SimulatedNetwork(seed: 3)
        let a = net.addNode(endpoint: Endpoint("[2001:db8::1]:51820")!)
        let b = net.addNode(endpoint: Endpoint("[2001:db8::2]:51820")!)
        net.connect(a, b, aAllowed: ["fd00::1/128"], bAllowed: ["fd00::2/128"])
        let packet = PacketBuilder.ping(from: IPAddress("fd00::1")!, to: IPAddress("fd00::99")!)
        net.sendFromTun(a, packet)
        let reply = try #require(a.tunOutput.first)
        #expect(reply[6] == 58 && reply[40] == 1 && reply[41] == 3, "ICMPv6 destination unreachable, address unreachable")
    }

    @Test func routablePacketsAndTheirStagingGetNone() {
        let (net, a, b) = makePair()
        net.intercept = { d in d.to != b.endpoint }  // no session ever: everything is staged
        for i in 0..<10 { net.sendFromTun(a, ping(ipA, ipB, UInt16(i))) }
        net.run(for: .seconds(200))  // until the handshake gives up and drops what was staged
        #expect(a.tunOutput.isEmpty)
    }

    @Test func rateLimitedAsTheKernelDoes() {
        let (net, a, _) = makePair()
        for i in 0..<20 { net.sendFromTun(a, ping(ipA, unrouted, UInt16(i))) }
        #expect(a.tunOutput.count == 6, "a burst of 6 to one sender")
        net.run(for: .seconds(3))
        for i in 0..<20 { net.sendFromTun(a, ping(ipA, unrouted, UInt16(i))) }
        #expect(a.tunOutput.count == 9, "then one a second")
    }

    @Test func inPlaceEntryPointWritesIntoTheCallersBuffer() throws {
        let (net, a, _) = makePair()
        let packet = ping(ipA, unrouted)
        var out = [UInt8](repeating: 0, count: ICMPError.maxLength)
        let n = packet.withUnsafeBytes { p in
            out.withUnsafeMutableBytes {
                a.engine.unreachableReply(to: p.baseAddress!, length: p.count, into: $0.baseAddress!, now: net.now.monotonic)
            }
        }
        #expect(n.map { Array(out[0..<$0]) } == unreachable(packet))
        let routable = ping(ipA, ipB)
        let none = routable.withUnsafeBytes { p in
            out.withUnsafeMutableBytes {
                a.engine.unreachableReply(to: p.baseAddress!, length: p.count, into: $0.baseAddress!, now: net.now.monotonic)
            }
        }
        #expect(none == nil)
        a.engine.down(now: net.now)
        #expect(a.engine.unreachableReply(to: packet, now: net.now.monotonic) == nil, "nothing while down")
    }
}
