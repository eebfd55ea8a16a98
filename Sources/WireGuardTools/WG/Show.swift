// SPDX-License-Identifier: MIT
// `wg show` and `wg showconf` (show.c, showconf.c): argument handling, listing, and printing what
// `ShowFormatter` / `ConfigFileWriter` produce.

import WireGuardModel

extension WGCommand {
    func show(_ argv: [String]) -> Int32 {
        let showUsage = {
            io.writeError("Usage: \(programName) \(argv[0]) { <interface> | all | interfaces } [\(ShowFormatter.fields.joined(separator: " | "))]\n")
        }
        if argv.count > 3 {
            showUsage()
            return 1
        }
        let formatter = ShowFormatter(settings: settings, now: now())
        // Prints one field (ugly_print); false after reporting an unknown parameter.
        let printField = { (name: String, device: DeviceStatus, withInterface: Bool) -> Bool in
            guard let text = formatter.field(argv[2], interface: name, device, withInterface: withInterface) else {
                io.writeError("Invalid parameter: `\(argv[2])'\n")
                showUsage()
                return false
            }
            io.write(text)
            return true
        }
        if argv.count == 1 || argv[1] == "all" {
            let names: [String]
            do { names = try access.list() } catch {
                io.writeError("Unable to list interfaces: \(errorText(error.errno))\n")
                return 1
            }
            var status: Int32 = names.isEmpty ? 0 : 1
            for (i, name) in names.enumerated() {
                let device: DeviceStatus
                do { device = try access.get(name) } catch {
                    io.writeError("Unable to access interface \(name): \(errorText(error.errno))\n")
                    continue
                }
                if argv.count == 3 {
                    guard printField(name, device, true) else { return 1 }
                } else {
                    io.write(formatter.pretty(interface: name, device))
                    if i + 1 < names.count { io.write("\n") }
                }
                status = 0
            }
            return status
        }
        if argv[1] == "interfaces" {
            if argv.count > 2 {
                showUsage()
                return 1
            }
            let names: [String]
            do { names = try access.list() } catch {
                io.writeError("Unable to list interfaces: \(errorText(error.errno))\n")
                return 1
            }
            if !names.isEmpty { io.write(names.joined(separator: " ") + "\n") }
            return 0
        }
        if argv.count == 2 && ["-h", "--help", "help"].contains(argv[1]) {
            showUsage()
            return 0
        }
        let device: DeviceStatus
        do { device = try access.get(argv[1]) } catch {
            io.writeError("Unable to access interface: \(errorText(error.errno))\n")
            return 1
        }
        if argv.count == 3 {
            guard printField(argv[1], device, false) else { return 1 }
        } else {
            io.write(formatter.pretty(interface: argv[1], device))
        }
        return 0
    }

    func showconf(_ argv: [String]) -> Int32 {
        guard argv.count == 2 else {
            io.writeError("Usage: \(programName) \(argv[0]) <interface>\n")
            return 1
        }
        do {
            io.write(ConfigFileWriter.showconf(try access.get(argv[1])))
            return 0
        } catch {
            io.writeError("Unable to access interface: \(errorText(error.errno))\n")
            return 1
        }
    }

    /// Colours and key hiding from WG_COLOR_MODE, the terminal, and WG_HIDE_KEYS.
    var settings: ShowFormatter.Settings {
        let color: Bool
        switch io.environment["WG_COLOR_MODE"] {
        case "always": color = true
        case "never": color = false
        default: color = io.outputIsTerminal
        }
        return ShowFormatter.Settings(color: color, hideKeys: io.environment["WG_HIDE_KEYS"] != "never")
    }
}
