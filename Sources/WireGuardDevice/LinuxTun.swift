// SPDX-License-Identifier: MIT
// The TUN interface: `/dev/net/tun` with IFF_TUN | IFF_NO_PI, so every read is one raw IP packet
// (wireguard-go tun_linux.go). Non-blocking: the event loop reads until EAGAIN. Offloads (IFF_VNET_HDR,
// TUNSETOFFLOAD) come later through `wg_tun_open`'s extra flags.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardIPC

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

    /// Creates (or attaches to) the TUN interface `name`.
    public init(creating name: String) throws(OpenError) {
        var out = [CChar](repeating: 0, count: 16)
        let fd = wg_tun_open(name, 0, &out)
        guard fd >= 0 else { throw .system(name: name, SystemError("TUNSETIFF", errno: -fd)) }
        self.fd = fd
        self.name = String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        setNonBlocking()
    }

    /// Adopts an inherited TUN descriptor (`WG_TUN_FD`); its name comes from TUNGETIFF.
    public init(adopting fd: Int32) throws(OpenError) {
        var out = [CChar](repeating: 0, count: 16)
        let rc = wg_tun_name(fd, &out)
        guard rc == 0 else { throw .system(name: "fd \(fd)", SystemError("TUNGETIFF", errno: -rc)) }
        self.fd = fd
        self.name = String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
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

    /// Writes one packet. A full queue (EAGAIN) drops it, as a congested link would; other failures throw.
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
