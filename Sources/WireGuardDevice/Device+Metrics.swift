// SPDX-License-Identifier: MIT
// The opt-in metrics endpoint of a device (MetricsServer.swift, WG_METRICS_ADDRESS in the daemon).

#if canImport(Glibc)
import Glibc
#endif
import WireGuardIPC
import WireGuardModel

extension Device {
    /// Listens on `address` (TCP, e.g. 127.0.0.1:9586 or [::1]:9586) and serves `GET /metrics` on a thread of
    /// its own until the device stops (`run` joins it). Throws when the address cannot be bound.
    public func serveMetrics(on address: Endpoint) throws(SystemError) {
        let listener = try MetricsServer.listen(on: address)
        let server: MetricsServer
        do { server = try MetricsServer(device: self, listener: listener) } catch {
            close(listener)
            throw error
        }
        guard let thread = startThread({ server.run() }) else { throw SystemError("pthread_create", errno: EAGAIN) }
        metricsThread = thread
        logger.verbose("Metrics served on http://\(address)/metrics")
    }

    /// Waits for the metrics thread after the stop eventfd fired.
    func joinMetricsThread() {
        if let thread = metricsThread { pthread_join(thread, nil) }
        metricsThread = nil
    }
}

extension Device {
    /// Binds `address` as `serveMetrics` would and lets it go again (a check before daemonizing).
    public static func probeMetricsAddress(_ address: Endpoint) throws(SystemError) {
        close(try MetricsServer.listen(on: address))
    }
}
