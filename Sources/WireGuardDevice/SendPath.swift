// SPDX-License-Identifier: MIT
// The send thread, TUN → UDP (wireguard-go send.go's RoutineReadFromTUN + RoutineEncryption +
// RoutineSequentialSender, the kernel's send.c). One batch:
// 1. read TUN packets until EAGAIN or the arena is full; with virtio-net headers a read may be a TCP or UDP
//    super-packet, which `Segmenter` splits into MTU-sized packets laid out in the arena with 16 bytes of
//    headroom (the transport header) and tailroom (padding and tag);
// 2. under the engine lock: for each read, route it and reserve counters for all of its segments at once
//    (`Engine.reserveSend`); packets without a session go the engine's staging path; a packet no peer can
//    take gets the engine's ICMP error (`Engine.unreachableReply`), written back into the TUN after the lock;
// 3. without the lock: seal each segment in place with its reserved counter;
// 4. send: consecutive equal-size datagrams to one endpoint leave as one UDP GSO message, all in one sendmmsg.
// Segments of one read keep their order and their counters, so a peer receives them in sequence.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardIPC
import WireGuardModel
import WireGuardOffload
import WireGuardProtocol

final class SendPath {
    /// Bytes of sealed datagrams one batch may hold: room for 16 full super-packets.
    static let arenaCapacity = 1 << 20
    /// Datagrams one batch may hold.
    static let maxSegments = 1024
    /// TUN reads per batch.
    static let maxReads = 64
    /// A TUN read: virtio-net header and up to 64 KiB of packet.
    static let readCapacity = VirtioNetHeader.size + 65535

    private unowned(unsafe) let device: Device  // the device joins this thread before it goes
    private let readBuffer: UnsafeMutableRawPointer
    private let arena: UnsafeMutableRawPointer
    private let segments: UnsafeMutablePointer<Segment>
    private let datagrams: UnsafeMutablePointer<wg_datagram>
    /// One entry per TUN read of the batch: its first segment, segment count, and what the engine granted.
    private var reads: [(first: Int, count: Int, reservation: SendReservation?)] = []
    /// ICMP errors for the batch's undeliverable reads, one `ICMPError.maxLength` slot per read.
    private let replies: UnsafeMutableRawPointer
    private let replyLengths: UnsafeMutablePointer<Int>
    private var effects: [Effect] = []
    /// Bytes of a TUN read still in `readBuffer`, waiting for an arena with room (0: none).
    private var pendingLength = 0
    let epollFD: Int32

    init(device: Device) throws(SystemError) {
        self.device = device
        readBuffer = .allocate(byteCount: Self.readCapacity, alignment: 64)
        arena = .allocate(byteCount: Self.arenaCapacity, alignment: 64)
        segments = .allocate(capacity: Self.maxSegments)
        datagrams = .allocate(capacity: Self.maxSegments)
        datagrams.initialize(repeating: wg_datagram(), count: Self.maxSegments)
        replies = .allocate(byteCount: Self.maxReads * ICMPError.maxLength, alignment: 16)
        replyLengths = .allocate(capacity: Self.maxReads)
        reads.reserveCapacity(Self.maxReads)
        effects.reserveCapacity(64)
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw .last("epoll_create1") }
        try device.watch(device.tun.fd, tag: 1, in: epollFD)
        try device.watch(device.stopFD, tag: 2, in: epollFD)
    }

    deinit {
        readBuffer.deallocate()
        arena.deallocate()
        segments.deallocate()
        datagrams.deallocate()
        replies.deallocate()
        replyLengths.deallocate()
        close(epollFD)
    }

    /// The thread's loop: waits for the TUN (or the stop event) and drains it.
    func run() {
        var event = epoll_event()
        while true {
            let n = epoll_wait(epollFD, &event, 1, -1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 || event.data.u64 == 2 || device.isStopping { return }
            drain()
        }
    }

    private func drain() {
        var rounds = 0
        // A read left waiting for room must go out now: epoll will not report it again.
        while rounds < Device.batchesPerWakeup || pendingLength > 0 {
            rounds += 1
            let (more, failed) = readBatch()
            if failed { return }
            if !reads.isEmpty { process() }
            if !more && pendingLength == 0 { return }
        }
    }

    /// Reads and segments TUN packets into the arena. Returns whether the TUN may have more, and whether it
    /// failed (the device is stopping).
    private func readBatch() -> (more: Bool, failed: Bool) {
        reads.removeAll(keepingCapacity: true)
        let tun = device.tun
        let withHeader = tun.hasVirtioHeader
        var arenaOffset = 0
        var segmentCount = 0
        while reads.count < Self.maxReads, segmentCount < Self.maxSegments {
            var n = pendingLength
            pendingLength = 0
            if n == 0 {
                let got: Int?
                do { got = try tun.read(into: readBuffer, capacity: Self.readCapacity) } catch {
                    device.requestStop(error.errno == EBADFD || error.errno == EIO || error.errno == ENODEV
                                       ? .interfaceDeleted : .tunFailed(error.description))
                    return (false, true)
                }
                guard let got else { return (false, false) }
                n = got
            }
            let header: VirtioNetHeader
            let packet: UnsafeMutableRawPointer
            let length: Int
            if withHeader {
                guard n > VirtioNetHeader.size else { continue }
                header = VirtioNetHeader(from: readBuffer)
                packet = readBuffer + VirtioNetHeader.size
                length = n - VirtioNetHeader.size
            } else {
                header = VirtioNetHeader()
                packet = readBuffer
                length = n
            }
            guard let count = Segmenter.split(
                packet: packet, length: length, header: header, into: arena, arenaCapacity: Self.arenaCapacity,
                arenaOffset: &arenaOffset, headroom: PacketBatch.headroom, tailroom: PacketBatch.tailroom,
                segments: segments + segmentCount, maxSegments: Self.maxSegments - segmentCount) else {
                if !reads.isEmpty {
                    // Perhaps only no room left in this batch: send it, then split this read into an empty arena.
                    pendingLength = n
                    return (true, false)
                }
                device.logger.limited("Dropping malformed packet from TUN (\(length) bytes, GSO type \(header.gsoType))")
                continue
            }
            reads.append((segmentCount, count, nil))
            segmentCount += count
        }
        return (true, false)
    }

    /// Reserves, seals and sends the batch in `reads`.
    private func process() {
        effects.removeAll(keepingCapacity: true)
        let engine = device.engine
        let segments = self.segments, arena = self.arena
        var wake = false, staged = false
        var replyCount = 0
        device.lock.lock()
        let now = SystemClock.now()
        for r in reads.indices {
            let (first, count, _) = reads[r]
            let head = segments[first]
            var granted = 0
            let destination = IPPacket.destination(arena + head.offset, length: head.length)
            if let destination,
               let reservation = engine.reserveSend(to: destination, count: count, now: now, effects: &effects,
                                                    length: { segments[first + $0].length }) {
                reads[r].reservation = reservation
                granted = reservation.count
                wake = wake || device.isEarlierThanArmed(reservation.peerDeadline)
            } else if let destination, engine.isUnroutable(destination) {
                engine.countUnroutable(destination, count: count)
                // No peer, or no endpoint: dropped, answered by an ICMP error within the rate limits. One
                // error for a super-packet, as the kernel sends one per GSO skb.
                if let n = engine.unreachableReply(to: arena + head.offset, length: head.length,
                                                   into: replies + replyCount * ICMPError.maxLength,
                                                   now: now.monotonic) {
                    replyLengths[replyCount] = n
                    replyCount += 1
                }
                continue
            }
            // What got no counters goes through the engine one by one: staged until a session exists.
            for i in granted..<count {
                let s = segments[first + i]
                let slot = UnsafeMutableRawBufferPointer(start: arena + s.offset - PacketBatch.headroom,
                                                         count: PacketBatch.headroom + s.length + PacketBatch.tailroom)
                // It stages (and never seals here): the reservation failed for the same reasons its own fast
                // path would, so no Transmission comes back.
                _ = engine.handleTunPacket(buffer: slot, offset: PacketBatch.headroom, count: s.length, now: now,
                                           effects: &effects)
                staged = true
            }
        }
        // Staging may have started a handshake and armed its retransmission (rare: scan every peer).
        if staged && !wake { wake = device.isEarlierThanArmed(engine.nextDeadline) }
        device.lock.unlock()
        if wake { device.wakeControl() }
        for i in 0..<replyCount {
            do { try device.tun.writePacket(replies + i * ICMPError.maxLength, count: replyLengths[i]) } catch {
                device.logger.error("Failed to write packet to TUN device: \(error)")
            }
        }

        var ready = 0
        for r in reads {
            guard let reservation = r.reservation else { continue }
            for i in 0..<reservation.count {
                let s = segments[r.first + i]
                let start = arena + s.offset - PacketBatch.headroom
                guard let sealed = reservation.keypair.seal(packet: start, length: s.length,
                                                            counter: reservation.firstCounter + UInt64(i),
                                                            mtu: reservation.mtu) else { continue }
                var d = wg_datagram()
                d.data = start.assumingMemoryBound(to: UInt8.self)
                d.length = UInt32(sealed)
                d.setRemote(reservation.endpoint)
                d.setSource(reservation.source)
                datagrams[ready] = d
                ready += 1
            }
        }
        if ready > 0 { device.send(datagrams, count: ready) }
        // Release the keypairs before the thread sleeps.
        for r in reads.indices { reads[r].reservation = nil }
        if !effects.isEmpty { device.perform(effects) }
    }
}
