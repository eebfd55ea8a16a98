// SPDX-License-Identifier: MIT
// Which offloads the device asks for. Each is on unless its environment variable turns it off, so a user
// can rule one out and the benchmark can measure with and without it; whatever the kernel refuses is
// turned off at start-up with one log line (Device.init).

import CWireGuardLinux

/// The offloads to try.
public struct OffloadSettings: Equatable, Sendable {
    /// IFF_VNET_HDR with TSO4/TSO6 on the TUN (super-packets in, GRO-coalesced packets out).
    public var tunOffload = true
    /// USO4/USO6 on the TUN (Linux 6.2+): UDP super-packets in, UDP coalescing out.
    public var tunUDPOffload = true
    /// UDP_SEGMENT: a run of equal-size datagrams to one endpoint leaves in one send.
    public var udpGSO = true
    /// UDP_GRO: datagrams of one flow arrive coalesced in one receive.
    public var udpGRO = true

    /// The environment variables, each turning one offload off when set to anything but "0" or "".
    public static let variables = (tun: "WG_DISABLE_TUN_OFFLOAD", uso: "WG_DISABLE_USO",
                                   gso: "WG_DISABLE_UDP_GSO", gro: "WG_DISABLE_UDP_GRO")

    public init(tunOffload: Bool = true, tunUDPOffload: Bool = true, udpGSO: Bool = true, udpGRO: Bool = true) {
        self.tunOffload = tunOffload
        self.tunUDPOffload = tunUDPOffload
        self.udpGSO = udpGSO
        self.udpGRO = udpGRO
    }

    /// Settings from an environment: every offload on except those whose variable is set (not "0").
    public init(environment: [String: String]) {
        func off(_ name: String) -> Bool {
            guard let v = environment[name] else { return false }
            return !v.isEmpty && v != "0"
        }
        tunOffload = !off(Self.variables.tun)
        tunUDPOffload = tunOffload && !off(Self.variables.uso)
        udpGSO = !off(Self.variables.gso)
        udpGRO = !off(Self.variables.gro)
    }

    /// UDP GRO delivers coalesced datagrams correctly from Linux 5.12 on (earlier kernels accept UDP_GRO
    /// but mishandle some forwarded and tunnelled packets, wireguard-go's own floor).
    public static let minimumGROKernel = (5, 12)

    /// The running kernel's (major, minor) version, from uname; nil if it cannot be read.
    public static func kernelVersion() -> (Int, Int)? {
        var major: Int32 = 0, minor: Int32 = 0
        return wg_kernel_version(&major, &minor) == 0 ? (Int(major), Int(minor)) : nil
    }
}
