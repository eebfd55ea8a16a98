// SPDX-License-Identifier: MIT
// What the `wg` and wg-quick fuzz targets share: ConfigValues over a deterministic resolver (numeric hosts and
// ports resolve; other names fail, temporarily for odd lengths so the retries run too; pauses return at
// once), and the check that what wg would send the daemon parses back to the same change.

@testable import WireGuardTools
import WireGuardModel

/// getaddrinfo without DNS or waiting.
struct FuzzResolver: NameResolver {
    func resolve(host: String?, service: String) -> Resolution {
        guard let port = UInt16(service) else { return .failed(message: "Servname not supported", permanent: true) }
        guard let host else { return .resolved(Endpoint(address: .v4(0), port: port)) }
        if let address = IPAddress(host) { return .resolved(Endpoint(address: address, port: port)) }
        return .failed(message: "Name or service not known", permanent: host.utf8.count % 2 == 0)
    }

    func pause(microseconds: UInt32) {}
}

public enum FuzzTools {
    /// Value parsing as `wg` does it, with `FuzzResolver` and two endpoint retries.
    static var values: ConfigValues { ConfigValues(resolver: FuzzResolver(), environment: ["WG_ENDPOINT_RESOLUTION_RETRIES": "2"],
                                     report: { _ in }) }

    /// Reads `bytes` as a wg configuration file (lines as getline returns them). Nil when wg would refuse it.
    public static func readConfig(_ bytes: some Collection<UInt8>, append: Bool) -> DeviceUpdate? {
        var reader = ConfigReader(append: append, values: values)
        var start = bytes.startIndex
        while start != bytes.endIndex {
            let newline = bytes[start...].firstIndex(of: 0x0A)
            let end = newline.map { bytes.index(after: $0) } ?? bytes.endIndex
            do { try reader.readLine(ArraySlice(bytes[start..<end])) } catch { return nil }
            start = end
        }
        return try? reader.finish()
    }

    /// Parses `arguments` as `wg set INTERFACE …` does. Nil when wg would refuse them.
    public static func parseSet(_ arguments: [String]) -> DeviceUpdate? {
        try? SetArguments.parse(arguments[...], values: values)
    }

    /// The `set=1` request wg would send for `update` must parse, in the daemon, to `update` again.
    public static func checkRoundTrip(_ update: DeviceUpdate) {
        let request = UAPIWriter.setRequest(update)
        var lines = request.split(separator: "\n", omittingEmptySubsequences: false)
        precondition(lines.first == "set=1" && lines.suffix(2) == ["", ""], "malformed set request")
        lines = Array(lines.dropFirst().dropLast(2))
        let parsed: DeviceUpdate
        do { parsed = try UAPIParser.parseSet(lines) } catch {
            preconditionFailure("the daemon refuses wg's own request: \(error)\n\(request)")
        }
        precondition(parsed == sent(update), "set request round trip changed the update:\n\(request)")
    }

    /// What of `update` the request carries: a removed peer is its key and `remove` only.
    static func sent(_ update: DeviceUpdate) -> DeviceUpdate {
        var result = update
        result.peers = update.peers.map { $0.remove ? PeerUpdate(publicKey: $0.publicKey, remove: true) : $0 }
        return result
    }
}
