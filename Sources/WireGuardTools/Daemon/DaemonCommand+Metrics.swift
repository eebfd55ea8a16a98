// SPDX-License-Identifier: MIT
// WG_METRICS_ADDRESS: the opt-in Prometheus endpoint (`GET /metrics`). An environment variable, so that a
// daemon wg-quick starts can have it. Unset or empty: no socket, no thread. The address is checked (and
// bound once, then let go) before the daemon goes to the background, so a bad or busy address is an error
// the caller sees; the foreground process binds it for good.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardDevice
import WireGuardModel

extension DaemonCommand {
    static let metricsAddressVariable = "WG_METRICS_ADDRESS"

    /// The metrics address asked for: nil when unset or empty; throws when it is not `IPv4:port` or
    /// `[IPv6]:port`.
    func metricsAddress() throws -> Endpoint? {
        guard let text = environment[Self.metricsAddressVariable], !text.isEmpty else { return nil }
        guard let address = Endpoint(text) else {
            throw DaemonError("\(Self.metricsAddressVariable)=\(text) is not an address: use 127.0.0.1:9586 or [::1]:9586")
        }
        return address
    }

    /// Before going to the background: the address parses and can be bound now.
    func checkMetricsAddress() throws {
        guard let address = try metricsAddress() else { return }
        do { try Device.probeMetricsAddress(address) } catch {
            throw DaemonError("cannot serve metrics on \(address): \(error)")
        }
    }

    /// In the foreground process: serves metrics when asked; false (having logged) when it cannot.
    func startMetrics(_ device: Device, logger: Logger) -> Bool {
        do {
            guard let address = try metricsAddress() else { return true }
            try device.serveMetrics(on: address)
            return true
        } catch {
            logger.error("Failed to serve metrics: \(error)")
            printError("\(programName): cannot serve metrics: \(error)\n")
            return false
        }
    }
}
