// SPDX-License-Identifier: MIT
// `wireguard-swift [-f|--foreground] INTERFACE`, a drop-in for wireguard-go's main.go: same flags and
// environment (LOG_LEVEL, WG_PROCESS_FOREGROUND, WG_TUN_FD, WG_UAPI_FD). Without -f it creates the TUN and
// the UAPI socket, starts a copy of itself in the foreground that inherits both (posix_spawn, never
// fork in a process that may have threads), and returns once they exist, which is what wg-quick needs.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardDevice
import WireGuardIPC

public struct DaemonCommand {
    public static let version = "0.1.0"

    let arguments: [String]
    let environment: [String: String]
    let socketDirectory: SocketDirectory
    let programName: String

    public init(arguments: [String], environment: [String: String],
                socketDirectory: SocketDirectory = .standard) {
        self.programName = arguments.first.map { String($0.split(separator: "/").last ?? "wireguard-swift") } ?? "wireguard-swift"
        self.arguments = Array(arguments.dropFirst())
        self.environment = environment
        self.socketDirectory = socketDirectory
    }

    /// What the command line asks for.
    enum Invocation: Equatable {
        case version
        case usage
        case run(interface: String, foreground: Bool)
    }

    func parse() -> Invocation {
        switch arguments.count {
        case 1:
            if arguments[0] == "--version" || arguments[0] == "-v" { return .version }
            if arguments[0].hasPrefix("-") { return .usage }
            return .run(interface: arguments[0], foreground: environment["WG_PROCESS_FOREGROUND"] == "1")
        case 2 where arguments[0] == "-f" || arguments[0] == "--foreground":
            return .run(interface: arguments[1], foreground: true)
        default:
            return .usage
        }
    }

    /// Runs the daemon and returns the process exit status.
    public func run() -> Int32 {
        let (interface, foreground): (String, Bool)
        switch parse() {
        case .version:
            print("wireguard-swift v\(Self.version)\n\nUserspace WireGuard daemon for Linux, written in Swift.")
            return 0
        case .usage:
            printError("Usage: \(programName) [-f/--foreground] INTERFACE-NAME\n")
            return 1
        case .run(let name, let fg):
            (interface, foreground) = (name, fg)
        }
        let level = Logger.Level(environment: environment["LOG_LEVEL"])
        Device.blockStopSignals()

        let tun: LinuxTun
        let listener: Int32
        let socketPath: String
        do {
            try checkMetricsAddress()
            (tun, listener, socketPath) = try openInterface(interface)
        } catch {
            printError("\(programName): \(error)\n")
            return 1
        }
        if !foreground {
            do {
                try Daemonizer.spawnForeground(tunFD: tun.fd, uapiFD: listener, arguments: arguments,
                                               environment: environment, keepOutput: environment["LOG_LEVEL"] != nil && level != .silent)
                return 0
            } catch {
                printError("\(programName): failed to start the background process: \(error)\n")
                unlink(socketPath)
                return 1
            }
        }
        let logger = Logger(level: level, interface: tun.name)
        logger.verbose("Starting wireguard-swift version \(Self.version)")
        let device: Device
        do {
            device = try Device(tun: tun, uapiListener: listener, socketPath: socketPath, logger: logger,
                                offloadSettings: OffloadSettings(environment: environment))
            if let text = environment["WG_TEST_REKEY_AFTER_SECONDS"], let seconds = Int(text), seconds > 0 {
                // Tests only: many rekeys in one run (t_offloads.sh).
                device.setRekeyAfterTime(.seconds(seconds))
            }
        } catch {
            logger.error("Failed to start the device: \(error)")
            printError("\(programName): \(error)\n")
            unlink(socketPath)
            return 1
        }
        guard startMetrics(device, logger: logger) else { unlink(socketPath); return 1 }
        logger.verbose("UAPI listener started")
        let reason = device.run()
        logger.verbose("Shutting down: \(reason)")
        return 0
    }

    /// The TUN and the listening UAPI socket: inherited (WG_TUN_FD, WG_UAPI_FD) or created here. A daemon
    /// already serving `interface` is refused before the TUN is touched.
    private func openInterface(_ interface: String) throws -> (LinuxTun, Int32, String) {
        guard !interface.isEmpty, interface.utf8.count < 16, !interface.contains("/"), interface != ".", interface != ".." else {
            throw DaemonError("invalid interface name '\(interface)': at most 15 characters, no '/'")
        }
        let path = socketDirectory.socketPath(for: interface)
        let tun: LinuxTun
        if let text = environment["WG_TUN_FD"] {
            guard let fd = Int32(text) else { throw DaemonError("WG_TUN_FD is not a descriptor: \(text)") }
            tun = try LinuxTun(adopting: fd)
        } else {
            if environment["WG_UAPI_FD"] == nil, let fd = try? UnixSocket.connect(path: path) {
                close(fd)
                throw DaemonError("interface \(interface) is already running: its UAPI socket \(path) answers")
            }
            tun = try LinuxTun(creating: interface, virtioHeader: OffloadSettings(environment: environment).tunOffload)
        }
        let listener: Int32
        if let text = environment["WG_UAPI_FD"] {
            guard let fd = Int32(text) else { throw DaemonError("WG_UAPI_FD is not a descriptor: \(text)") }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            listener = fd
        } else {
            do {
                try socketDirectory.create()
                listener = try UnixSocket.listen(path: socketDirectory.socketPath(for: tun.name))
            } catch {
                tun.close()
                throw error
            }
        }
        return (tun, listener, socketDirectory.socketPath(for: tun.name))
    }
}

struct DaemonError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes `text` to standard error, unbuffered.
func printError(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress!, $0.count) }
}
