// SPDX-License-Identifier: MIT
// `wg set`, `wg setconf`, `wg addconf` and `wg syncconf` (set.c, setconf.c): parse everything first (keys,
// files, host names), then send one UAPI `set`, so a bad argument or line changes nothing.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardModel

extension WGCommand {
    var values: ConfigValues {
        ConfigValues(resolver: resolver, environment: io.environment, report: { [io] in io.writeError($0 + "\n") })
    }

    func set(_ argv: [String]) -> Int32 {
        guard argv.count >= 3 else {
            io.writeError("Usage: \(programName) \(argv[0]) <interface> [listen-port <port>] [fwmark <mark>] [private-key <file path>] [peer <base64 public key> [remove] [preshared-key <file path>] [endpoint <ip>:<port>] [persistent-keepalive <interval seconds>] [allowed-ips <ip1>/<cidr1>[,<ip2>/<cidr2>]...] ]...\n")
            return 1
        }
        let update: DeviceUpdate
        do { update = try SetArguments.parse(argv[2...], values: values) } catch {
            io.writeError(error.message + "\n")
            return 1
        }
        return apply(update, to: Self.interfaceName(argv[1]))
    }

    /// setconf, addconf and syncconf.
    func setconf(_ argv: [String]) -> Int32 {
        guard argv.count == 3 else {
            io.writeError("Usage: \(programName) \(argv[0]) <interface> <configuration filename>\n")
            return 1
        }
        guard let file = fopen(argv[2], "r") else {
            io.writeError("fopen: \(errorText(errno))\n")
            return 1
        }
        defer { fclose(file) }
        var reader = ConfigReader(append: argv[0] == "addconf", values: values)
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        while true {
            let length = getline(&buffer, &capacity, file)
            guard length >= 0, let buffer else { break }
            let line = UnsafeRawBufferPointer(start: buffer, count: length)
            do { try reader.readLine(ArraySlice(line)) } catch {
                io.writeError(error.message + "\n" + (error.fatal ? "" : "Configuration parsing error\n"))
                return 1
            }
        }
        var update: DeviceUpdate
        do { update = try reader.finish() } catch {
            io.writeError(error.message + "\nInvalid configuration\n")
            return 1
        }
        let name = Self.interfaceName(argv[1])
        if argv[0] == "syncconf" && SyncConf.needsRuntime(update) {
            do { update = SyncConf.changes(file: update, runtime: try access.get(name)) } catch {
                io.writeError("Unable to retrieve current interface configuration: \(errorText(error.errno))\n")
                return 1
            }
        }
        return apply(update, to: name)
    }

    private func apply(_ update: DeviceUpdate, to name: String) -> Int32 {
        do { try access.set(name, update) } catch {
            io.writeError("Unable to modify interface: \(errorText(error.errno))\n")
            return 1
        }
        return 0
    }

    /// wg copies the name into IFNAMSIZ - 1 bytes.
    static func interfaceName(_ argument: String) -> String {
        String(decoding: argument.utf8.prefix(15), as: UTF8.self)
    }
}
