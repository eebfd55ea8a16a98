// SPDX-License-Identifier: MIT
// The kernel tells a TUN owner nothing when its interface's MTU changes or the interface is deleted, so the
// device listens for rtnetlink link and address notifications, as wireguard-go's tun_linux.go does
// (`routineNetlinkListener`): MTU, administrative state (IFF_UP: the kernel's ndo_open/ndo_stop), deletion.
// Address removals matter for sticky sources: a cached local address may be gone.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardIPC

public final class NetlinkMonitor {
    public enum Change: Equatable {
        case mtu(interfaceIndex: Int32, mtu: Int)
        /// Every RTM_NEWLINK: whether the interface is administratively up (IFF_UP in `ifi_flags`).
        case linkState(interfaceIndex: Int32, isUp: Bool)
        case linkDeleted(interfaceIndex: Int32)
        case addressRemoved
    }

    public let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 65536)

    // rtnetlink constants (linux/rtnetlink.h, linux/if_link.h).
    private static let groupLink: UInt32 = 0x1, groupIPv4Address: UInt32 = 0x10, groupIPv6Address: UInt32 = 0x100
    private static let newLink: UInt16 = 16, delLink: UInt16 = 17, delAddress: UInt16 = 21
    private static let attributeMTU: UInt16 = 4
    /// IFF_UP in `ifinfomsg.ifi_flags` (linux/if.h).
    private static let flagUp: UInt32 = 0x1

    public init() throws(SystemError) {
        fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), NETLINK_ROUTE)
        guard fd >= 0 else { throw .last("socket(AF_NETLINK)") }
        var addr = sockaddr_nl()
        addr.nl_family = sa_family_t(AF_NETLINK)
        addr.nl_groups = Self.groupLink | Self.groupIPv4Address | Self.groupIPv6Address
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size)) }
        }
        if rc != 0 {
            let e = SystemError.last("bind(AF_NETLINK)")
            close(fd)
            throw e
        }
    }

    deinit { close(fd) }

    /// Reads every waiting notification and returns what changed.
    public func drain() -> [Change] {
        var changes: [Change] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
            if n < 0 {
                if errno == EINTR { continue }
                // ENOBUFS: notifications were lost; re-reading the MTU is the caller's safe fallback.
                if errno == ENOBUFS { changes.append(.mtu(interfaceIndex: 0, mtu: 0)) }
                break
            }
            if n == 0 { break }
            Self.parse(buffer[0..<n], into: &changes)
        }
        return changes
    }

    /// Parses a buffer of netlink messages (exposed for tests).
    static func parse(_ bytes: ArraySlice<UInt8>, into changes: inout [Change]) {
        var offset = bytes.startIndex
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
        while offset + 16 <= bytes.endIndex {
            let length = Int(u32(offset))
            guard length >= 16, offset + length <= bytes.endIndex else { return }
            let type = u16(offset + 4)
            let body = offset + 16
            switch type {
            case newLink where length >= 32, delLink where length >= 32:
                let index = Int32(bitPattern: u32(body + 4))
                if type == delLink {
                    changes.append(.linkDeleted(interfaceIndex: index))
                    break
                }
                var attr = body + 16
                while attr + 4 <= offset + length {
                    let attrLength = Int(u16(attr))
                    guard attrLength >= 4, attr + attrLength <= offset + length else { break }
                    if u16(attr + 2) == attributeMTU, attrLength >= 8 {
                        changes.append(.mtu(interfaceIndex: index, mtu: Int(u32(attr + 4))))
                    }
                    attr += (attrLength + 3) & ~3
                }
                changes.append(.linkState(interfaceIndex: index, isUp: u32(body + 8) & flagUp != 0))
            case delAddress:
                changes.append(.addressRemoved)
            default:
                break
            }
            offset += (length + 3) & ~3
        }
    }
}
