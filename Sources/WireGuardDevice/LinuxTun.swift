// SPDX-License-Identifier: MIT
// The TUN interface: `/dev/net/tun` with IFF_TUN | IFF_NO_PI (wireguard-go tun_linux.go), and IFF_VNET_HDR
// unless turned off: then every read and write starts with a virtio-net header, and TUNSETOFFLOAD lets the
// kernel hand over TCP (TSO) and UDP (USO) super-packets of up to 64 KiB and accept coalesced ones.
// Non-blocking: the data-plane thread reads until EAGAIN.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardIPC
import WireGuardOffload

public final class LinuxTun {
    /// Why a TUN interface could not be opened, in words a user can act on.
    public enum OpenError: Error, CustomStringConvertible {
        case system(name: String, SystemError)

        public var description: String {
            switch self {
            case .system(let name, let e):
                switch e.errno {
                case ENOENT, ENODEV: return "cannot open /dev/net/tun (\(e)): is the tun module loaded?"
                case EPERM, EACCES: return "cannot create TUN interface \(name): permission denied (needs CAP_NET_ADMIN)"
                case EBUSY: return "cannot create TUN interface \(name): the name is in use by another interface or daemon"
                case EINVAL: return "cannot create TUN interface \(name): an interface of another type has this name"
                default: return "cannot create TUN interface \(name): \(e)"
                }
            }
        }
    }

    public let fd: Int32
    public let name: String
    /// True when every packet read or written carries a virtio-net header (IFF_VNET_HDR).
    public let hasVirtioHeader: Bool

    /// Creates (or attaches to) the TUN interface `name`, with IFF_VNET_HDR when `virtioHeader` is set and
    /// the kernel accepts it.
    public init(creating name: String, virtioHeader: Bool = true) throws(OpenError) {
        var out = [CChar](repeating: 0, count: 16)
        var fd = virtioHeader ? wg_tun_open(name, Int32(WG_IFF_VNET_HDR), &out) : -EINVAL
        var withHeader = fd >= 0
        if fd == -EINVAL {
            fd = wg_tun_open(name, 0, &out)
            withHeader = false
        }
        guard fd >= 0 else { throw .system(name: name, SystemError("TUNSETIFF", errno: -fd)) }
        self.fd = fd
        self.name = String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        hasVirtioHeader = withHeader
        setNonBlocking()
        // As wireguard-go and the kernel create their interfaces: 1420, room for the outer headers in 1500.
        _ = wg_interface_set_mtu(self.name, Int32(Self.defaultMTU))
    }

    /// The MTU a new interface gets (wireguard-go's DefaultMTU, the kernel's too).
    public static let defaultMTU = 1420

    /// Adopts an inherited TUN descriptor (`WG_TUN_FD`); its name comes from TUNGETIFF.
    public init(adopting fd: Int32) throws(OpenError) {
        var out = [CChar](repeating: 0, count: 16)
        let rc = wg_tun_name(fd, &out)
        guard rc == 0 else { throw .system(name: "fd \(fd)", SystemError("TUNGETIFF", errno: -rc)) }
        self.fd = fd
        self.name = String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let flags = wg_tun_flags(fd)
        hasVirtioHeader = flags > 0 && flags & Int32(WG_IFF_VNET_HDR) != 0
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        setNonBlocking()
    }

    private func setNonBlocking() {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    /// The interface's current MTU, or nil if it cannot be read (interface gone).
    public var mtu: Int? {
        let m = wg_interface_mtu(name)
        return m > 0 ? Int(m) : nil
    }

    /// Whether the interface is administratively up (IFF_UP); false if it cannot be read.
    public var isUp: Bool {
        let flags = wg_interface_flags(name)
        return flags >= 0 && flags & Int32(IFF_UP) != 0
    }

    /// The interface index, or 0 if the interface no longer exists.
    public var index: Int32 { Int32(bitPattern: if_nametoindex(name)) }

    /// Reads one packet into `buffer`. Returns its length, nil when nothing is waiting (EAGAIN); throws when
    /// the interface is gone or broken.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawPointer, capacity: Int) throws(SystemError) -> Int? {
        while true {
            let n = Glibc.read(fd, buffer, capacity)
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN: return nil
            default: throw .last("read from TUN")
            }
        }
    }

    /// What TUNSETOFFLOAD accepted.
    public struct Offloads: Equatable, Sendable {
        /// TCP segmentation (TSO4/TSO6) with checksum offload: reads may be TCP super-packets.
        public var tcp = false
        /// UDP segmentation (USO4/USO6, Linux 6.2+): reads may be UDP super-packets and writes may coalesce UDP.
        public var udp = false
    }

    /// Asks for checksum offload, TSO4/TSO6 and, when `udp` is set, USO4/USO6. Tries without USO when the
    /// kernel refuses it (EINVAL before 6.2). Returns what is on, and the error that turned TSO off.
    public func enableOffloads(udp: Bool) -> (Offloads, SystemError?) {
        guard hasVirtioHeader else { return (Offloads(), nil) }
        let tcpBits = UInt32(WG_TUN_F_CSUM | WG_TUN_F_TSO4 | WG_TUN_F_TSO6)
        if udp && wg_tun_set_offload(fd, tcpBits | UInt32(WG_TUN_F_USO4 | WG_TUN_F_USO6)) == 0 {
            return (Offloads(tcp: true, udp: true), nil)
        }
        let rc = wg_tun_set_offload(fd, tcpBits)
        if rc == 0 { return (Offloads(tcp: true, udp: false), nil) }
        _ = wg_tun_set_offload(fd, 0)
        return (Offloads(), SystemError("TUNSETOFFLOAD", errno: -rc))
    }

    /// Writes one bare IP packet, with an empty virtio-net header in front when the TUN expects one.
    @inline(__always)
    public func writePacket(_ packet: UnsafeRawPointer, count: Int) throws(SystemError) {
        guard hasVirtioHeader else { return try write(packet, count: count) }
        var header: (UInt64, UInt16) = (0, 0)
        try withUnsafeMutableBytes(of: &header) { (h) throws(SystemError) in
            var vectors = (iovec(iov_base: h.baseAddress, iov_len: VirtioNetHeader.size),
                           iovec(iov_base: UnsafeMutableRawPointer(mutating: packet), iov_len: count))
            while true {
                let n = withUnsafePointer(to: &vectors) {
                    $0.withMemoryRebound(to: iovec.self, capacity: 2) { writev(fd, $0, 2) }
                }
                if n >= 0 { return }
                switch errno {
                case EINTR: continue
                case EAGAIN, ENOBUFS, EINVAL: return
                default: throw .last("write to TUN")
                }
            }
        }
    }

    /// Writes one buffer as it is (with its virtio-net header when the TUN has them). A full queue (EAGAIN) drops it, as a congested link would; other failures throw.
    @inline(__always)
    public func write(_ packet: UnsafeRawPointer, count: Int) throws(SystemError) {
        while true {
            if Glibc.write(fd, packet, count) >= 0 { return }
            switch errno {
            case EINTR: continue
            case EAGAIN, ENOBUFS: return
            // The kernel refuses packets it cannot parse or route (EINVAL) and those for a down interface
            // (EIO on some kernels): a dropped packet, not a dead device.
            case EINVAL: return
            default: throw .last("write to TUN")
            }
        }
    }

    public func close() { _ = Glibc.close(fd) }
}
