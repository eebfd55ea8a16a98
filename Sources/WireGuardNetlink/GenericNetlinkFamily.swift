// SPDX-License-Identifier: MIT
// Resolving a generic netlink family's id by name (CTRL_CMD_GETFAMILY to the controller), as
// wireguard-tools' mnlg_socket_open does before any WireGuard command.

#if canImport(Glibc)
import Glibc
#endif

public enum GenericNetlinkFamily {
    /// A generic netlink message: nlmsghdr for `family`, then genlmsghdr with `command` and `version`.
    public static func message(family: UInt16, command: UInt8, version: UInt8, flags: UInt16,
                               sequence: UInt32) -> NetlinkMessageBuilder {
        var builder = NetlinkMessageBuilder(type: family, flags: flags, sequence: sequence)
        builder.appendFamilyHeader([command, version, 0, 0])
        return builder
    }

    /// CTRL_CMD_GETFAMILY for `name` (request with ack).
    public static func request(name: String, sequence: UInt32) -> [UInt8] {
        var builder = message(family: GenericNetlink.GENL_ID_CTRL, command: GenericNetlink.CTRL_CMD_GETFAMILY,
                              version: GenericNetlink.controllerVersion,
                              flags: Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, sequence: sequence)
        builder.put(GenericNetlink.CTRL_ATTR_FAMILY_NAME, NetlinkPayload.string(name))
        return builder.finish()
    }

    /// The attributes of a generic netlink data message (after its genlmsghdr).
    public static func attributes(of message: NetlinkMessage) throws(NetlinkDecodingError) -> [NetlinkAttribute] {
        guard message.payload.count >= GenericNetlink.headerLength else {
            throw NetlinkDecodingError("generic netlink message without its header")
        }
        return try NetlinkAttribute.parse(message.payload.dropFirst(GenericNetlink.headerLength))
    }

    /// The family id in a controller reply; the caller maps a failed lookup's ENOENT to EPROTONOSUPPORT.
    public static func familyID(in message: NetlinkMessage) throws(NetlinkDecodingError) -> UInt16 {
        for attribute in try attributes(of: message) where attribute.type == GenericNetlink.CTRL_ATTR_FAMILY_ID {
            return try attribute.integer(UInt16.self)
        }
        throw NetlinkDecodingError("controller reply without CTRL_ATTR_FAMILY_ID")
    }

    /// The errno wg reports when the lookup fails: an unknown family (ENOENT) means no kernel module.
    public static func lookupErrno(_ errno: Int32) -> Int32 { errno == ENOENT ? EPROTONOSUPPORT : errno }
}
