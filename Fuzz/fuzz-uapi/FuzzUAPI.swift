// SPDX-License-Identifier: MIT
// Fuzz target: the UAPI framer (UAPIRequestReader), the `set` parser (UAPIParser) with the engine applying
// what parses, and the `get` reply parser wg uses (UAPIStatusParser).
//
// Input: one byte choosing the chunk sizes, then the bytes of a UAPI connection. Checks: the requests are
// the same whether the stream arrives whole or in chunks; a parsed `set` applies; the engine's `get` reply
// parses back to the status it came from; the input itself, read as a `get` reply (a daemon's, perhaps
// hostile), fails or parses, and what parses is printed in every `wg show` form.

import FuzzSupport
import WireGuardIPC
import WireGuardModel
import WireGuardProtocol
import WireGuardTestSupport
import WireGuardTools

@main
enum FuzzUAPI {
    /// Requests after the first failure never count: the daemon closes the connection there.
    static let maxRequests = 16

    static func main() {
        FuzzDriver.main(run)
    }

    static func run(_ input: UnsafeRawBufferPointer) {
        guard let control = input.first else { return }
        let stream = UnsafeRawBufferPointer(rebasing: input[1...])
        let whole = requests(stream, chunk: stream.count)
        let chunked = requests(stream, chunk: Int(control % 64) + 1)
        precondition(whole == chunked, "UAPI framing depends on how the bytes arrive")

        let engine = Engine(random: SeededRandom(seed: 3))
        let now = Now(monotonic: Instant(nanoseconds: 1_000_000_000), wall: WallTime(seconds: 1_700_000_000))
        for case .set(let lines) in whole {
            guard let update = try? UAPIParser.parseSet(lines) else { continue }
            var effects: [Effect] = []
            engine.apply(update, now: now, effects: &effects)
            let status = engine.status()
            let reply = UAPIWriter.getReply(status)
            guard let parsed = try? UAPIStatusParser.parse(reply) else {
                preconditionFailure("our own get reply does not parse")
            }
            precondition(parsed == status, "get reply round trip changed the status")
        }
        if let reply = try? UAPIStatusParser.parse(String(decoding: stream, as: UTF8.self)) { show(reply, control: control) }
    }

    static let fields = ["public-key", "private-key", "listen-port", "fwmark", "peers", "preshared-keys", "endpoints",
                         "allowed-ips", "latest-handshakes", "persistent-keepalive", "transfer"]

    /// `wg show` of a daemon's reply: pretty (colours and hidden keys from `control`), dump, every field.
    static func show(_ status: DeviceStatus, control: UInt8) {
        let settings = ShowFormatter.Settings(color: control & 0x40 != 0, hideKeys: control & 0x80 != 0)
        let formatter = ShowFormatter(settings: settings, now: 1_700_000_000)
        _ = formatter.pretty(interface: "wg0", status)
        _ = formatter.dump(interface: "wg0", status, withInterface: control & 0x20 != 0)
        for name in fields { _ = formatter.field(name, interface: "wg0", status, withInterface: control & 0x20 != 0) }
    }

    /// The requests the stream holds, fed `chunk` bytes at a time, up to the first one that ends the connection.
    static func requests(_ stream: UnsafeRawBufferPointer, chunk: Int) -> [UAPIRequestReader.Request] {
        var reader = UAPIRequestReader()
        var found: [UAPIRequestReader.Request] = []
        var offset = 0
        func drain(atEOF: Bool) -> Bool {
            while found.count < maxRequests, let request = reader.next(atEOF: atEOF) {
                found.append(request)
                switch request {
                case .failed, .unknownOperation: return false
                case .get, .set: continue
                }
            }
            return found.count < maxRequests
        }
        while offset < stream.count {
            let end = min(offset + max(chunk, 1), stream.count)
            reader.append(UnsafeRawBufferPointer(rebasing: stream[offset..<end]))
            offset = end
            if !drain(atEOF: false) { return found }
        }
        _ = drain(atEOF: true)
        return found
    }
}
