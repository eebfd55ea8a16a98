// SPDX-License-Identifier: MIT
// Finding and reading interfaces the way wg(8) does on Linux (ipc.c, ipc-uapi-unix.h, ipc-linux.h):
// userspace interfaces are the `*.sock` files in /var/run/wireguard that accept a connection (a refused one
// is a dead daemon's: its file is removed); any other name is the kernel's, reached over generic netlink
// (`KernelInterfaces`), which reports ENODEV for no such link and EPROTONOSUPPORT without the module.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardIPC
import WireGuardModel

public struct InterfaceAccess {
    public let directory: SocketDirectory

    public init(directory: SocketDirectory = .standard) { self.directory = directory }

    /// Every interface as wg lists them: the kernel's WireGuard links first, then userspace ones in
    /// directory order. Throws when the kernel's links cannot be read ("Unable to list interfaces").
    public func list() throws(SystemError) -> [String] {
        try KernelInterfaces.list() + directory.interfaceNames().filter(isUserspaceInterface)
    }

    /// True when `name`'s socket exists and accepts a connection.
    public func isUserspaceInterface(_ name: String) -> Bool {
        guard !name.contains("/") else { return false }
        let path = directory.socketPath(for: name)
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK else { return false }
        do {
            let fd = try UnixSocket.connect(path: path)
            close(fd)
            return true
        } catch {
            if error.errno == ECONNREFUSED { unlink(path) }
            return error.errno != ECONNREFUSED
        }
    }

    /// Reads `name`'s configuration and counters. Throws the errno wg(8) would print.
    public func get(_ name: String) throws(SystemError) -> DeviceStatus {
        guard isUserspaceInterface(name) else { return try KernelInterfaces.get(name) }
        let reply = try UAPIClient.exchange(path: directory.socketPath(for: name), request: "get=1\n\n")
        do { return try UAPIStatusParser.parse(reply) } catch {
            throw SystemError("get", errno: error.code)
        }
    }

    /// Applies `update` to `name`. Throws the errno wg(8) would print: the daemon's `errno=` reply, EPROTO
    /// for a reply that is not one (ipc-uapi.h `userspace_set_device`).
    public func set(_ name: String, _ update: DeviceUpdate) throws(SystemError) {
        guard isUserspaceInterface(name) else { return try KernelInterfaces.set(name, update) }
        let reply = try UAPIClient.exchange(path: directory.socketPath(for: name), request: UAPIWriter.setRequest(update))
        guard reply.hasPrefix("errno=") else { throw SystemError("set", errno: EPROTO) }
        let digits = reply.dropFirst(6).prefix { $0 == "-" || $0 == "+" || $0.isASCII && $0.isNumber }
        guard let code = Int32(digits) else { throw SystemError("set", errno: EPROTO) }
        if code != 0 { throw SystemError("set", errno: -code) }
    }
}

/// `strerror` text, as `perror` prints it.
func errorText(_ errno: Int32) -> String { String(cString: strerror(errno)) }
