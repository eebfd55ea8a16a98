// SPDX-License-Identifier: MIT

import Testing
@testable import WireGuardNetlink

@Suite struct NetlinkMessageTests {
    @Test func builderLaysOutHeaderAttributesAndPadding() {
        var b = NetlinkMessageBuilder(type: 0x1c, flags: 0x305, sequence: 0x01020304)
        b.appendFamilyHeader([1, 1, 0, 0])
        b.put(2, NetlinkPayload.string("wg0"))
        b.put(6, NetlinkPayload.integer(UInt16(51820)))
        b.put(9, [0xAA])
        let expected = Bytes.message(type: 0x1c, flags: 0x305, seq: 0x01020304,
                                     [1, 1, 0, 0] + Bytes.attr(2, Array("wg0".utf8) + [0])
                                        + Bytes.attr(6, Bytes.u16(51820)) + Bytes.attr(9, [0xAA]))
        #expect(b.finish() == expected)
        // nlmsg_len counts the last attribute's padding too (the kernel's NLMSG_ALIGN'd length).
        #expect(b.finish().count % 4 == 0)
    }

    @Test func nestsCarryTheNestedFlagAndTheirLength() {
        var b = NetlinkMessageBuilder(type: 0x1c, flags: 1, sequence: 1)
        let outer = b.startNest(8)
        let inner = b.startNest(0)
        b.put(1, Bytes.key(7))
        b.endNest(inner)
        b.endNest(outer)
        let expected = Bytes.message(type: 0x1c, flags: 1, seq: 1, Bytes.nest(8, Bytes.nest(0, Bytes.attr(1, Bytes.key(7)))))
        #expect(b.finish() == expected)
    }

    @Test func checkedPutsStopAtTheLimitAndCancelDropsANest() {
        var b = NetlinkMessageBuilder(type: 0x1c, flags: 1, sequence: 1)
        let fits = b.putChecked(limit: 52, 1, Bytes.key(1))
        let overflows = b.putChecked(limit: 52 + 35, 1, Bytes.key(2))
        #expect(fits)
        #expect(!overflows)
        #expect(b.startNestChecked(limit: b.length + 3, 8) == nil)
        let nest = b.startNest(8)
        b.put(1, Bytes.key(3))
        b.cancelNest(nest)
        #expect(b.length == 16 + 36)
    }

    @Test func splitsSeveralMessagesAndParsesAttributes() throws {
        let first = Bytes.message(type: 0x20, flags: 2, seq: 9, pid: 77, Bytes.attr(3, Array("wg0".utf8) + [0])
                                  + Bytes.nest(18, Bytes.attr(1, Array("wireguard".utf8) + [0])))
        let buffer = first + Bytes.done(0, seq: 9)
        let messages = try NetlinkMessage.split(buffer[...])
        #expect(messages.count == 2)
        #expect(messages[0].type == 0x20 && messages[0].flags == 2 && messages[0].sequence == 9 && messages[0].portID == 77)
        let attrs = try NetlinkAttribute.parse(messages[0].payload)
        #expect(attrs.map(\.type) == [3, 18])
        #expect(attrs[0].string == "wg0" && !attrs[0].isNested)
        #expect(attrs[1].isNested)
        #expect(try attrs[1].nested().first?.string == "wireguard")
        #expect(messages[1].type == Netlink.NLMSG_DONE)
    }

    @Test func malformedLengthsAreRejected() {
        let good = Bytes.message(type: 0x20, flags: 0, seq: 1, Bytes.attr(1, Bytes.u32(5)))
        #expect(throws: NetlinkDecodingError.self) { try NetlinkMessage.split(good.dropLast(4)[...]) }
        #expect(throws: NetlinkDecodingError.self) { try NetlinkMessage.split((good + [1, 2, 3])[...]) }
        var short = good
        short[0] = 8  // nlmsg_len below the header's own size
        #expect(throws: NetlinkDecodingError.self) { try NetlinkMessage.split(short[...]) }
        #expect(throws: NetlinkDecodingError.self) { try NetlinkAttribute.parse([9, 0, 1, 0, 1, 2][...]) }
        #expect(throws: NetlinkDecodingError.self) { try NetlinkAttribute.parse([2, 0, 1, 0][...]) }
        #expect(throws: NetlinkDecodingError.self) { try NetlinkAttribute.parse([8, 0, 1, 0, 1, 2, 3, 4, 9][...]) }
        let attr = try? NetlinkAttribute.parse(Bytes.attr(1, Bytes.u16(3))[...]).first
        #expect(throws: NetlinkDecodingError.self) { try attr?.integer(UInt32.self) }
    }
}
