// SPDX-License-Identifier: MIT
// The UDP batch calls (wg_send_batch_gso, wg_recv_batch) over loopback sockets: runs of equal datagrams leave
// as GSO messages and arrive — coalesced with UDP_GRO, one by one without — as exactly the datagrams sent,
// in order. Loopback only; no privileges needed.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import Testing
import WireGuardModel
@testable import WireGuardDevice

@Suite struct UDPBatchTests {
    /// Datagram i of a test run: its length, filled with a byte pattern that names it.
    func payload(_ i: Int, length: Int) -> [UInt8] { (0..<length).map { UInt8(truncatingIfNeeded: i &* 31 &+ $0) } }

    /// Sends `lengths` (one datagram each, to `port` on 127.0.0.1) in one batch; returns how many were sent.
    func send(_ lengths: [Int], from bind: UDPBind, to port: UInt16, gso: Bool) -> Int32 {
        var buffers = lengths.enumerated().map { payload($0.offset, length: $0.element) }
        var list = [wg_datagram](repeating: wg_datagram(), count: lengths.count)
        return buffers.withUnsafeMutableBufferPointer { bufs in
            for i in bufs.indices {
                bufs[i].withUnsafeMutableBufferPointer { b in
                    list[i].data = b.baseAddress!
                    list[i].length = UInt32(b.count)
                }
                list[i].setRemote(Endpoint(address: .v4(0x7F00_0001), port: port))
            }
            return wg_send_batch_gso(bind.v4, &list, UInt32(list.count), gso ? 1 : 0)
        }
    }

    /// Receives until `count` datagrams arrived (or 2 s passed), cutting GRO buffers at their segment size.
    func receive(_ count: Int, on bind: UDPBind) -> (datagrams: [[UInt8]], coalesced: Int) {
        let batch = PacketBatch(count: 8)
        var out: [[UInt8]] = []
        var coalesced = 0
        var waited = 0
        while out.count < count && waited < 200 {
            batch.resetForReceive()
            let n = wg_recv_batch(bind.v4, batch.datagrams, UInt32(batch.count))
            if n <= 0 {
                usleep(10_000)
                waited += 1
                continue
            }
            for i in 0..<Int(n) {
                let d = batch.datagrams[i]
                let step = d.segment_size > 0 ? Int(d.segment_size) : Int(d.length)
                if d.segment_size > 0 { coalesced += 1 }
                var offset = 0
                while offset < Int(d.length) {
                    let len = min(step, Int(d.length) - offset)
                    out.append(Array(UnsafeBufferPointer(start: d.data + offset, count: len)))
                    offset += step
                }
            }
        }
        return (out, coalesced)
    }

    func pair(gro: Bool) throws -> (UDPBind, UDPBind) {
        let sender = UDPBind(), receiver = UDPBind()
        sender.wantsGRO = false
        receiver.wantsGRO = gro
        try sender.bind(port: 0)
        try receiver.bind(port: 0)
        return (sender, receiver)
    }

    @Test(arguments: [true, false])
    func gsoRunsArriveAsTheDatagramsSent(gro: Bool) throws {
        let (sender, receiver) = try pair(gro: gro)
        #expect(sender.supportsGSO, "UDP_SEGMENT on this kernel")
        // Two runs (ten of 1000 then a short one closing the run; three of 600), then a lone larger one.
        let lengths = Array(repeating: 1000, count: 10) + [300] + Array(repeating: 600, count: 3) + [1200]
        #expect(send(lengths, from: sender, to: receiver.port, gso: true) == Int32(lengths.count))
        let (got, coalesced) = receive(lengths.count, on: receiver)
        #expect(got.count == lengths.count)
        for (i, d) in got.enumerated() where i < lengths.count {
            #expect(d == payload(i, length: lengths[i]), "datagram \(i) intact and in order")
        }
        if gro {
            #expect(receiver.hasGRO)
            #expect(coalesced >= 1, "GSO runs arrive coalesced on a UDP_GRO socket")
        } else {
            #expect(coalesced == 0)
        }
    }

    @Test func withoutGSOEachDatagramIsItsOwnMessage() throws {
        let (sender, receiver) = try pair(gro: false)
        let lengths = [100, 100, 100, 50]
        #expect(send(lengths, from: sender, to: receiver.port, gso: false) == 4)
        let (got, _) = receive(4, on: receiver)
        #expect(got == lengths.enumerated().map { payload($0.offset, length: $0.element) })
    }
}
