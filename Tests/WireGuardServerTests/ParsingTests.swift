// SPDX-License-Identifier: MIT
// The pure parsers: peer names and `--peers`, endpoints, the option grammar, `ip route get` and resolv.conf.

import Testing
@testable import WireGuardServer

@Suite struct ParsingTests {
    @Test func peerNames() {
        for good in ["peer1", "phone", "Anna-s_phone", "a", "x23456789012345"] { #expect(PeerName.problem(good) == nil, "\(good)") }
        #expect(PeerName.problem("") == "a peer name cannot be empty")
        #expect(PeerName.problem("../etc") == "peer name `../etc' may only hold letters, digits, `_' and `-'")
        #expect(PeerName.problem("a b") == "peer name `a b' may only hold letters, digits, `_' and `-'")
        #expect(PeerName.problem("x234567890123456") == "peer name `x234567890123456' is longer than 15 characters")
        #expect(PeerName.problem("-x") == "peer name `-x' cannot start with `-'")
        #expect(PeerName.problem("42") == "peer name `42' cannot be only digits")
    }

    @Test func peerList() throws {
        #expect(try PeerName.parseList("3") == ["peer1", "peer2", "peer3"])
        #expect(try PeerName.parseList("anna, bob,carol") == ["anna", "bob", "carol"])
        #expect(throws: ServerError("peer count `0' must be between 1 and 65534")) { try PeerName.parseList("0") }
        #expect(throws: ServerError("peer name `bob' is given twice")) { try PeerName.parseList("bob,anna,bob") }
        #expect(throws: ServerError("a peer name cannot be empty")) { try PeerName.parseList("anna,,bob") }
    }

    @Test func endpoints() throws {
        #expect(try EndpointSpec(parsing: "vpn.example.org") == EndpointSpec(host: "vpn.example.org", port: nil))
        #expect(try EndpointSpec(parsing: "203.0.113.7:443") == EndpointSpec(host: "203.0.113.7", port: 443))
        #expect(try EndpointSpec(parsing: "[2001:db8::1]:51821") == EndpointSpec(host: "2001:db8::1", port: 51821))
        #expect(try EndpointSpec(parsing: "2001:db8::1") == EndpointSpec(host: "2001:db8::1", port: nil))
        #expect(try EndpointSpec(parsing: "2001:db8::1").text(defaultPort: 51820) == "[2001:db8::1]:51820")
        for bad in ["", "vpn..example", "-vpn.example", "vpn_example.org", "300.1.1.1", "[2001:db8::1", "[vpn]:1", "[::1]x",
                    "a:b:c"] {
            #expect(throws: ServerError("endpoint `\(bad)' is not HOST, HOST:PORT or [IPV6]:PORT"), "\(bad)") {
                try EndpointSpec(parsing: bad)
            }
        }
        #expect(throws: ServerError("endpoint `vpn:99999': port `99999' is not a number from 1 to 65535")) {
            try EndpointSpec(parsing: "vpn:99999")
        }
        #expect(throws: ServerError("endpoint `vpn:0': port `0' is not a number from 1 to 65535")) { try EndpointSpec(parsing: "vpn:0") }
        #expect(throws: ServerError("endpoint `vpn:': port `' is not a number from 1 to 65535")) { try EndpointSpec(parsing: "vpn:") }
    }

    @Test func options() throws {
        let o = try ServerOptions(["--peers", "3", "--dns=none", "x", "--qr", "--dir", "/d"], command: "init",
                                  valued: ["--peers", "--dns"], flags: ["--qr"])
        #expect(o.positionals == ["x"])
        #expect(o.values == ["--peers": "3", "--dns": "none", "--dir": "/d"])
        #expect(o.flags == ["--qr"])
        #expect(throws: ServerError("`init' has no option `--colour'")) {
            try ServerOptions(["--colour"], command: "init", valued: [], flags: [])
        }
        #expect(throws: ServerError("option `--peers' needs a value")) {
            try ServerOptions(["--peers"], command: "init", valued: ["--peers"], flags: [])
        }
        #expect(throws: ServerError("option `--peers' is given twice")) {
            try ServerOptions(["--peers", "1", "--peers=2"], command: "init", valued: ["--peers"], flags: [])
        }
        #expect(throws: ServerError("`show' has no option `--qr=1'")) {
            try ServerOptions(["--qr=1"], command: "show", valued: [], flags: ["--qr"])
        }
    }

    @Test func defaultRoute() {
        let route = SystemFacts.defaultRoute(fromRouteGet: "192.0.2.1 via 10.0.0.1 dev enp3s0 src 10.0.0.5 uid 0 \n    cache \n")
        #expect(route?.device == "enp3s0")
        #expect(route?.source == "10.0.0.5")
        #expect(SystemFacts.defaultRoute(fromRouteGet: "192.0.2.1 dev eth0 uid 0\n") == nil)
        #expect(SystemFacts.defaultRoute(fromRouteGet: "") == nil)
    }

    @Test func resolvers() {
        let text = "# comment\nsearch lan\nnameserver 127.0.0.53\nnameserver 192.168.1.1\nnameserver ::1\nnameserver 2001:db8::53\noptions edns0\n"
        #expect(SystemFacts.reachableNameservers(fromResolvConf: text) == ["192.168.1.1", "2001:db8::53"])
        #expect(SystemFacts.reachableNameservers(fromResolvConf: "nameserver 127.0.0.1\n").isEmpty)
    }
}
