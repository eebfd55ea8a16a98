// SPDX-License-Identifier: MIT
// struct sockaddr_in / sockaddr_in6 as WGPEER_A_ENDPOINT carries them: family in host order, port in network
// order, then the address (sockaddr_in6 also has flowinfo before and scope_id after it).

import WireGuardModel

enum SocketAddress {
    /// The endpoint in `payload`; nil (ignored, as wireguard-tools does) for another family or a length that
    /// does not match the family's struct.
    static func decode(_ payload: ArraySlice<UInt8>) -> Endpoint? {
        typealias G = WireGuardGenl
        guard payload.count >= MemoryLayout<UInt16>.size * 2 else { return nil }
        let base = payload.startIndex
        let family = readInteger(UInt16.self, payload, at: base)
        let port = UInt16(payload[base + 2]) << 8 | UInt16(payload[base + 3])
        if family == G.AF_INET && payload.count == G.sockaddrInLength {
            return IPAddress(bytes: payload[(base + 4)..<(base + 8)]).map { Endpoint(address: $0, port: port) }
        }
        if family == G.AF_INET6 && payload.count == G.sockaddrIn6Length {
            return IPAddress(bytes: payload[(base + 8)..<(base + 24)]).map { Endpoint(address: $0, port: port) }
        }
        return nil
    }

    /// `endpoint` as the sockaddr the kernel takes (flowinfo and scope id zero).
    static func encode(_ endpoint: Endpoint) -> [UInt8] {
        typealias G = WireGuardGenl
        let port = [UInt8(endpoint.port >> 8), UInt8(endpoint.port & 0xFF)]
        if endpoint.address.isV4 {
            return NetlinkPayload.integer(G.AF_INET) + port + endpoint.address.bytes + [UInt8](repeating: 0, count: 8)
        }
        return NetlinkPayload.integer(G.AF_INET6) + port + [0, 0, 0, 0] + endpoint.address.bytes + [0, 0, 0, 0]
    }
}
