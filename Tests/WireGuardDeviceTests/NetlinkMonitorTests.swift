// SPDX-License-Identifier: MIT
import Testing
@testable import WireGuardDevice

@Suite struct NetlinkMonitorTests {
    private func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    private func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }

    /// An RTM_NEWLINK/RTM_DELLINK message for `index` with an optional IFLA_MTU attribute.
    private func link(type: Int, index: Int, mtu: Int?, flags: Int = 0) -> [UInt8] {
        var body = [0, 0] + le16(0xFFFE) + le32(index) + le32(flags) + le32(0)  // ifinfomsg
        body += le16(8) + le16(3) + [0x77, 0x67, 0x30, 0]                     // IFLA_IFNAME "wg0"
        if let mtu { body += le16(8) + le16(4) + le32(mtu) }                   // IFLA_MTU
        return le32(16 + body.count) + le16(type) + le16(0) + le32(0) + le32(0) + body
    }

    @Test func mtuAndDeletion() {
        var changes: [NetlinkMonitor.Change] = []
        let bytes = link(type: 16, index: 7, mtu: 1380) + link(type: 17, index: 7, mtu: nil)
            + le32(24) + le16(21) + le16(0) + le32(0) + le32(0) + [10, 24, 0, 0] + le32(7)
        NetlinkMonitor.parse(bytes[...], into: &changes)
        #expect(changes == [.mtu(interfaceIndex: 7, mtu: 1380), .linkState(interfaceIndex: 7, isUp: false),
                            .linkDeleted(interfaceIndex: 7), .addressRemoved])
    }

    @Test func administrativeStateFromIFFUp() {
        var changes: [NetlinkMonitor.Change] = []
        // IFF_UP | IFF_POINTOPOINT | IFF_NOARP, then IFF_RUNNING alone (the carrier without the admin state).
        let bytes = link(type: 16, index: 9, mtu: nil, flags: 0x1 | 0x10 | 0x80) + link(type: 16, index: 9, mtu: nil, flags: 0x40)
        NetlinkMonitor.parse(bytes[...], into: &changes)
        #expect(changes == [.linkState(interfaceIndex: 9, isUp: true), .linkState(interfaceIndex: 9, isUp: false)])
    }

    @Test func truncatedMessagesAreIgnored() {
        var changes: [NetlinkMonitor.Change] = []
        let full = link(type: 16, index: 3, mtu: 1500)
        for cut in 0..<full.count {
            NetlinkMonitor.parse(full[0..<cut], into: &changes)
        }
        #expect(changes.allSatisfy {
            switch $0 {
            case .mtu(3, _), .linkState(3, false): return true
            default: return false
            }
        })
    }
}
