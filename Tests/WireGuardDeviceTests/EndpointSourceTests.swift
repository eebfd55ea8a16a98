// SPDX-License-Identifier: MIT
// pktinfo ↔ EndpointSource on wg_datagram: the local address a datagram arrived on is read as the engine's
// sticky source, and a source the engine names is the one a datagram leaves from (only of the remote's
// family). Loopback only; no privileges needed.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import Testing
import WireGuardModel
@testable import WireGuardDevice

@Suite struct EndpointSourceTests {
    @Test func sourceOfTheRemotesFamilyOnly() {
        var d = wg_datagram()
        d.setRemote(Endpoint("192.0.2.7:51820")!)
        d.setSource(EndpointSource(address: IPAddress("192.0.2.1")!, interfaceIndex: 3))
        #expect(d.local_family == 4 && d.local_ifindex == 3)
        #expect(d.localSource == EndpointSource(address: IPAddress("192.0.2.1")!, interfaceIndex: 3))
        d.setSource(EndpointSource(address: IPAddress("fd00::1")!, interfaceIndex: 3))
        #expect(d.local_family == 0 && d.localSource == nil, "an IPv6 source for an IPv4 remote: routing chooses")
        d.setRemote(Endpoint("[fd00::7]:51820")!)
        d.setSource(EndpointSource(address: IPAddress("fd00::1")!, interfaceIndex: 5))
        #expect(d.localSource == EndpointSource(address: IPAddress("fd00::1")!, interfaceIndex: 5))
        d.setSource(EndpointSource(address: IPAddress("192.0.2.1")!, interfaceIndex: 3))
        #expect(d.local_family == 0, "an IPv4 source for an IPv6 remote: routing chooses")
        d.setSource(nil)
        #expect(d.local_family == 0)
    }

    @Test func arrivalAddressIsReadAndASourceIsSentFrom() throws {
        let a = UDPBind(), b = UDPBind()
        a.wantsGRO = false
        b.wantsGRO = false
        try a.bind(port: 0)
        try b.bind(port: 0)
        let loopback = IPAddress("127.0.0.1")!, other = IPAddress("127.0.0.2")!
        let lo = Int32(bitPattern: if_nametoindex("lo"))
        var payload: [UInt8] = [1, 2, 3, 4]
        // From 127.0.0.2 (on lo, as all of 127/8), to b at 127.0.0.1.
        let sent = payload.withUnsafeMutableBufferPointer { p -> Int32 in
            var d = wg_datagram()
            d.data = p.baseAddress!
            d.length = UInt32(p.count)
            d.setRemote(Endpoint(address: loopback, port: b.port))
            d.setSource(EndpointSource(address: other, interfaceIndex: 0))
            return wg_send_batch_gso(a.v4, &d, 1, 0)
        }
        #expect(sent == 1)
        let batch = PacketBatch(count: 1)
        var n: Int32 = 0
        for _ in 0..<200 where n <= 0 {
            batch.resetForReceive()
            n = wg_recv_batch(b.v4, batch.datagrams, 1)
            if n <= 0 { usleep(10_000) }
        }
        try #require(n == 1)
        let d = batch.datagrams[0]
        #expect(d.remoteEndpoint == Endpoint(address: other, port: a.port), "it left from the source asked for")
        #expect(d.localSource == EndpointSource(address: loopback, interfaceIndex: lo), "pktinfo: where it arrived")
    }
}
