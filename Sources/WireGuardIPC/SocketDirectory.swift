// SPDX-License-Identifier: MIT
// Where UAPI sockets live: `/var/run/wireguard/<interface>.sock`, as wg(8) and wireguard-go agree. The
// directory is a file-system path, so it is shared by every network namespace on the machine.

#if canImport(Glibc)
import Glibc
#endif

public struct SocketDirectory: Sendable, Equatable {
    public let path: String

    /// `/var/run/wireguard`, the path wg(8) looks in.
    public static let standard = SocketDirectory(path: "/var/run/wireguard")

    public init(path: String) { self.path = path }

    /// The socket path for `interface`.
    public func socketPath(for interface: String) -> String { "\(path)/\(interface).sock" }

    /// Creates the directory (mode 0755) if it does not exist.
    public func create() throws(SystemError) {
        var st = stat()
        if stat(path, &st) == 0 { return }
        // Create missing parents, as `mkdir -p` would.
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw .last("mkdir \(prefix)") }
        }
        chmod(path, 0o755)
    }

    /// Interface names with a `.sock` file in the directory (answering or not), in directory order (the
    /// order wg(8) lists them in).
    public func interfaceNames() -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name.hasSuffix(".sock"), name.count > 5 { names.append(String(name.dropLast(5))) }
        }
        return names
    }
}
