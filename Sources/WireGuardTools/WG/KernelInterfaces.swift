// SPDX-License-Identifier: MIT
// The kernel's WireGuard interfaces over netlink, the exchanges of wireguard-tools' ipc-linux.h: RTM_GETLINK
// to list them, the `wireguard` generic netlink family resolved by name, then WG_CMD_GET_DEVICE (a dump,
// retried whole when the kernel reports it interrupted) or WG_CMD_SET_DEVICE (one acknowledged message
// after another). Errors carry the errno wg(8) prints.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardIPC
import WireGuardModel
import WireGuardNetlink

enum KernelInterfaces {
    /// Names of the links whose kind is "wireguard", in the kernel's order.
    static func list() throws(SystemError) -> [String] {
        let socket = try NetlinkSocket(protocol: Netlink.NETLINK_ROUTE)
        let sequence = socket.takeSequence()
        try socket.send(RouteLinkDump.request(sequence: sequence))
        var names: [String] = []
        do {
            try exchange(socket, sequence: sequence) { message throws(NetlinkDecodingError) in
                if let name = try RouteLinkDump.wireGuardName(in: message) { names.append(name) }
            }
        } catch where error.errno == EINTR {
            // wg works with the partial list when the set of links changed during the dump.
        }
        return names
    }

    /// `name`'s configuration and counters. A name too long for a link is sent as it is, and the kernel's
    /// EINVAL reported, as Debian's wg does (upstream has since refused it with ENAMETOOLONG first).
    static func get(_ name: String) throws(SystemError) -> DeviceStatus {
        while true {
            do {
                let (socket, family) = try openFamily()
                let sequence = socket.takeSequence()
                try socket.send(WireGuardGetDevice.request(family: family, name: name, sequence: sequence))
                var dump = WireGuardDeviceDump()
                try exchange(socket, sequence: sequence) { message throws(NetlinkDecodingError) in try dump.add(message) }
                return dump.status
            } catch where error.errno == EINTR {
                continue
            }
        }
    }

    /// Applies `update` to `name`, split into messages of wg's size.
    static func set(_ name: String, _ update: DeviceUpdate) throws(SystemError) {
        let (socket, family) = try openFamily()
        // The socket is this call's alone, so the messages simply number on from one sequence.
        let sequence = socket.takeSequence()
        let messages = WireGuardSetDevice.requests(family: family, name: name, update: update, sequence: sequence,
                                                   limit: NetlinkSocket.messageSizeLimit)
        for (index, message) in messages.enumerated() {
            try socket.send(message)
            try exchange(socket, sequence: sequence &+ UInt32(index)) { _ throws(NetlinkDecodingError) in }
        }
    }

    /// A generic netlink socket and the id of the `wireguard` family; EPROTONOSUPPORT without the module.
    private static func openFamily() throws(SystemError) -> (NetlinkSocket, UInt16) {
        let socket = try NetlinkSocket(protocol: Netlink.NETLINK_GENERIC)
        let sequence = socket.takeSequence()
        try socket.send(GenericNetlinkFamily.request(name: WireGuardGenl.WG_GENL_NAME, sequence: sequence))
        var family: UInt16?
        do {
            try exchange(socket, sequence: sequence) { message throws(NetlinkDecodingError) in
                family = try GenericNetlinkFamily.familyID(in: message)
            }
        } catch {
            throw SystemError("netlink", errno: GenericNetlinkFamily.lookupErrno(error.errno))
        }
        guard let family else { throw SystemError("netlink", errno: ENOSYS) }
        return (socket, family)
    }

    /// Receives until the reply to `sequence` ends, handing each data message to `handle`.
    private static func exchange(_ socket: NetlinkSocket, sequence: UInt32,
                                 _ handle: (NetlinkMessage) throws(NetlinkDecodingError) -> Void) throws(SystemError) {
        while true {
            let buffer = try socket.receive()
            let reply: NetlinkReply
            do { reply = try NetlinkReply.read(buffer, sequence: sequence, portID: socket.portID) } catch {
                throw SystemError("netlink", errno: error.errno)
            }
            for message in reply.data {
                do { try handle(message) } catch { throw SystemError("netlink", errno: EINVAL) }
            }
            if reply.finished { return }
        }
    }
}
