// SPDX-License-Identifier: MIT
// The server config, a client config and the state file against golden files, from fixed keys and settings;
// the state file read back; its bad lines named.

import Foundation
import Testing
@testable import WireGuardServer

@Suite struct ConfigTextTests {
    static let settings = ServerSettings(
        interface: "wg0", listenPort: 51820, subnet: IPv4Subnet("10.13.13.0")!,
        endpoint: EndpointSpec(host: "vpn.example.org", port: nil), dns: ["10.13.13.1"],
        allowedIPs: ["0.0.0.0/0", "::/0"], keepaliveAll: false, mtu: 1380, outInterface: "eth0")
    static let peers = [PeerRecord(name: "peer1", address: 0x0A0D_0D02, keepalive: false),
                        PeerRecord(name: "phone", address: 0x0A0D_0D03, keepalive: true)]
    static let keys = [
        PeerKeys(privateKey: "SPrivateKeyOfPeerOneAAAAAAAAAAAAAAAAAAAAAAA=", publicKey: "PublicKeyOfPeerOneAAAAAAAAAAAAAAAAAAAAAAAAA=",
                 presharedKey: "PresharedKeyOfPeerOneAAAAAAAAAAAAAAAAAAAAAA="),
        PeerKeys(privateKey: "SPrivateKeyOfPhoneAAAAAAAAAAAAAAAAAAAAAAAAA=", publicKey: "PublicKeyOfPhoneAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                 presharedKey: "PresharedKeyOfPhoneAAAAAAAAAAAAAAAAAAAAAAAA="),
    ]
    static let serverPrivate = "ServerPrivateKeyAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    static let serverPublic = "ServerPublicKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    @Test func serverConfig() throws {
        let text = ConfigText.server(Self.settings, serverPrivateKey: Self.serverPrivate,
                                     peers: Array(zip(Self.peers, Self.keys)))
        #expect(text == (try fixture("server.conf")))
    }

    @Test func clientConfigs() throws {
        #expect(ConfigText.client(Self.settings, record: Self.peers[1], keys: Self.keys[1], serverPublicKey: Self.serverPublic)
                == (try fixture("phone.conf")))
        var plain = Self.settings
        plain.dns = []
        plain.mtu = nil
        plain.endpoint = EndpointSpec(host: "2001:db8::1", port: 443)
        #expect(ConfigText.client(plain, record: Self.peers[0], keys: Self.keys[0], serverPublicKey: Self.serverPublic)
                == (try fixture("peer1.conf")))
    }

    @Test func stateFileRoundTrip() throws {
        let state = ServerState(settings: Self.settings, peers: Self.peers)
        #expect(state.stateText == (try fixture("state")))
        #expect(try ServerState(stateText: state.stateText, file: "state") == state)
        var noMTU = state
        noMTU.settings.mtu = nil
        noMTU.settings.dns = []
        #expect(try ServerState(stateText: noMTU.stateText, file: "state") == noMTU)
    }

    @Test func stateFileErrorsNameTheLine() throws {
        let good = ServerState(settings: Self.settings, peers: Self.peers).stateText
        let cases: [(String, String)] = [
            (good.replacingOccurrences(of: "Peer = phone 10.13.13.3 keepalive", with: "Peer = phone"),
             "state:12: not `Peer = NAME ADDRESS [keepalive]': `Peer = phone'"),
            (good + "Colour = blue\n", "state:13: unknown or repeated key: `Colour = blue'"),
            (good.replacingOccurrences(of: "ListenPort = 51820", with: "ListenPort = 0"), "state: `ListenPort = 0' is not valid"),
            (good.replacingOccurrences(of: "Subnet = 10.13.13.0/24\n", with: ""), "state: `Subnet' is missing"),
            (good.replacingOccurrences(of: "10.13.13.3 keepalive", with: "10.13.14.3"),
             "state: a peer's address is outside 10.13.13.0/24 or is the server's"),
            (good + "Peer = peer1 10.13.13.9\n", "state:13: a peer name or address repeats: `Peer = peer1 10.13.13.9'"),
        ]
        for (text, message) in cases {
            #expect(throws: ServerError(message)) { try ServerState(stateText: text, file: "state") }
        }
    }
}
