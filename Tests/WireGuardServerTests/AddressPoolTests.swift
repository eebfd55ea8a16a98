// SPDX-License-Identifier: MIT
// Subnets and address allocation: the server takes the first host, peers the lowest free ones; network and
// broadcast never; a full or too small subnet is refused with its capacity.

import Testing
@testable import WireGuardServer

@Suite struct AddressPoolTests {
    @Test func subnetParsing() {
        #expect(IPv4Subnet("10.13.13.0")?.description == "10.13.13.0/24")
        #expect(IPv4Subnet("10.13.0.0/16")?.description == "10.13.0.0/16")
        #expect(IPv4Subnet("10.13.13.0/24")?.serverAddress == 0x0A0D_0D01)
        for bad in ["10.13.13.1/24", "10.13.13.0/33", "10.13.13.0/", "10.13.13/24", "fd00::/64", "10.13.13.0/2a", "", "10.13.13.0/24/1"] {
            #expect(IPv4Subnet(bad) == nil, "\(bad)")
        }
    }

    @Test func capacity() {
        #expect(IPv4Subnet("10.0.0.0/24")!.peerCapacity == 253)
        #expect(IPv4Subnet("10.0.0.0/30")!.peerCapacity == 1)
        #expect(IPv4Subnet("10.0.0.0/31")!.peerCapacity == 0)
        #expect(IPv4Subnet("10.0.0.0/32")!.peerCapacity == 0)
    }

    @Test func allocatesLowestFreeAfterTheServer() throws {
        let pool = AddressPool(subnet: IPv4Subnet("10.13.13.0")!)
        #expect(try pool.allocate(3).map(IPv4Text.format) == ["10.13.13.2", "10.13.13.3", "10.13.13.4"])
        // peer2 removed: its address is the next one handed out.
        let used: Set<UInt32> = [0x0A0D_0D02, 0x0A0D_0D04]
        #expect(IPv4Text.format(try pool.next(excluding: used)) == "10.13.13.3")
        #expect(try pool.allocate(2, excluding: used).map(IPv4Text.format) == ["10.13.13.3", "10.13.13.5"])
    }

    @Test func neverBroadcast() throws {
        let pool = AddressPool(subnet: IPv4Subnet("10.0.0.0/29")!)
        #expect(try pool.allocate(5).map(IPv4Text.format) == ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"])
        #expect(throws: ServerError("subnet 10.0.0.0/29 is full: it has room for 5 peers")) {
            try pool.next(excluding: Set((2...6).map { 0x0A00_0000 + UInt32($0) }))
        }
    }

    @Test func tooSmall() {
        #expect(throws: ServerError("subnet 10.0.0.0/30 is too small: it has room for 1 peer beside the server, not 3")) {
            try AddressPool(subnet: IPv4Subnet("10.0.0.0/30")!).allocate(3)
        }
        #expect(throws: ServerError("subnet 10.0.0.0/31 is too small: it has room for 0 peers beside the server, not 1")) {
            try AddressPool(subnet: IPv4Subnet("10.0.0.0/31")!).allocate(1)
        }
    }
}
