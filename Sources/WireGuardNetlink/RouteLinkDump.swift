// SPDX-License-Identifier: MIT
// RTM_GETLINK: the dump of every link, and picking out the WireGuard ones (IFLA_LINKINFO's IFLA_INFO_KIND
// is "wireguard"), as wireguard-tools' kernel_get_wireguard_interfaces lists kernel interfaces.

public enum RouteLinkDump {
    /// The dump request: RTM_GETLINK with an all-zero ifinfomsg (AF_UNSPEC), request, ack and dump flags.
    public static func request(sequence: UInt32) -> [UInt8] {
        var builder = NetlinkMessageBuilder(type: RouteNetlink.RTM_GETLINK,
                                            flags: Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK | Netlink.NLM_F_DUMP,
                                            sequence: sequence)
        builder.appendFamilyHeader([UInt8](repeating: 0, count: RouteNetlink.ifinfomsgLength))
        return builder.finish()
    }

    /// The interface name in one RTM_NEWLINK message when the link is a WireGuard one, else nil.
    public static func wireGuardName(in message: NetlinkMessage) throws(NetlinkDecodingError) -> String? {
        guard message.payload.count >= RouteNetlink.ifinfomsgLength else {
            throw NetlinkDecodingError("link message without its ifinfomsg")
        }
        var name: String?
        var isWireGuard = false
        for attribute in try NetlinkAttribute.parse(message.payload.dropFirst(RouteNetlink.ifinfomsgLength)) {
            switch attribute.type {
            case RouteNetlink.IFLA_IFNAME: name = attribute.string
            case RouteNetlink.IFLA_LINKINFO:
                for info in try attribute.nested() where info.type == RouteNetlink.IFLA_INFO_KIND {
                    if info.string == WireGuardGenl.WG_GENL_NAME { isWireGuard = true }
                }
            default: continue
            }
        }
        guard isWireGuard, let name, !name.isEmpty else { return nil }
        return name
    }
}
