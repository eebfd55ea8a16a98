// SPDX-License-Identifier: MIT
// `wg show` forms against golden files printed by Debian's wg from the same UAPI reply (see
// Fixtures/make-golden.sh): handshakes now, seconds, hours, days and a year ago, never; byte counts from B to
// TiB; PSKs; IPv6 endpoints; keepalive intervals; colours; hidden and shown keys.

import Foundation
import Testing
import WireGuardModel
@testable import WireGuardTools

@Suite struct ShowFormatterGoldenTests {
    static let interface = "wggolden"

    private func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    private func formatter(color: Bool = false, hideKeys: Bool = true) throws -> (ShowFormatter, DeviceStatus) {
        let now = try #require(Int64(try fixture("now.txt").split(separator: "\n")[0]))
        let status = try UAPIStatusParser.parse(try fixture("status.uapi"))
        return (ShowFormatter(settings: .init(color: color, hideKeys: hideKeys), now: now), status)
    }

    @Test func pretty() throws {
        let (f, status) = try formatter()
        #expect(f.pretty(interface: Self.interface, status) == (try fixture("show.txt")))
    }

    @Test func prettyWithColours() throws {
        let (f, status) = try formatter(color: true)
        #expect(f.pretty(interface: Self.interface, status) == (try fixture("show-color.txt")))
    }

    @Test func prettyWithKeysShown() throws {
        let (f, status) = try formatter(hideKeys: false)
        #expect(f.pretty(interface: Self.interface, status) == (try fixture("show-keys.txt")))
    }

    @Test func dump() throws {
        let (f, status) = try formatter()
        #expect(f.dump(interface: Self.interface, status, withInterface: false) == (try fixture("dump.txt")))
    }

    @Test(arguments: ["public-key", "private-key", "listen-port", "fwmark", "peers", "preshared-keys", "endpoints",
                      "allowed-ips", "latest-handshakes", "transfer", "persistent-keepalive"])
    func field(_ name: String) throws {
        let (f, status) = try formatter()
        #expect(f.field(name, interface: Self.interface, status, withInterface: false) == (try fixture("field-\(name).txt")))
    }

    @Test func withInterfacePrefixAndUnknownField() throws {
        let (f, status) = try formatter()
        let lines = try #require(f.field("peers", interface: "wg9", status, withInterface: true)).split(separator: "\n")
        #expect(lines.count == status.peers.count)
        #expect(lines.allSatisfy { $0.hasPrefix("wg9\t") })
        #expect(f.field("bogus", interface: "wg9", status, withInterface: true) == nil)
    }

    @Test func showconf() throws {
        let (_, status) = try formatter()
        #expect(ConfigFileWriter.showconf(status) == (try fixture("showconf.txt")))
    }

    @Test func clockWoundBackward() throws {
        let (_, status) = try formatter()
        let f = ShowFormatter(settings: .init(color: false, hideKeys: true), now: 1000)
        #expect(f.pretty(interface: "x", status).contains("latest handshake: (System clock wound backward; connection problems may ensue.)"))
    }

    /// A daemon may report any handshake time: `now - seconds` overflowed for the most negative one.
    @Test func handshakeFurthestInThePast() throws {
        let reply = "public_key=\(String(repeating: "22", count: 32))\nlast_handshake_time_sec=-9223372036854775808\nerrno=0\n\n"
        let status = try UAPIStatusParser.parse(reply)
        let f = ShowFormatter(settings: .init(color: false, hideKeys: true), now: 1000)
        #expect(f.pretty(interface: "x", status).contains(
            "latest handshake: 292471208677 years, 195 days, 15 hours, 46 minutes, 48 seconds ago"))
    }
}

@Suite struct UAPIStatusParserTests {
    /// `errno=-2147483648` trapped when negated.
    @Test func mostNegativeErrnoIsAnErrorNotATrap() {
        #expect(throws: UAPIError(code: Int32.max, "the daemon answered errno=-2147483648")) {
            try UAPIStatusParser.parse("errno=-2147483648\n\n")
        }
    }

    @Test func malformedRepliesAreErrorsNotCrashes() throws {
        let good = "private_key=\(String(repeating: "11", count: 32))\nlisten_port=1\npublic_key=\(String(repeating: "22", count: 32))\nendpoint=1.2.3.4:5\nallowed_ip=10.0.0.0/8\nerrno=0\n\n"
        #expect(throws: Never.self) { try UAPIStatusParser.parse(good) }
        // Every truncation and a sweep of single-byte corruptions: an error or a status, never a crash.
        let bytes = Array(good.utf8)
        for cut in 0..<bytes.count { _ = try? UAPIStatusParser.parse(String(decoding: bytes[0..<cut], as: UTF8.self)) }
        for i in bytes.indices {
            for replacement: UInt8 in [0x00, 0x3D, 0x0A, 0x2D, 0x5B, 0xFF] {
                var copy = bytes
                copy[i] = replacement
                _ = try? UAPIStatusParser.parse(String(decoding: copy, as: UTF8.self))
            }
        }
        #expect(throws: UAPIError.self) { try UAPIStatusParser.parse("listen_port=1\n\n") }  // no errno
        #expect(throws: UAPIError.self) { try UAPIStatusParser.parse("errno=-22\n\n") }
        #expect(throws: UAPIError.self) { try UAPIStatusParser.parse("listen_port=99999\nerrno=0\n\n") }
    }
}
