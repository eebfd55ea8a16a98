// SPDX-License-Identifier: MIT
// What wg-server asks of the host besides its own files: the default route, resolv.conf, whether the
// interface is up, applying the server config to it, randomness for keys. Behind a protocol so that the
// commands are tested without a network; `LinuxServerSystem` is the real one.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardCrypto
import WireGuardTools

public protocol ServerSystem: AnyObject {
    /// The output of `ip -4 route get SystemFacts.probeDestination`, nil when there is no route.
    func routeGet() -> String?
    /// A file's text (resolv.conf), nil when it cannot be read.
    func readText(_ path: String) -> String?
    /// Whether network interface `name` exists in this network namespace.
    func interfaceExists(_ name: String) -> Bool
    /// `wg syncconf INTERFACE <(wg-quick strip CONFIG)`, echoed as wg-quick echoes; the exit status.
    func syncConf(interface: String, config: String) -> Int32
    /// Where key material comes from.
    var random: RandomSource { get }
}

public final class LinuxServerSystem: ServerSystem {
    private let runner = SystemCommandRunner()
    public let random: RandomSource = SystemRandom()

    public init() {}

    public func routeGet() -> String? {
        let (status, output) = runner.query(["ip", "-4", "route", "get", SystemFacts.probeDestination])
        return status == 0 ? output : nil
    }

    public func readText(_ path: String) -> String? { Files.read(path).map { String(decoding: $0, as: UTF8.self) } }

    public func interfaceExists(_ name: String) -> Bool { if_nametoindex(name) != 0 }

    public func syncConf(interface: String, config: String) -> Int32 {
        runner.hook("wg syncconf \(interface) <(wg-quick strip \(Self.shellQuoted(config)))")
    }

    /// `text` as one bash word.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
