// SPDX-License-Identifier: MIT
// Peer names: they become a directory, a file name (NAME.conf) and, when someone runs `wg-quick up NAME.conf`,
// an interface name, so they follow the interface-name rule of wg-quick, minus the characters a file name or a
// shell makes awkward.

public enum PeerName {
    /// The longest name: an interface name's limit (IFNAMSIZ - 1).
    public static let maximumLength = 15

    /// Nil when `name` is acceptable, else why not (a sentence naming it). All-digit names are refused because
    /// `--peers 3` means a count.
    public static func problem(_ name: String) -> String? {
        let allowed = name.utf8.allSatisfy { c in
            (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x5F || c == 0x2D
        }
        if name.isEmpty { return "a peer name cannot be empty" }
        if !allowed { return "peer name `\(name)' may only hold letters, digits, `_' and `-'" }
        if name.utf8.count > maximumLength { return "peer name `\(name)' is longer than \(maximumLength) characters" }
        if name.first == "-" { return "peer name `\(name)' cannot start with `-'" }
        if name.utf8.allSatisfy({ (0x30...0x39).contains($0) }) { return "peer name `\(name)' cannot be only digits" }
        return nil
    }

    /// `--peers N|NAME,NAME…`: N names peer1…peerN (1 ≤ N ≤ `limit`); a list is checked name by name and for
    /// repeats.
    public static func parseList(_ text: String, limit: Int = 65534) throws(ServerError) -> [String] {
        if !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
            guard text.count <= 6, let count = Int(text), count >= 1, count <= limit else {
                throw ServerError("peer count `\(text)' must be between 1 and \(limit)")
            }
            return (1...count).map { "peer\($0)" }
        }
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        }
        var seen = Set<String>()
        for name in names {
            if let problem = problem(name) { throw ServerError(problem) }
            guard seen.insert(name).inserted else { throw ServerError("peer name `\(name)' is given twice") }
        }
        return names
    }
}
