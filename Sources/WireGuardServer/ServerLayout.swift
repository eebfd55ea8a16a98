// SPDX-License-Identifier: MIT
// Where wg-server keeps things under its directory (/etc/wireguard or --dir):
//   INTERFACE.conf                      the server's wg-quick config
//   INTERFACE-server/state              settings and peers (ServerState+Text.swift)
//   INTERFACE-server/privatekey, publickey
//   INTERFACE-peers/NAME/NAME.conf      the client config (what its QR code holds)
//   INTERFACE-peers/NAME/NAME.png       its QR code
//   INTERFACE-peers/NAME/privatekey, publickey, presharedkey
// Files are 0600, directories 0700.

public struct ServerLayout: Sendable {
    public let directory: String
    public let interface: String

    public init(directory: String, interface: String) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.interface = interface
    }

    public static let defaultDirectory = "/etc/wireguard"
    public static let fileMode: UInt32 = 0o600
    public static let directoryMode: UInt32 = 0o700

    static func peersDirectoryName(_ interface: String) -> String { "\(interface)-peers" }

    public var serverConfig: String { "\(directory)/\(interface).conf" }
    public var serverDirectory: String { "\(directory)/\(interface)-server" }
    public var stateFile: String { "\(serverDirectory)/state" }
    public var serverPrivateKey: String { "\(serverDirectory)/privatekey" }
    public var serverPublicKey: String { "\(serverDirectory)/publickey" }
    public var peersDirectory: String { "\(directory)/\(Self.peersDirectoryName(interface))" }

    public func peerDirectory(_ name: String) -> String { "\(peersDirectory)/\(name)" }
    public func peerConfig(_ name: String) -> String { "\(peerDirectory(name))/\(name).conf" }
    public func peerPNG(_ name: String) -> String { "\(peerDirectory(name))/\(name).png" }
    public func peerPrivateKey(_ name: String) -> String { "\(peerDirectory(name))/privatekey" }
    public func peerPublicKey(_ name: String) -> String { "\(peerDirectory(name))/publickey" }
    public func peerPresharedKey(_ name: String) -> String { "\(peerDirectory(name))/presharedkey" }

    /// wg-quick's interface-name rule: 1 to 15 of letters, digits and `_=+.-`.
    public static func isInterfaceName(_ name: String) -> Bool {
        (1...15).contains(name.utf8.count) && name != "." && name != ".." && name.utf8.allSatisfy { c in
            (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || "_=+.-".utf8.contains(c)
        }
    }
}
