// SPDX-License-Identifier: MIT
// A wg-quick configuration file (linux.bash `parse_options`): the [Interface] keys wg-quick handles itself
// (Address, DNS, MTU, Table, PreUp, PostUp, PreDown, PostDown, SaveConfig) and everything else, passed through
// to `wg` as the stripped configuration. Lines are read as bash's `read -r` reads them: surrounding blanks
// dropped. Keys and the section name compare case-insensitively, but "[Interface]" must be written without
// inner spaces, as in wg-quick.

public struct QuickConfiguration: Equatable, Sendable {
    public var addresses: [String] = []
    public var mtu: String?
    /// Numeric entries of DNS (servers).
    public var dnsServers: [String] = []
    /// The other entries of DNS (search domains).
    public var dnsSearch: [String] = []
    public var table: String?
    public var preUp: [String] = []
    public var postUp: [String] = []
    public var preDown: [String] = []
    public var postDown: [String] = []
    public var saveConfig = false
    /// The lines wg-quick does not handle, each followed by a newline (what `wg setconf` receives).
    public var wgConfig = ""

    public init() {}

    /// `strip`'s output: the wg part, then the newline `echo` adds.
    public var stripped: String { wgConfig + "\n" }

    /// Parses `text`. The only error is a SaveConfig that is neither true nor false (wg-quick's message).
    public init(parsing text: String) throws(QuickError) {
        // Bytes, not Characters: "\r\n" is one Character, and bash keeps the "\r".
        var lines = Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var inInterface = false
        for bytes in lines {
            let line = Self.trimmed(Substring(String(decoding: bytes, as: UTF8.self)), blanks: " \t")
            let uncommented = line.prefix { $0 != "#" }
            let equals = uncommented.firstIndex(of: "=")
            let key = Self.trimmed(uncommented[..<(equals ?? uncommented.endIndex)])
            let value = Self.trimmed(equals.map { uncommented[uncommented.index(after: $0)...] } ?? uncommented)
            let rawValue = Self.trimmed(line.firstIndex(of: "=").map { line[line.index(after: $0)...] } ?? line[...])
            if key.hasPrefix("[") { inInterface = false }
            if key.lowercased() == "[interface]" { inInterface = true }
            if inInterface {
                switch key.lowercased() {
                case "address": addresses += Self.words(value); continue
                case "mtu": mtu = value; continue
                case "dns":
                    for entry in Self.words(value) {
                        if Self.isServer(entry) { dnsServers.append(entry) } else { dnsSearch.append(entry) }
                    }
                    continue
                case "table": table = value; continue
                case "preup": preUp.append(rawValue); continue
                case "predown": preDown.append(rawValue); continue
                case "postup": postUp.append(rawValue); continue
                case "postdown": postDown.append(rawValue); continue
                case "saveconfig":
                    switch value.lowercased() {
                    case "true": saveConfig = true
                    case "false": saveConfig = false
                    default: throw QuickError("`\(value)' is neither true nor false")
                    }
                    continue
                default: break
                }
            }
            wgConfig += line + "\n"
        }
    }

    /// `${value//,/ }` split into words.
    private static func words(_ value: String) -> [String] {
        value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
    }

    /// wg-quick's test for a server: only digits and dots, or any colon.
    private static func isServer(_ entry: String) -> Bool {
        entry.contains(":") || entry.allSatisfy { $0 == "." || ("0"..."9").contains($0) }
    }

    /// `[[:space:]]` trimmed from both ends (or only `blanks`).
    static func trimmed(_ text: Substring, blanks: String = " \t\n\u{0B}\u{0C}\r") -> String {
        let isBlank = { (c: Character) in blanks.contains(c) }
        guard let first = text.firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = text.lastIndex(where: { !isBlank($0) })!
        return String(text[first...last])
    }
}

/// A wg-quick failure: `message` is printed as `wg-quick: message` (die), and the command exits 1.
public struct QuickError: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}
