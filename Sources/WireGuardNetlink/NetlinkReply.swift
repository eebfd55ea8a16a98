// SPDX-License-Identifier: MIT
// What a received buffer means for the request it answers, as libmnl's callback loop (mnl_cb_run2 with
// wireguard-tools' mnlg_cb_array) decides it: data messages are handed on; NLMSG_ERROR carries an errno
// (0 is the ack that ends a request); NLMSG_DONE ends a dump, with an errno in its payload when the dump
// failed; a wrong sequence number, port id or an interrupted dump is an error of its own.

#if canImport(Glibc)
import Glibc
#endif

/// A netlink exchange that failed, with the errno wg(8) reports for it.
public struct NetlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    public let errno: Int32
    public let reason: String
    public init(errno: Int32, _ reason: String) {
        self.errno = errno
        self.reason = reason
    }

    /// Undecodable input: wireguard-tools' callbacks fail with errno unset there, which it reports as EINVAL.
    public init(_ decoding: NetlinkDecodingError) { self.init(errno: EINVAL, decoding.reason) }

    public var description: String { "\(reason) (errno \(errno))" }
}

/// One received buffer, read against the request it answers.
public struct NetlinkReply: Sendable {
    /// The data messages (type ≥ NLMSG_MIN_TYPE) before the end of the exchange, in order.
    public var data: [NetlinkMessage] = []
    /// True when this buffer ended the exchange (an ack or NLMSG_DONE); false means receive again.
    public var finished = false

    /// Reads `buffer`, one recvmsg of the socket that sent request `sequence` from port `portID`
    /// (0 for either skips that check, as libmnl does). Throws the kernel's errno, EPROTO for another
    /// request's reply, ESRCH for another port's, EINTR for a dump the kernel marked interrupted, EBADMSG
    /// for a short error message, EINVAL for a buffer that is not netlink.
    public static func read(_ buffer: ArraySlice<UInt8>, sequence: UInt32, portID: UInt32) throws(NetlinkError) -> NetlinkReply {
        let messages: [NetlinkMessage]
        do { messages = try NetlinkMessage.split(buffer) } catch { throw NetlinkError(error) }
        var reply = NetlinkReply()
        for message in messages {
            if message.portID != 0 && portID != 0 && message.portID != portID {
                throw NetlinkError(errno: ESRCH, "reply for port \(message.portID)")
            }
            if message.sequence != 0 && sequence != 0 && message.sequence != sequence {
                throw NetlinkError(errno: EPROTO, "reply to request \(message.sequence), expected \(sequence)")
            }
            if message.flags & Netlink.NLM_F_DUMP_INTR != 0 { throw NetlinkError(errno: EINTR, "dump interrupted") }
            if message.type >= Netlink.NLMSG_MIN_TYPE {
                reply.data.append(message)
                continue
            }
            switch message.type {
            case Netlink.NLMSG_ERROR:
                guard message.payload.count >= Netlink.errorPayloadLength else {
                    throw NetlinkError(errno: EBADMSG, "short NLMSG_ERROR")
                }
                let code = readInteger(Int32.self, message.payload, at: message.payload.startIndex)
                if code != 0 { throw NetlinkError(errno: code < 0 ? -code : code, "kernel error") }
                reply.finished = true
                return reply
            case Netlink.NLMSG_DONE:
                if message.flags & Netlink.NLM_F_MULTI != 0 && message.payload.count == MemoryLayout<Int32>.size {
                    let code = readInteger(Int32.self, message.payload, at: message.payload.startIndex)
                    if code != 0 { throw NetlinkError(errno: code < 0 ? -code : code, "dump failed") }
                }
                reply.finished = true
                return reply
            default:
                continue  // NLMSG_NOOP, NLMSG_OVERRUN and unknown control types are skipped.
            }
        }
        return reply
    }
}
