// SPDX-License-Identifier: MIT

#if canImport(Glibc)
import Glibc
#endif
import Testing
import WireGuardModel
@testable import WireGuardNetlink

@Suite struct WireGuardGetDeviceTests {
    static let family: UInt16 = 0x1c
    static let seq: UInt32 = 0x6000_0001

    static func dumpMessage(_ attrs: [UInt8]) -> [UInt8] {
        Bytes.genl(family: family, cmd: 0, flags: Netlink.NLM_F_MULTI, seq: seq, attrs)
    }

    static func allowedIP4(_ a: [UInt8], _ cidr: UInt8) -> [UInt8] {
        Bytes.nest(0, Bytes.attr(1, Bytes.u16(2)) + Bytes.attr(2, a) + Bytes.attr(3, [cidr]))
    }

    static func allowedIP6(_ a: [UInt8], _ cidr: UInt8) -> [UInt8] {
        Bytes.nest(0, Bytes.attr(1, Bytes.u16(10)) + Bytes.attr(2, a) + Bytes.attr(3, [cidr]))
    }

    /// A peer as the kernel's get_peer writes it: key, psk, handshake timespec, keepalive, counters,
    /// protocol version, endpoint, then allowed IPs.
    static func fullPeer(key: UInt8, allowed: [[UInt8]]) -> [UInt8] {
        let sockaddr6 = Bytes.u16(10) + [0xCA, 0x6C] + Bytes.u32(0) + [0xfd, 0x99] + [UInt8](repeating: 0, count: 13) + [2] + Bytes.u32(0)
        return Bytes.nest(0, Bytes.attr(1, Bytes.key(key)) + Bytes.attr(2, Bytes.key(0x33))
            + Bytes.attr(6, Bytes.u64(1_700_000_000) + Bytes.u64(123_456_789))
            + Bytes.attr(5, Bytes.u16(25)) + Bytes.attr(7, Bytes.u64(1000)) + Bytes.attr(8, Bytes.u64(2000))
            + Bytes.attr(10, Bytes.u32(1)) + Bytes.attr(4, sockaddr6)
            + Bytes.nest(9, allowed.joined().map { $0 }))
    }

    static let deviceAttrs = Bytes.attr(1, Bytes.u32(5)) + Bytes.attr(2, Array("wg0".utf8) + [0])
        + Bytes.attr(3, Bytes.key(0x40)) + Bytes.attr(4, Bytes.key(0x41)) + Bytes.attr(6, Bytes.u16(51820))
        + Bytes.attr(7, Bytes.u32(0x1234))

    @Test func requestIsADumpForTheInterfaceName() {
        #expect(WireGuardGetDevice.request(family: Self.family, name: "wg0", sequence: Self.seq)
                == Bytes.genl(family: Self.family, cmd: 0, flags: 0x305, seq: Self.seq, Bytes.attr(2, Array("wg0".utf8) + [0])))
    }

    @Test func decodesEveryDeviceAndPeerAttribute() throws {
        let peer2 = Bytes.nest(0, Bytes.attr(1, Bytes.key(0x02)) + Bytes.attr(2, Bytes.key(0))
            + Bytes.attr(6, Bytes.u64(0) + Bytes.u64(0)) + Bytes.attr(5, Bytes.u16(0)) + Bytes.attr(7, Bytes.u64(0))
            + Bytes.attr(8, Bytes.u64(0)) + Bytes.attr(10, Bytes.u32(1))
            + Bytes.attr(4, Bytes.u16(2) + [0x13, 0x88, 192, 0, 2, 1] + [UInt8](repeating: 0, count: 8)))
        let message = Self.dumpMessage(Self.deviceAttrs + Bytes.nest(8,
            Self.fullPeer(key: 0x01, allowed: [Self.allowedIP4([10, 1, 0, 0], 16), Self.allowedIP6([0xfd] + [UInt8](repeating: 0, count: 15), 64)])
            + peer2))
        let status = try decodeWireGuardDeviceDump([message + Bytes.done(0, seq: Self.seq)])
        #expect(status.privateKey == PrivateKey(bytes: Bytes.key(0x40)))
        #expect(status.publicKey == PublicKey(bytes: Bytes.key(0x41)))
        #expect(status.listenPort == 51820 && status.fwmark == 0x1234)
        #expect(status.peers.count == 2)
        let p = status.peers[0]
        #expect(p.publicKey == PublicKey(bytes: Bytes.key(1)))
        #expect(p.presharedKey == PresharedKey(bytes: Bytes.key(0x33)))
        #expect(p.lastHandshake == WallTime(seconds: 1_700_000_000, nanoseconds: 123_456_789))
        #expect(p.persistentKeepalive == 25 && p.rxBytes == 1000 && p.txBytes == 2000 && p.protocolVersion == 1)
        #expect(p.endpoint?.description == "[fd99::2]:51820")
        #expect(p.allowedIPs.map(\.description) == ["10.1.0.0/16", "fd00::/64"])
        let q = status.peers[1]
        #expect(q.presharedKey == nil)  // all-zero key: none
        #expect(q.endpoint?.description == "192.0.2.1:5000")
        #expect(q.lastHandshake == WallTime(seconds: 0))
        #expect(q.allowedIPs.isEmpty)
    }

    @Test func peersContinuedAcrossMessagesAreJoined() throws {
        // The kernel's split: message 1 has the device and peer 1 with its first allowed IPs; message 2
        // repeats peer 1's key with the rest, then peer 2; NLMSG_DONE arrives in a buffer of its own.
        let first = Self.dumpMessage(Self.deviceAttrs + Bytes.nest(8,
            Self.fullPeer(key: 0x01, allowed: [Self.allowedIP4([10, 0, 0, 1], 32), Self.allowedIP4([10, 0, 0, 2], 32)])))
        let second = Self.dumpMessage(Bytes.attr(1, Bytes.u32(5)) + Bytes.attr(2, Array("wg0".utf8) + [0]) + Bytes.nest(8,
            Bytes.nest(0, Bytes.attr(1, Bytes.key(0x01)) + Bytes.nest(9, Self.allowedIP4([10, 0, 0, 3], 32)))
            + Self.fullPeer(key: 0x02, allowed: [Self.allowedIP4([10, 0, 1, 0], 24)])))
        let status = try decodeWireGuardDeviceDump([first, second, Bytes.done(0, seq: Self.seq)])
        #expect(status.peers.map(\.publicKey) == [PublicKey(bytes: Bytes.key(1))!, PublicKey(bytes: Bytes.key(2))!])
        #expect(status.peers[0].allowedIPs.map(\.description) == ["10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"])
        #expect(status.peers[0].persistentKeepalive == 25 && status.peers[0].rxBytes == 1000)
        #expect(status.peers[1].allowedIPs.map(\.description) == ["10.0.1.0/24"])
        #expect(status.listenPort == 51820)
    }

    @Test func errorRepliesCarryTheErrno() {
        #expect(throws: NetlinkError(errno: ENODEV, "kernel error")) { try decodeWireGuardDeviceDump([Bytes.error(-ENODEV, seq: 1)]) }
        #expect(throws: NetlinkError(errno: EOPNOTSUPP, "kernel error")) { try decodeWireGuardDeviceDump([Bytes.error(-EOPNOTSUPP, seq: 1)]) }
        #expect(throws: NetlinkError(errno: EPERM, "dump failed")) { try decodeWireGuardDeviceDump([Bytes.done(-EPERM, seq: 1)]) }
        #expect(throws: NetlinkError.self) { try decodeWireGuardDeviceDump([Self.dumpMessage(Self.deviceAttrs)]) }
    }

    @Test func malformedDumpsAreRejected() {
        let noKey = Self.dumpMessage(Bytes.nest(8, Bytes.nest(0, Bytes.attr(5, Bytes.u16(1)))))
        let badFamily = Self.dumpMessage(Bytes.nest(8, Bytes.nest(0, Bytes.attr(1, Bytes.key(1))
            + Bytes.nest(9, Bytes.nest(0, Bytes.attr(1, Bytes.u16(7)) + Bytes.attr(2, [1, 2, 3, 4]) + Bytes.attr(3, [8]))))))
        let longPrefix = Self.dumpMessage(Bytes.nest(8, Bytes.nest(0, Bytes.attr(1, Bytes.key(1))
            + Bytes.nest(9, Self.allowedIP4([10, 0, 0, 0], 33)))))
        let shortPort = Self.dumpMessage(Bytes.attr(6, [1]))
        for bad in [noKey, badFamily, longPrefix, shortPort] {
            #expect(throws: NetlinkError.self) { try decodeWireGuardDeviceDump([bad + Bytes.done(0, seq: Self.seq)]) }
        }
    }

    @Test func truncationsAndByteFlipsNeverTrap() {
        let message = Self.dumpMessage(Self.deviceAttrs + Bytes.nest(8,
            Self.fullPeer(key: 0x01, allowed: [Self.allowedIP4([10, 1, 0, 0], 16)]))) + Bytes.done(0, seq: Self.seq)
        for cut in 0..<message.count { _ = try? decodeWireGuardDeviceDump([Array(message.prefix(cut))]) }
        var state: UInt32 = 1
        for _ in 0..<3000 {
            var mutated = message
            for _ in 0..<3 {
                state = state &* 1_103_515_245 &+ 12345
                mutated[Int(state >> 8) % mutated.count] = UInt8(truncatingIfNeeded: state >> 20)
            }
            _ = try? decodeWireGuardDeviceDump([mutated])
        }
    }
}
