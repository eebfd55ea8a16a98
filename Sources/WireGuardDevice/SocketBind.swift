// SPDX-License-Identifier: MIT
// bind(2) of an IPv4 or IPv6 socket to an address and port: the sockaddr_in / sockaddr_in6 the UDP sockets
// (wildcard address) and the metrics listener (a given address) both need.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardModel

enum SocketBind {
    /// Binds `fd`, a socket of `family` (AF_INET or AF_INET6), to `address` (4 or 16 bytes in network order;
    /// nil for the family's any-address) and `port`. Returns bind(2)'s result; errno is left as it set it.
    static func bind(_ fd: Int32, family: Int32, address: [UInt8]? = nil, port: UInt16) -> Int32 {
        if family == AF_INET {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            if let address { withUnsafeMutableBytes(of: &addr.sin_addr) { $0.copyBytes(from: address) } }
            return withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        var addr = sockaddr_in6()
        addr.sin6_family = sa_family_t(AF_INET6)
        addr.sin6_port = port.bigEndian
        if let address { withUnsafeMutableBytes(of: &addr.sin6_addr) { $0.copyBytes(from: address) } }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
    }
}
