// SPDX-License-Identifier: MIT
// The UDP side (wireguard-go conn/bind_std.go): one IPv4 and one IPv6 socket (IPV6_V6ONLY) on the same port,
// or IPv4 alone when IPv6 is unavailable. Datagrams move in batches through recvmmsg/sendmmsg. Each
// socket reports the local address a datagram arrived on (IP_PKTINFO / IPV6_RECVPKTINFO) so that replies
// can leave from it ("sticky source"); `fwmark` is SO_MARK on both.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardIPC
import WireGuardModel

public final class UDPBind {
    public private(set) var v4: Int32 = -1
    public private(set) var v6: Int32 = -1
    public private(set) var port: UInt16 = 0
    public private(set) var mark: UInt32 = 0
    /// Ask for UDP_GRO on every socket bound from now on (turned off by the device's offload settings).
    public var wantsGRO = true
    /// True when the current sockets receive coalesced datagrams (UDP_GRO accepted).
    public private(set) var hasGRO = false
    /// Why UDP_GRO was refused, the first time it was (for one log line).
    public private(set) var groError: SystemError?

    public init() {}

    deinit { closeSockets() }

    /// Binds both families to `port` (0 picks one free on both). The previous sockets are closed only
    /// once the new ones are bound, so a failure leaves the device as it was.
    public func bind(port requested: UInt16) throws(SystemError) {
        var lastError = SystemError("bind", errno: EADDRINUSE)
        for _ in 0..<(requested == 0 ? 100 : 1) {
            let new4: (fd: Int32, port: UInt16)
            do { new4 = try Self.open(family: AF_INET, port: requested) } catch { lastError = error; continue }
            do {
                let new6 = try Self.open(family: AF_INET6, port: new4.port)
                replace(v4: new4.fd, v6: new6.fd, port: new4.port)
                return
            } catch {
                switch error.errno {
                case EAFNOSUPPORT, EADDRNOTAVAIL, EPROTONOSUPPORT:
                    // IPv6 is disabled here: run on IPv4 alone.
                    replace(v4: new4.fd, v6: -1, port: new4.port)
                    return
                default:
                    Glibc.close(new4.fd)
                    lastError = error
                }
            }
        }
        throw lastError
    }

    private func replace(v4 new4: Int32, v6 new6: Int32, port newPort: UInt16) {
        closeSockets()
        v4 = new4
        v6 = new6
        port = newPort
        if mark != 0 { try? setMark(mark) }
        hasGRO = false
        if wantsGRO {
            hasGRO = true
            for fd in [v4, v6] where fd >= 0 {
                let rc = wg_udp_enable_gro(fd)
                if rc != 0 {
                    // ENOPROTOOPT before Linux 5.0: datagrams simply arrive one by one.
                    hasGRO = false
                    if groError == nil { groError = SystemError("setsockopt UDP_GRO", errno: -rc) }
                }
            }
        }
    }

    /// Applies `mark` (0 clears it) to every socket's outgoing datagrams.
    public func setMark(_ newMark: UInt32) throws(SystemError) {
        for fd in [v4, v6] where fd >= 0 {
            var value = newMark
            if setsockopt(fd, SOL_SOCKET, SO_MARK, &value, socklen_t(MemoryLayout<UInt32>.size)) != 0 {
                throw .last("setsockopt SO_MARK")
            }
        }
        mark = newMark
    }

    public func closeSockets() {
        if v4 >= 0 { Glibc.close(v4) }
        if v6 >= 0 { Glibc.close(v6) }
        v4 = -1
        v6 = -1
    }

    /// Whether the kernel knows UDP_SEGMENT (GSO), probed on the IPv4 socket.
    public var supportsGSO: Bool { v4 >= 0 && wg_udp_has_gso(v4) != 0 }

    /// The socket that sends to `family` (4 or 6); -1 if that family is not available.
    @inline(__always)
    public func socket(forFamily family: UInt8) -> Int32 { family == 4 ? v4 : v6 }

    private static func open(family: Int32, port: UInt16) throws(SystemError) -> (fd: Int32, port: UInt16) {
        let fd = Glibc.socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .last("socket") }
        var one: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        // Large socket buffers absorb bursts while the loop thread is busy with the TUN (wireguard-go asks
        // for 7 MiB too); the FORCE variants need CAP_NET_ADMIN, the plain ones are the fallback.
        var buffer: Int32 = 7 << 20
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, size) != 0 { _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, size) }
        if setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer, size) != 0 { _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, size) }
        if family == AF_INET {
            _ = setsockopt(fd, Int32(IPPROTO_IP), IP_PKTINFO, &one, size)
        } else {
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, size)
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_RECVPKTINFO, &one, size)
        }
        let result = SocketBind.bind(fd, family: family, port: port)
        guard result == 0 else {
            let e = SystemError.last("bind UDP port \(port)")
            Glibc.close(fd)
            throw e
        }
        var bound = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        // sin_port and sin6_port sit at the same offset.
        return (fd, UInt16(bigEndian: bound.sin6_port))
    }
}
