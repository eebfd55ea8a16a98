// SPDX-License-Identifier: MIT
// The tunnel subnet and who holds which address in it: the server the first host address (as linuxserver's
// 10.13.13.1), the peers the lowest free ones after it, never the network or broadcast address.

import WireGuardModel

/// An IPv4 subnet, `10.13.13.0` (a /24, as linuxserver's INTERNAL_SUBNET) or `10.13.13.0/24`.
public struct IPv4Subnet: Equatable, Sendable, CustomStringConvertible {
    /// The network address, host order.
    public let network: UInt32
    public let prefixLength: Int

    /// The prefix length when none is given.
    public static let defaultPrefixLength = 24

    /// Parses the subnet; nil for anything else (an IPv6 subnet, host bits set, a bad length).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, case .v4(let address)? = IPAddress(String(parts[0])) else { return nil }
        var length = Self.defaultPrefixLength
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 2, parts[1].utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  let n = Int(parts[1]), n <= 32 else { return nil }
            length = n
        }
        guard address & ~Self.mask(length) == 0 else { return nil }
        network = address
        prefixLength = length
    }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << (32 - length) }

    /// The last address (broadcast).
    public var broadcast: UInt32 { network | ~Self.mask(prefixLength) }

    /// The host addresses (none for /31 and /32: a server and a peer need a real subnet).
    public var hosts: ClosedRange<UInt32>? { prefixLength >= 31 ? nil : (network + 1)...(broadcast - 1) }

    /// The server's tunnel address: the first host.
    public var serverAddress: UInt32? { hosts?.lowerBound }

    /// How many peers fit beside the server.
    public var peerCapacity: Int { hosts.map { $0.count - 1 } ?? 0 }

    public func contains(_ address: UInt32) -> Bool { address & Self.mask(prefixLength) == network }

    public var description: String { "\(IPv4Text.format(network))/\(prefixLength)" }
}

/// Dotted-quad text of a host-order IPv4 address.
public enum IPv4Text {
    public static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xff).\(address >> 8 & 0xff).\(address & 0xff)"
    }

    public static func parse(_ text: String) -> UInt32? {
        if case .v4(let a)? = IPAddress(text) { return a }
        return nil
    }
}

/// Address allocation in a subnet.
public struct AddressPool: Sendable {
    public let subnet: IPv4Subnet

    public init(subnet: IPv4Subnet) { self.subnet = subnet }

    /// The lowest peer address not in `used`; an error when the subnet is full.
    public func next(excluding used: Set<UInt32>) throws(ServerError) -> UInt32 {
        guard let hosts = subnet.hosts else { throw tooSmall(1) }
        var candidate = hosts.lowerBound + 1
        while candidate <= hosts.upperBound {
            if !used.contains(candidate) { return candidate }
            candidate += 1
        }
        throw ServerError("subnet \(subnet) is full: it has room for \(subnet.peerCapacity) peers")
    }

    /// Addresses for `count` new peers beside `used`, lowest first.
    public func allocate(_ count: Int, excluding used: Set<UInt32> = []) throws(ServerError) -> [UInt32] {
        guard count <= subnet.peerCapacity - used.count else { throw tooSmall(count + used.count) }
        var taken = used
        var result: [UInt32] = []
        for _ in 0..<count {
            let address = try next(excluding: taken)
            taken.insert(address)
            result.append(address)
        }
        return result
    }

    private func tooSmall(_ wanted: Int) -> ServerError {
        let room = subnet.peerCapacity == 1 ? "1 peer" : "\(subnet.peerCapacity) peers"
        return ServerError("subnet \(subnet) is too small: it has room for \(room) beside the server, not \(wanted)")
    }
}
