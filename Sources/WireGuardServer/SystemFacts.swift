// SPDX-License-Identifier: MIT
// Facts about the host that `init` reads from text: the default route (`ip -4 route get`) for `--endpoint auto`
// and the interface masqueraded out of, and the resolvers (resolv.conf) for `--dns auto`. Pure parsers.

import WireGuardModel

public enum SystemFacts {
    /// The destination `ip -4 route get` is asked about: any public address gives the default route (the
    /// lookup sends nothing).
    public static let probeDestination = "192.0.2.1"

    /// `dev` and `src` of an `ip -4 route get` answer such as
    /// `192.0.2.1 via 10.0.0.1 dev eth0 src 10.0.0.5 uid 0`; nil when either is missing.
    public static func defaultRoute(fromRouteGet text: String) -> (device: String, source: String)? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
        func value(after key: String) -> String? {
            guard let i = words.firstIndex(of: key), i + 1 < words.count else { return nil }
            return words[i + 1]
        }
        guard let device = value(after: "dev"), let source = value(after: "src"), IPv4Text.parse(source) != nil
        else { return nil }
        return (device, source)
    }

    /// The `nameserver` addresses of a resolv.conf that clients can reach through the tunnel: loopback
    /// resolvers (systemd-resolved's 127.0.0.53, a local dnsmasq) only answer the server itself.
    public static func reachableNameservers(fromResolvConf text: String) -> [String] {
        text.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver" else { return nil }
            let address = String(words[1])
            switch IPAddress(address) {
            case .v4(let a)?: return a >> 24 == 127 ? nil : address
            case .v6(let hi, let lo)?: return hi == 0 && lo == 1 ? nil : address
            case nil: return nil
            }
        }
    }
}
