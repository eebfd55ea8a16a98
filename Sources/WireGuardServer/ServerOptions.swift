// SPDX-License-Identifier: MIT
// wg-server's argument grammar: a subcommand, its positional arguments and `--option VALUE` /
// `--option=VALUE` / `--flag` anywhere after it; `--dir` and `--interface` are accepted by every subcommand.
// Pure: argv in, the parsed arguments or one error out.

public struct ServerOptions: Equatable, Sendable {
    public var positionals: [String] = []
    public var values: [String: String] = [:]
    public var flags: Set<String> = []

    /// Options every subcommand takes.
    public static let common: Set<String> = ["--dir", "--interface"]
    /// MTUs wg-server writes (IPv4's minimum datagram to the largest jumbo frame).
    public static let mtuRange = 576...9000

    /// Parses `arguments` (after the subcommand). `valued` options take a value, `flags` do not; anything else
    /// starting with `--` is refused, as is an option given twice.
    public init(_ arguments: [String], command: String, valued: Set<String>, flags allowedFlags: Set<String>) throws(ServerError) {
        let valued = valued.union(Self.common)
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--") else {
                positionals.append(argument)
                continue
            }
            var name = argument, value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            if valued.contains(name) {
                if value == nil {
                    guard index < arguments.count else { throw ServerError("option `\(name)' needs a value") }
                    value = arguments[index]
                    index += 1
                }
                guard values[name] == nil else { throw ServerError("option `\(name)' is given twice") }
                values[name] = value
            } else if allowedFlags.contains(name), value == nil {
                guard flags.insert(name).inserted else { throw ServerError("option `\(name)' is given twice") }
            } else {
                throw ServerError("`\(command)' has no option `\(argument)'")
            }
        }
    }

    /// Exactly `count` positional arguments, else the usage as the error.
    public func positionals(_ count: Int, usage: String) throws(ServerError) -> [String] {
        guard positionals.count == count else { throw ServerError("usage: \(usage)") }
        return positionals
    }
}
