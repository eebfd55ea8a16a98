// SPDX-License-Identifier: MIT
// The numbers of the Linux netlink ABI this module speaks, named as in the kernel's uapi headers
// (linux/netlink.h, linux/genetlink.h, linux/rtnetlink.h, linux/if_link.h, linux/wireguard.h).

/// Netlink message and attribute layout (linux/netlink.h).
public enum Netlink {
    /// Messages and attributes are padded to this alignment (NLMSG_ALIGNTO, NLA_ALIGNTO).
    public static let alignment = 4
    /// sizeof(struct nlmsghdr).
    public static let headerLength = 16
    /// sizeof(struct nlattr).
    public static let attributeHeaderLength = 4
    /// sizeof(struct nlmsgerr) up to the original header: the error code plus the echoed nlmsghdr.
    public static let errorPayloadLength = 4 + headerLength

    // Control message types (below NLMSG_MIN_TYPE).
    public static let NLMSG_NOOP: UInt16 = 1
    public static let NLMSG_ERROR: UInt16 = 2
    public static let NLMSG_DONE: UInt16 = 3
    public static let NLMSG_OVERRUN: UInt16 = 4
    public static let NLMSG_MIN_TYPE: UInt16 = 0x10

    // nlmsg_flags.
    public static let NLM_F_REQUEST: UInt16 = 0x01
    public static let NLM_F_MULTI: UInt16 = 0x02
    public static let NLM_F_ACK: UInt16 = 0x04
    public static let NLM_F_DUMP_INTR: UInt16 = 0x10
    public static let NLM_F_ROOT: UInt16 = 0x100
    public static let NLM_F_MATCH: UInt16 = 0x200
    public static let NLM_F_DUMP: UInt16 = NLM_F_ROOT | NLM_F_MATCH

    // nla_type bits.
    public static let NLA_F_NESTED: UInt16 = 0x8000
    public static let NLA_F_NET_BYTEORDER: UInt16 = 0x4000
    public static let NLA_TYPE_MASK: UInt16 = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)

    /// Protocol numbers for socket(AF_NETLINK, SOCK_RAW, …).
    public static let NETLINK_ROUTE: Int32 = 0
    public static let NETLINK_GENERIC: Int32 = 16

    /// `len` rounded up to the netlink alignment (NLMSG_ALIGN / NLA_ALIGN).
    @inline(__always)
    public static func align(_ len: Int) -> Int { (len + alignment - 1) & ~(alignment - 1) }
}

/// Generic netlink and its controller (linux/genetlink.h).
public enum GenericNetlink {
    /// sizeof(struct genlmsghdr): cmd, version, reserved.
    public static let headerLength = 4
    /// The controller's fixed family id.
    public static let GENL_ID_CTRL: UInt16 = 0x10
    public static let CTRL_CMD_GETFAMILY: UInt8 = 3
    /// The controller's version as wireguard-tools asks for it.
    public static let controllerVersion: UInt8 = 1
    public static let CTRL_ATTR_FAMILY_ID: UInt16 = 1
    public static let CTRL_ATTR_FAMILY_NAME: UInt16 = 2
}

/// rtnetlink links (linux/rtnetlink.h, linux/if_link.h).
public enum RouteNetlink {
    public static let RTM_NEWLINK: UInt16 = 16
    public static let RTM_GETLINK: UInt16 = 18
    /// sizeof(struct ifinfomsg).
    public static let ifinfomsgLength = 16
    public static let IFLA_IFNAME: UInt16 = 3
    public static let IFLA_LINKINFO: UInt16 = 18
    public static let IFLA_INFO_KIND: UInt16 = 1
}

/// The WireGuard generic netlink family (linux/wireguard.h).
public enum WireGuardGenl {
    public static let WG_GENL_NAME = "wireguard"
    public static let WG_GENL_VERSION: UInt8 = 1
    public static let WG_KEY_LEN = 32
    /// IFNAMSIZ: interface names are at most IFNAMSIZ - 1 bytes.
    public static let IFNAMSIZ = 16

    public static let WG_CMD_GET_DEVICE: UInt8 = 0
    public static let WG_CMD_SET_DEVICE: UInt8 = 1

    public static let WGDEVICE_F_REPLACE_PEERS: UInt32 = 1 << 0

    public static let WGDEVICE_A_IFINDEX: UInt16 = 1
    public static let WGDEVICE_A_IFNAME: UInt16 = 2
    public static let WGDEVICE_A_PRIVATE_KEY: UInt16 = 3
    public static let WGDEVICE_A_PUBLIC_KEY: UInt16 = 4
    public static let WGDEVICE_A_FLAGS: UInt16 = 5
    public static let WGDEVICE_A_LISTEN_PORT: UInt16 = 6
    public static let WGDEVICE_A_FWMARK: UInt16 = 7
    public static let WGDEVICE_A_PEERS: UInt16 = 8

    public static let WGPEER_F_REMOVE_ME: UInt32 = 1 << 0
    public static let WGPEER_F_REPLACE_ALLOWEDIPS: UInt32 = 1 << 1
    public static let WGPEER_F_UPDATE_ONLY: UInt32 = 1 << 2

    public static let WGPEER_A_PUBLIC_KEY: UInt16 = 1
    public static let WGPEER_A_PRESHARED_KEY: UInt16 = 2
    public static let WGPEER_A_FLAGS: UInt16 = 3
    public static let WGPEER_A_ENDPOINT: UInt16 = 4
    public static let WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL: UInt16 = 5
    public static let WGPEER_A_LAST_HANDSHAKE_TIME: UInt16 = 6
    public static let WGPEER_A_RX_BYTES: UInt16 = 7
    public static let WGPEER_A_TX_BYTES: UInt16 = 8
    public static let WGPEER_A_ALLOWEDIPS: UInt16 = 9
    public static let WGPEER_A_PROTOCOL_VERSION: UInt16 = 10

    public static let WGALLOWEDIP_F_REMOVE_ME: UInt32 = 1 << 0

    public static let WGALLOWEDIP_A_FAMILY: UInt16 = 1
    public static let WGALLOWEDIP_A_IPADDR: UInt16 = 2
    public static let WGALLOWEDIP_A_CIDR_MASK: UInt16 = 3
    public static let WGALLOWEDIP_A_FLAGS: UInt16 = 4

    /// Address families as the kernel numbers them (AF_INET, AF_INET6).
    public static let AF_INET: UInt16 = 2
    public static let AF_INET6: UInt16 = 10
    /// sizeof(struct sockaddr_in), sizeof(struct sockaddr_in6).
    public static let sockaddrInLength = 16
    public static let sockaddrIn6Length = 28
    /// sizeof(struct __kernel_timespec): two 64-bit fields.
    public static let timespecLength = 16
}
