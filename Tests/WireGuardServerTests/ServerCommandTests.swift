// SPDX-License-Identifier: MIT
// The commands on a temporary directory with a scripted host: what init writes (and with which modes), add
// keeping every key and address and taking the lowest free one, remove freeing it, the running interface
// synced, list without keys, show printing exactly the client config; and every refusal as one line, exit 1,
// the directory as it was.

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import WireGuardServer

@Suite(.serialized) struct ServerCommandTests {
    static let peerFiles = ["peer.conf", "peer.png", "presharedkey", "privatekey", "publickey"]

    func mode(_ path: String) -> UInt32 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt32(st.st_mode & 0o7777) : 0
    }

    func read(_ path: String) -> String { String(decoding: Files.read(path) ?? [], as: UTF8.self) }

    @Test func initWritesEverything() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (status, io) = wgServer(["init", "--peers", "3", "--dir", dir.path + "/wg"])
        #expect(status == 0, "\(io.errors)")
        var expected = ["/wg", "/wg/wg0-peers", "/wg/wg0-server", "/wg/wg0-server/privatekey", "/wg/wg0-server/publickey",
                        "/wg/wg0-server/state", "/wg/wg0.conf"]
        for n in 1...3 {
            expected.append("/wg/wg0-peers/peer\(n)")
            expected += Self.peerFiles.map { "/wg/wg0-peers/peer\(n)/" + $0.replacingOccurrences(of: "peer.", with: "peer\(n).") }
        }
        #expect(dir.listing() == expected.sorted())
        for path in dir.listing() {
            let isDirectory = !path.contains(".") && !path.hasSuffix("key") && !path.hasSuffix("state")
            #expect(mode(dir.path + path) == (isDirectory ? 0o700 : 0o600), "\(path)")
        }
        let client = read(dir.path + "/wg/wg0-peers/peer2/peer2.conf")
        #expect(client.contains("Address = 10.13.13.3/32\n"))
        #expect(client.contains("Endpoint = 203.0.113.7:51820\n"))          // the default route's source
        #expect(client.contains("DNS = 198.51.100.53\n"))                   // systemd-resolved's upstream
        #expect(client.contains("PublicKey = \(read(dir.path + "/wg/wg0-server/publickey").dropLast())\n"))
        #expect(!client.contains("PersistentKeepalive"))
        let server = read(dir.path + "/wg/wg0.conf")
        #expect(server.contains("oifname \"wan0\" masquerade"))
        #expect(server.contains("PrivateKey = \(read(dir.path + "/wg/wg0-server/privatekey").dropLast())\n"))
        // Nothing secret is printed without --qr.
        for n in 1...3 { #expect(!io.output.contains(read(dir.path + "/wg/wg0-peers/peer\(n)/privatekey").dropLast())) }
        #expect(io.output.contains("peer3 10.13.13.4: \(dir.path)/wg/wg0-peers/peer3/peer3.conf\n"))
    }

    @Test func addKeepsKeysAndTakesTheLowestFreeAddress() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let system = FakeSystem()
        #expect(wgServer(["init", "--peers", "anna,bob,carol", "--dir", dir.path, "--endpoint", "vpn.example.org:443",
                          "--keepalive", "bob", "--interface", "wgs0"], system: system).status == 0)
        let before = dir.listing().map { ($0, read(dir.path + $0)) }
        system.up = ["wgs0"]
        let added = wgServer(["add", "dave", "--dir", dir.path, "--interface", "wgs0"], system: system)
        #expect(added.status == 0, "\(added.io.errors)")
        #expect(system.synced.map { "\($0.0) \($0.1)" } == ["wgs0 \(dir.path)/wgs0.conf"])
        // Every file that was there is unchanged but the server config and the state.
        for (path, text) in before where !path.hasSuffix("wgs0.conf") && !path.hasSuffix("state") {
            #expect(read(dir.path + path) == text, "\(path)")
        }
        let server = read(dir.path + "/wgs0.conf")
        for (path, text) in before where path.hasSuffix("wgs0.conf") {
            #expect(server.hasPrefix(text))  // the old peers, then dave's
        }
        #expect(read(dir.path + "/wgs0-peers/dave/dave.conf").contains("Address = 10.13.13.5/32\n"))
        #expect(read(dir.path + "/wgs0-peers/dave/dave.conf").contains("Endpoint = vpn.example.org:443\n"))
        #expect(read(dir.path + "/wgs0-peers/bob/bob.conf").contains("PersistentKeepalive = 25\n"))

        // Removing bob frees 10.13.13.3, which the next peer gets.
        let removed = wgServer(["remove", "bob", "--dir", dir.path, "--interface", "wgs0"], system: system)
        #expect(removed.status == 0, "\(removed.io.errors)")
        #expect(!Files.exists(dir.path + "/wgs0-peers/bob"))
        #expect(!read(dir.path + "/wgs0.conf").contains("# bob"))
        #expect(system.synced.count == 2)
        system.up = []
        #expect(wgServer(["add", "erin", "--dir", dir.path, "--interface", "wgs0", "--keepalive"], system: system).status == 0)
        #expect(system.synced.count == 2)
        #expect(read(dir.path + "/wgs0-peers/erin/erin.conf").contains("Address = 10.13.13.3/32\n"))
        #expect(read(dir.path + "/wgs0-peers/erin/erin.conf").contains("PersistentKeepalive = 25\n"))

        let list = wgServer(["list", "--dir", dir.path, "--interface", "wgs0"])
        #expect(list.io.output == """
            NAME   ADDRESS             KEEPALIVE
            anna   10.13.13.2/32       off
            carol  10.13.13.4/32       off
            dave   10.13.13.5/32       off
            erin   10.13.13.3/32       25

            """)
    }

    @Test func showPrintsTheClientConfigAndItsQRCode() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        #expect(wgServer(["init", "--peers", "1", "--dir", dir.path, "--dns", "none"]).status == 0)
        let config = read(dir.path + "/wg0-peers/peer1/peer1.conf")
        #expect(wgServer(["show", "peer1", "--dir", dir.path]).io.output == config)
        let qr = wgServer(["show", "peer1", "--dir", dir.path, "--qr"]).io.output
        #expect(qr == (try QREncoder.encode(config)).halfBlockLines().map { $0 + "\n" }.joined())
        let terminal = CapturedIO()
        terminal.outputIsTerminal = true
        #expect(wgServer(["show", "peer1", "--dir", dir.path, "--qr"], io: terminal).io.output.hasPrefix("\u{1B}[97;40m█"))
        #expect(wgServer(["show", "peer1", "--dir", dir.path, "--png", dir.path + "/out.png"]).status == 0)
        #expect(Files.read(dir.path + "/out.png") == (try ServerStore.png(of: config)))
        #expect(Files.read(dir.path + "/wg0-peers/peer1/peer1.png") == (try ServerStore.png(of: config)))
        #expect(mode(dir.path + "/out.png") == 0o600)
    }

    /// Each refusal: one line, exit 1, the directory exactly as before.
    @Test(arguments: [
        (["init", "--peers", "3", "--subnet", "10.0.0.0/30"], "subnet 10.0.0.0/30 is too small: it has room for 1 peer beside the server, not 3"),
        (["init", "--peers", "anna,anna"], "peer name `anna' is given twice"),
        (["init", "--peers", "2", "--endpoint", "vpn..example.org"], "endpoint `vpn..example.org' is not HOST, HOST:PORT or [IPV6]:PORT"),
        (["init", "--peers", "2", "--subnet", "10.0.0.1/24"], "subnet `10.0.0.1/24' is not an IPv4 network such as 10.13.13.0 or 10.13.13.0/24 (host bits zero)"),
        (["init", "--peers", "2", "--dns", "8.8.8"], "DNS server `8.8.8' is not an IP address"),
        (["init", "--peers", "2", "--allowed-ips", "0.0.0.0/0,10.0.0.0/40"], "allowed IP `10.0.0.0/40' is not an address or prefix such as 0.0.0.0/0 or 192.168.1.0/24"),
        (["init", "--peers", "2", "--keepalive", "peer7"], "--keepalive names `peer7', which is not among the peers"),
        (["init", "--peers", "2", "--mtu", "100"], "MTU `100' is not a number from 576 to 9000"),
        (["init", "--peers", "2", "--interface", "wg/0"], "interface name `wg/0' is not 1 to 15 letters, digits or `_=+.-'"),
        (["init"], "init needs --peers N or --peers NAME,NAME,..."),
        (["add", "peer1"], "peer `peer1' already exists"),
        (["add", "bad/name"], "peer name `bad/name' may only hold letters, digits, `_' and `-'"),
        (["remove", "peer9"], "no peer named `peer9'"),
        (["show", "peer9"], "no peer named `peer9' (no DIR/wg0-peers/peer9/peer9.conf)"),
        (["show", "peer1", "--qr", "--png", "x.png"], "usage: show NAME [--qr | --png FILE] (one of --qr and --png)"),
        (["list", "extra"], "usage: list"),
        (["init", "--peers", "1"], "DIR/wg0.conf already exists: remove it first to start over"),
    ])
    func refusals(arguments: [String], message: String) throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        if arguments[0] != "init" || arguments.count == 3 {
            #expect(wgServer(["init", "--peers", "2", "--dir", dir.path]).status == 0)
        }
        let before = dir.listing().map { ($0, read(dir.path + $0)) }
        let (status, io) = wgServer(arguments + ["--dir", dir.path])
        #expect(status == 1)
        #expect(io.errors == "wg-server: \(message.replacingOccurrences(of: "DIR", with: dir.path))\n")
        #expect(io.output == "")
        let after = dir.listing().map { ($0, read(dir.path + $0)) }
        #expect(after.map(\.0) == before.map(\.0))
        #expect(after.map(\.1) == before.map(\.1))
    }

    @Test func hostRefusals() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let noRoute = FakeSystem()
        noRoute.route = nil
        #expect(wgServer(["init", "--peers", "1", "--dir", dir.path], system: noRoute).io.errors
                == "wg-server: --endpoint auto: no default IPv4 route to take the address from; give --endpoint HOST\n")
        #expect(wgServer(["init", "--peers", "1", "--dir", dir.path, "--endpoint", "vpn"], system: noRoute).io.errors
                == "wg-server: no default IPv4 route to masquerade out of; give --out-interface IF\n")
        let loopbackDNS = FakeSystem()
        loopbackDNS.files = ["/etc/resolv.conf": "nameserver 127.0.0.1\n"]
        #expect(wgServer(["init", "--peers", "1", "--dir", dir.path], system: loopbackDNS).io.errors
                == "wg-server: --dns auto: no resolver in /etc/resolv.conf or /run/systemd/resolve/resolv.conf that clients can reach (only loopback ones); give --dns ADDRESS or --dns none\n")
        #expect(dir.listing() == [])
    }

    @Test func unwritableDirectoryAndAFailureHalfWay() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        // A directory that cannot be made (its parent is a file): nothing is written.
        FileManager.default.createFile(atPath: dir.path + "/file", contents: Data())
        let (status, io) = wgServer(["init", "--peers", "1", "--dir", dir.path + "/file/wg"])
        #expect(status == 1)
        #expect(io.errors == "wg-server: cannot create \(dir.path)/file/wg: Not a directory\n")
        #expect(dir.listing() == ["/file"])
        // A failure after some files are staged (peer2's folder is a file): they all go, and so do the folders.
        try FileManager.default.createDirectory(atPath: dir.path + "/wg/wg0-peers", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir.path + "/wg/wg0-peers/peer2", contents: Data())
        let half = wgServer(["init", "--peers", "3", "--dir", dir.path + "/wg"])
        #expect(half.status == 1)
        #expect(half.io.errors == "wg-server: \(dir.path)/wg/wg0-peers/peer2 exists and is not a directory\n")
        #expect(dir.listing() == ["/file", "/wg", "/wg/wg0-peers", "/wg/wg0-peers/peer2"])
    }

    @Test func aFailedSyncIsReported() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let system = FakeSystem()
        #expect(wgServer(["init", "--peers", "1", "--dir", dir.path], system: system).status == 0)
        system.up = ["wg0"]
        system.syncStatus = 1
        let (status, io) = wgServer(["add", "laptop", "--dir", dir.path], system: system)
        #expect(status == 1)
        #expect(io.errors == "wg-server: \(dir.path)/wg0.conf is written but applying it to wg0 failed (exit status 1)\n")
    }
}
