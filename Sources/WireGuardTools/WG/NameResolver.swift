// SPDX-License-Identifier: MIT
// Name and service resolution for `wg` (config.c `parse_port`, `parse_endpoint`): getaddrinfo, whose
// answers and failure texts wg prints as they are. Behind a protocol so that the retry loop and the
// messages are tested without DNS or sleeping.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardModel

/// One getaddrinfo answer, reduced to what wg uses.
public enum Resolution: Equatable, Sendable {
    /// The first address returned, with its port.
    case resolved(Endpoint)
    /// The first address returned is neither IPv4 nor IPv6.
    case neitherFamily
    /// getaddrinfo failed: `message` is what wg prints (gai_strerror, or strerror for EAI_SYSTEM);
    /// `permanent` for the codes glibc documents as not worth retrying (EAI_NONAME, EAI_FAIL, EAI_NODATA).
    case failed(message: String, permanent: Bool)
}

public protocol NameResolver {
    /// getaddrinfo(`host`, `service`) for UDP; `host == nil` asks for a local (passive) address, as
    /// wg does to turn a listen port or service name into a number.
    func resolve(host: String?, service: String) -> Resolution
    /// Waits before the next attempt (usleep).
    func pause(microseconds: UInt32)
}

/// The system resolver.
public struct SystemResolver: NameResolver {
    public init() {}

    /// glibc's EAI_NODATA, which Glibc's Swift module leaves out (it is a GNU extension).
    static let eaiNoData: Int32 = -5

    public func resolve(host: String?, service: String) -> Resolution {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_UDP)
        if host == nil { hints.ai_flags = AI_PASSIVE }
        var result: UnsafeMutablePointer<addrinfo>?
        errno = 0
        let ret = getaddrinfo(host, service, &hints, &result)
        guard ret == 0, let first = result else {
            let message = ret == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(ret))
            return .failed(message: message, permanent: ret == EAI_NONAME || ret == EAI_FAIL || ret == Self.eaiNoData)
        }
        defer { freeaddrinfo(result) }
        let info = first.pointee
        guard let sa = info.ai_addr else { return .neitherFamily }
        if info.ai_family == AF_INET && Int(info.ai_addrlen) == MemoryLayout<sockaddr_in>.size {
            return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                withUnsafeBytes(of: sin.pointee.sin_addr) { raw in
                    .resolved(Endpoint(address: IPAddress(v4: raw.baseAddress!), port: UInt16(bigEndian: sin.pointee.sin_port)))
                }
            }
        }
        if info.ai_family == AF_INET6 && Int(info.ai_addrlen) == MemoryLayout<sockaddr_in6>.size {
            return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                withUnsafeBytes(of: sin6.pointee.sin6_addr) { raw in
                    .resolved(Endpoint(address: IPAddress(v6: raw.baseAddress!), port: UInt16(bigEndian: sin6.pointee.sin6_port)))
                }
            }
        }
        return .neitherFamily
    }

    public func pause(microseconds: UInt32) { usleep(microseconds) }
}
