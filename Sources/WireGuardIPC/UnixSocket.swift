// SPDX-License-Identifier: MIT
// AF_UNIX stream sockets by path: the UAPI listener (with wireguard-go's stale-socket check and umask) and
// the client side used by `wg` and the tests.

#if canImport(Glibc)
import Glibc
#endif
// In a whole-module (release) build the socket constants belong to whichever module's header included
// <sys/socket.h> first: CWireGuardLinux's, since NetlinkSocket imports it.
import CWireGuardLinux

public enum UnixSocket {
    /// Why a UAPI listener could not be created.
    public enum ListenError: Error, CustomStringConvertible {
        /// Something already answers on the socket: another daemon runs this interface.
        case alreadyRunning(path: String)
        case system(SystemError)

        public var description: String {
            switch self {
            case .alreadyRunning(let path): return "UAPI socket \(path) is in use by a running daemon"
            case .system(let e): return e.description
            }
        }
    }

    /// Binds and listens on `path` with the socket created under umask 077 (mode 0700). A socket file left
    /// by a dead daemon (connect fails) is removed first; a live one is refused. Returns the descriptor
    /// (close-on-exec, non-blocking).
    public static func listen(path: String) throws(ListenError) -> Int32 {
        if access(path, F_OK) == 0 {
            if let fd = try? connect(path: path) {
                close(fd)
                throw .alreadyRunning(path: path)
            }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .system(.last("socket")) }
        let old = umask(0o077)
        defer { umask(old) }
        do throws(SystemError) {
            try withAddress(path) { addr, len throws(SystemError) in
                if bind(fd, addr, len) != 0 { throw .last("bind \(path)") }
            }
            if Glibc.listen(fd, 128) != 0 { throw SystemError.last("listen \(path)") }
        } catch {
            close(fd)
            throw .system(error)
        }
        return fd
    }

    /// Connects to the stream socket at `path`. Returns a blocking, close-on-exec descriptor.
    public static func connect(path: String) throws(SystemError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .last("socket") }
        do {
            try withAddress(path) { addr, len throws(SystemError) in
                try retryingInterrupts("connect \(path)") { Glibc.connect(fd, addr, len) }
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    private static func withAddress(_ path: String,
                                    _ body: (UnsafePointer<sockaddr>, socklen_t) throws(SystemError) -> Void) throws(SystemError) {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { throw SystemError("socket path \(path)", errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result: Result<Void, SystemError> = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                do throws(SystemError) {
                    try body(sa, socklen_t(MemoryLayout<sockaddr_un>.size))
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
        }
        try result.get()
    }
}
