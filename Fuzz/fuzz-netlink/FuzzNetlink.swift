// SPDX-License-Identifier: MIT
// Fuzz target: the netlink decoders wg uses on kernel replies (WireGuardNetlink): a WG_CMD_GET_DEVICE dump
// across one or more received buffers, and every message read as a reply, an RTM_NEWLINK, a controller
// reply and generic netlink attributes (nests opened to a bounded depth).
//
// Input: byte 0 % 4 is the number of cuts, the next that many bytes the cut offsets (× 8) in the rest, which
// is the received stream; the cuts make the buffers of the dump.

import FuzzSupport
import WireGuardModel
import WireGuardNetlink

@main
enum FuzzNetlink {
    static let maxNestDepth = 4

    static func main() {
        FuzzDriver.main(run)
    }

    static func run(_ input: UnsafeRawBufferPointer) {
        guard let control = input.first else { return }
        let cuts = Int(control % 4)
        guard input.count > 1 + cuts else { return }
        let stream = Array(input[(1 + cuts)...])
        var offsets = input[1..<(1 + cuts)].map { min(Int($0) * 8, stream.count) }.sorted()
        offsets.append(stream.count)
        var buffers: [[UInt8]] = []
        var start = 0
        for end in offsets where end >= start {
            buffers.append(Array(stream[start..<end]))
            start = end
        }
        _ = try? decodeWireGuardDeviceDump(buffers)

        guard let reply = try? NetlinkReply.read(stream[...], sequence: 7, portID: 0) else { return }
        for message in reply.data {
            _ = try? RouteLinkDump.wireGuardName(in: message)
            _ = try? GenericNetlinkFamily.familyID(in: message)
            if let attributes = try? GenericNetlinkFamily.attributes(of: message) { open(attributes, depth: 0) }
        }
    }

    /// Reads every attribute as each kind the decoders use, and opens the nests.
    static func open(_ attributes: [NetlinkAttribute], depth: Int) {
        for attribute in attributes {
            _ = attribute.string
            _ = try? attribute.integer(UInt8.self)
            _ = try? attribute.integer(UInt16.self)
            _ = try? attribute.integer(UInt32.self)
            _ = try? attribute.integer(UInt64.self)
            if depth < maxNestDepth, let inner = try? attribute.nested() { open(inner, depth: depth + 1) }
        }
    }
}
