// SPDX-License-Identifier: MIT

#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WireGuardNetlink

@Suite struct NetlinkReplyTests {
    @Test func ackEndsARequest() throws {
        let reply = try NetlinkReply.read(Bytes.error(0, seq: 5)[...], sequence: 5, portID: 0)
        #expect(reply.finished && reply.data.isEmpty)
    }

    @Test func errorAckCarriesTheKernelsErrno() {
        #expect(throws: NetlinkError(errno: ENODEV, "kernel error")) {
            try NetlinkReply.read(Bytes.error(-ENODEV, seq: 5)[...], sequence: 5, portID: 0)
        }
        // Either sign, as mnlg_cb_error accepts.
        #expect(throws: NetlinkError(errno: EPERM, "kernel error")) {
            try NetlinkReply.read(Bytes.error(EPERM, seq: 5)[...], sequence: 5, portID: 0)
        }
    }

    @Test func dumpDataThenDone() throws {
        let data = Bytes.genl(family: 0x1c, cmd: 0, flags: 2, seq: 7, Bytes.attr(2, Array("wg0".utf8) + [0]))
        let partial = try NetlinkReply.read((data + data)[...], sequence: 7, portID: 0)
        #expect(!partial.finished && partial.data.count == 2)
        let last = try NetlinkReply.read((data + Bytes.done(0, seq: 7))[...], sequence: 7, portID: 0)
        #expect(last.finished && last.data.count == 1)
    }

    @Test func failedDumpReportsTheErrnoInDone() {
        #expect(throws: NetlinkError(errno: ENOBUFS, "dump failed")) {
            try NetlinkReply.read(Bytes.done(-ENOBUFS, seq: 7)[...], sequence: 7, portID: 0)
        }
    }

    @Test func wrongSequencePortInterruptedAndShortErrors() {
        #expect(throws: NetlinkError.self) { try NetlinkReply.read(Bytes.error(0, seq: 6)[...], sequence: 5, portID: 0) }
        do {
            _ = try NetlinkReply.read(Bytes.error(0, seq: 6)[...], sequence: 5, portID: 0)
        } catch { #expect(error.errno == EPROTO) }
        do {
            _ = try NetlinkReply.read(Bytes.message(type: 2, flags: 0, seq: 5, pid: 9, Bytes.u32(0) + [UInt8](repeating: 0, count: 16))[...],
                                      sequence: 5, portID: 8)
            Issue.record("another port's reply accepted")
        } catch { #expect(error.errno == ESRCH) }
        do {
            _ = try NetlinkReply.read(Bytes.message(type: 0x1c, flags: 0x12, seq: 5, [0, 1, 0, 0])[...], sequence: 5, portID: 0)
            Issue.record("interrupted dump accepted")
        } catch { #expect(error.errno == EINTR) }
        do {
            _ = try NetlinkReply.read(Bytes.message(type: 2, flags: 0, seq: 5, Bytes.u32(0))[...], sequence: 5, portID: 0)
            Issue.record("short NLMSG_ERROR accepted")
        } catch { #expect(error.errno == EBADMSG) }
        do {
            _ = try NetlinkReply.read([1, 2, 3][...], sequence: 5, portID: 0)
            Issue.record("garbage accepted")
        } catch { #expect(error.errno == EINVAL) }
    }

    @Test func familyLookup() throws {
        let request = GenericNetlinkFamily.request(name: "wireguard", sequence: 3)
        #expect(request == Bytes.genl(family: 0x10, cmd: 3, flags: 5, seq: 3, Bytes.attr(2, Array("wireguard".utf8) + [0])))
        let reply = Bytes.genl(family: 0x10, cmd: 1, flags: 0, seq: 3,
                               Bytes.attr(2, Array("wireguard".utf8) + [0]) + Bytes.attr(1, Bytes.u16(0x22)) + Bytes.attr(3, Bytes.u32(1)))
        let messages = try NetlinkReply.read((reply + Bytes.error(0, seq: 3))[...], sequence: 3, portID: 0)
        #expect(messages.finished)
        #expect(try GenericNetlinkFamily.familyID(in: messages.data[0]) == 0x22)
        #expect(GenericNetlinkFamily.lookupErrno(ENOENT) == EPROTONOSUPPORT)
        #expect(GenericNetlinkFamily.lookupErrno(EPERM) == EPERM)
        let noID = try NetlinkMessage.split(Bytes.genl(family: 0x10, cmd: 1, flags: 0, seq: 3, Bytes.attr(2, [0]))[...])
        #expect(throws: NetlinkDecodingError.self) { try GenericNetlinkFamily.familyID(in: noID[0]) }
    }

    @Test func routeLinkDump() throws {
        #expect(RouteLinkDump.request(sequence: 4) == Bytes.message(type: 18, flags: 0x305, seq: 4, [UInt8](repeating: 0, count: 16)))
        let ifinfo = [UInt8](repeating: 0, count: 16)
        let wg = Bytes.message(type: 16, flags: 2, seq: 4, ifinfo + Bytes.attr(3, Array("wg0".utf8) + [0])
                               + Bytes.nest(18, Bytes.attr(1, Array("wireguard".utf8) + [0]) + Bytes.nest(2, [])))
        let veth = Bytes.message(type: 16, flags: 2, seq: 4, ifinfo + Bytes.attr(3, Array("eth0".utf8) + [0])
                                 + Bytes.nest(18, Bytes.attr(1, Array("veth".utf8) + [0])))
        let lo = Bytes.message(type: 16, flags: 2, seq: 4, ifinfo + Bytes.attr(3, Array("lo".utf8) + [0]))
        let reply = try NetlinkReply.read((lo + wg + veth + Bytes.done(0, seq: 4))[...], sequence: 4, portID: 0)
        #expect(try reply.data.compactMap { try RouteLinkDump.wireGuardName(in: $0) } == ["wg0"])
        let short = try NetlinkMessage.split(Bytes.message(type: 16, flags: 2, seq: 4, [0, 0, 0, 0])[...])
        #expect(throws: NetlinkDecodingError.self) { try RouteLinkDump.wireGuardName(in: short[0]) }
    }
}
