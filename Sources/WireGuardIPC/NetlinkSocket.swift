// SPDX-License-Identifier: MIT
// An AF_NETLINK socket for request/reply exchanges with the kernel (libmnl's mnl_socket_open / bind /
// sendto / recvfrom as wireguard-tools uses them): bound to a kernel-chosen port id, sequence numbers handed
// out per request, receives retried on EINTR, a truncated datagram reported as ENOSPC. Encoding and
// decoding live in WireGuardNetlink; this file only moves bytes.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux

public final class NetlinkSocket {
    /// Receive buffer: the kernel sizes dump messages to the reader's buffer (up to 32 KiB), so a large one
    /// means fewer round trips for a large device.
    public static let receiveBufferSize = 32 * 1024

    /// What wireguard-tools sizes its messages to (mnl_ideal_socket_buffer_size): the page size, at most 8 KiB.
    public static var messageSizeLimit: Int { min(Int(sysconf(Int32(_SC_PAGESIZE))), 8192) }

    private let fd: Int32
    /// The port id the kernel assigned at bind.
    public let portID: UInt32
    private var nextSequence: UInt32
    private var buffer: [UInt8]

    /// Opens and binds a netlink socket for `netlinkProtocol` (NETLINK_GENERIC, NETLINK_ROUTE…).
    public init(protocol netlinkProtocol: Int32) throws(SystemError) {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkProtocol)
        guard fd >= 0 else { throw .last("socket") }
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        var length = socklen_t(MemoryLayout<sockaddr_nl>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                bind(fd, p, length) == 0 && getsockname(fd, p, &length) == 0
            }
        }
        guard bound, length == MemoryLayout<sockaddr_nl>.size, address.nl_family == sa_family_t(AF_NETLINK) else {
            let error = SystemError("bind", errno: bound ? EINVAL : Glibc.errno)
            close(fd)
            throw error
        }
        self.fd = fd
        portID = address.nl_pid
        // Distinct from other runs the way wg's time(NULL) is, and increasing within this one.
        nextSequence = UInt32(truncatingIfNeeded: time(nil))
        buffer = [UInt8](repeating: 0, count: Self.receiveBufferSize)
    }

    deinit { close(fd) }

    /// A fresh sequence number for the next request (`count` consecutive ones for a multi-message request).
    public func takeSequence(count: Int = 1) -> UInt32 {
        let sequence = nextSequence == 0 ? 1 : nextSequence
        nextSequence = sequence &+ UInt32(truncatingIfNeeded: count)
        return sequence
    }

    /// Sends one message to the kernel.
    public func send(_ message: [UInt8]) throws(SystemError) {
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let sent = try retryingInterrupts("sendto") {
            message.withUnsafeBytes { bytes in
                withUnsafePointer(to: &kernel) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
        }
        if sent != message.count { throw SystemError("sendto", errno: EMSGSIZE) }
    }

    /// Receives one datagram (one or more messages). ENOSPC if it did not fit the buffer.
    public func receive() throws(SystemError) -> ArraySlice<UInt8> {
        let count = Self.receiveBufferSize
        let received = try retryingInterrupts("recvmsg") {
            buffer.withUnsafeMutableBytes { raw -> Int in
                var iov = iovec(iov_base: raw.baseAddress, iov_len: count)
                var message = msghdr()
                return withUnsafeMutablePointer(to: &iov) { iovPointer in
                    message.msg_iov = iovPointer
                    message.msg_iovlen = 1
                    let n = recvmsg(fd, &message, 0)
                    if n >= 0 && message.msg_flags & Int32(MSG_TRUNC) != 0 {
                        Glibc.errno = ENOSPC
                        return -1
                    }
                    return n
                }
            }
        }
        return buffer[0..<received]
    }
}
