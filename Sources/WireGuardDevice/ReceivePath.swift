// SPDX-License-Identifier: MIT
// The receive thread, UDP → TUN (wireguard-go receive.go's RoutineReceiveIncoming + RoutineDecryption +
// RoutineSequentialReceiver, the kernel's receive.c). One batch:
// 1. recvmmsg; with UDP_GRO one buffer may hold many datagrams of one flow, cut at the `segment_size`
//    the kernel reports;
// 2. under the engine lock: initiations and responses are admitted (`Engine.admitHandshake`: MAC1, and
//    under load MAC2, the rate limiter, cookie replies, sent from here in one sendmmsg) and queued for the
//    handshake worker, valid MAC2 first; cookie replies are handled at once; each transport message's
//    session is looked up (`Engine.lookupTransport`);
// 3. without the lock: each transport message is opened in place;
// 4. under the lock: replay window, rotation, roaming, timers, allowed IPs (`Engine.acceptTransport`);
// 5. without the lock: the inner packets go through `GROTable`, which coalesces runs of one TCP (or UDP)
//    flow into super-packets, and each item is one TUN write, in arrival order.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardIPC
import WireGuardModel
import WireGuardOffload
import WireGuardProtocol

final class ReceivePath {
    /// Datagrams (or GRO buffers) per recvmmsg.
    static let batchSize = 32
    /// Messages one batch may hold once GRO buffers are cut: 32 buffers of up to 64 datagrams.
    static let maxMessages = 2048
    static let tagV4: UInt64 = 1, tagV6: UInt64 = 2, tagStop: UInt64 = 3
    /// Cookie replies one batch sends at most (the per-source limit keeps them far fewer).
    static let maxReplies = 64

    private unowned(unsafe) let device: Device  // the device joins this thread before it goes
    private let batch = PacketBatch(count: ReceivePath.batchSize)
    /// Coalesces inner packets when the TUN takes virtio-net headers; nil writes them one by one.
    private let gro: GROTable?
    // One entry per message of the batch.
    private let messages: UnsafeMutablePointer<UnsafeMutableRawPointer>
    private let lengths: UnsafeMutablePointer<Int>
    private let origins: UnsafeMutablePointer<Int>
    private let sessions: UnsafeMutablePointer<TransportSession?>
    private let opened: UnsafeMutablePointer<(plaintextLength: Int, counter: UInt64)>
    private let inner: UnsafeMutablePointer<Range<Int>?>
    private let sources: UnsafeMutablePointer<Endpoint?>
    /// Per datagram: the local address it arrived on (the sticky source the engine keeps if it authenticates).
    private let locals: UnsafeMutablePointer<EndpointSource?>
    private var effects: [Effect] = []
    private let authenticationFailures = AuthenticationFailures(capacity: ReceivePath.batchSize)
    /// Cookie replies of the current batch: 64-byte slots and their datagrams.
    private let replySlots: UnsafeMutableRawPointer
    private let replies: UnsafeMutablePointer<wg_datagram>
    /// Handshake messages read since the socket was last found empty: with the worker's queue, the backlog
    /// that decides "under load" (a flood faster than the drain keeps the batches full).
    private var unreadHandshakes = 0
    let epollFD: Int32

    init(device: Device, gro: GROTable?) throws(SystemError) {
        self.device = device
        self.gro = gro
        let n = Self.maxMessages
        messages = .allocate(capacity: n)
        lengths = .allocate(capacity: n)
        origins = .allocate(capacity: n)
        sessions = .allocate(capacity: n)
        sessions.initialize(repeating: nil, count: n)
        opened = .allocate(capacity: n)
        inner = .allocate(capacity: n)
        inner.initialize(repeating: nil, count: n)
        sources = .allocate(capacity: Self.batchSize)
        sources.initialize(repeating: nil, count: Self.batchSize)
        locals = .allocate(capacity: Self.batchSize)
        locals.initialize(repeating: nil, count: Self.batchSize)
        effects.reserveCapacity(Self.maxMessages)
        replySlots = .allocate(byteCount: Self.maxReplies * MessageType.cookieReplySize, alignment: 16)
        replies = .allocate(capacity: Self.maxReplies)
        replies.initialize(repeating: wg_datagram(), count: Self.maxReplies)
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw .last("epoll_create1") }
        try device.watch(device.stopFD, tag: Self.tagStop, in: epollFD)
    }

    deinit {
        messages.deallocate()
        lengths.deallocate()
        origins.deallocate()
        sessions.deinitialize(count: Self.maxMessages)
        sessions.deallocate()
        opened.deallocate()
        inner.deallocate()
        sources.deinitialize(count: Self.batchSize)
        sources.deallocate()
        locals.deinitialize(count: Self.batchSize)
        locals.deallocate()
        replySlots.deallocate()
        replies.deallocate()
        close(epollFD)
    }

    /// Adds the current sockets to this thread's epoll set (after every bind; closed ones leave it).
    func watchSockets(_ bind: UDPBind) throws(SystemError) {
        guard bind.v4 >= 0 else { return }  // closed: the interface is down
        try device.watch(bind.v4, tag: Self.tagV4, in: epollFD)
        if bind.v6 >= 0 { try device.watch(bind.v6, tag: Self.tagV6, in: epollFD) }
    }

    /// The thread's loop.
    func run() {
        var events = (epoll_event(), epoll_event(), epoll_event())
        while true {
            let n = withUnsafeMutableBytes(of: &events) {
                epoll_wait(epollFD, $0.baseAddress!.assumingMemoryBound(to: epoll_event.self), 3, -1)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 || device.isStopping { return }
            for i in 0..<Int(n) {
                let tag = withUnsafeBytes(of: &events) {
                    $0.baseAddress!.assumingMemoryBound(to: epoll_event.self)[i].data.u64
                }
                if tag == Self.tagStop { return }
                drain(v6: tag == Self.tagV6)
            }
        }
    }

    private func drain(v6: Bool) {
        for _ in 0..<Device.batchesPerWakeup {
            batch.resetForReceive()
            device.socketLock.lockShared()
            let fd = v6 ? device.bind.v6 : device.bind.v4
            let n = fd >= 0 ? Int(wg_recv_batch(fd, batch.datagrams, UInt32(batch.count))) : 0
            device.socketLock.unlock()
            guard n > 0 else {
                unreadHandshakes = 0
                return
            }
            process(count: n)
            if n < batch.count {
                unreadHandshakes = 0
                return
            }
        }
    }

    private func process(count: Int) {
        effects.removeAll(keepingCapacity: true)
        // Cut GRO buffers into messages.
        var total = 0
        var handshakes = 0
        for i in 0..<count {
            let d = batch.datagrams[i]
            sources[i] = d.length > 0 ? d.remoteEndpoint : nil
            locals[i] = d.localSource
            guard sources[i] != nil else { continue }
            let length = Int(d.length)
            let step = d.segment_size > 0 ? Int(d.segment_size) : length
            var offset = 0
            while offset < length && total < Self.maxMessages {
                messages[total] = UnsafeMutableRawPointer(d.data + offset)
                lengths[total] = min(step, length - offset)
                origins[total] = i
                if !isTransport(messages[total], lengths[total]) { handshakes += 1 }
                total += 1
                offset += step
            }
        }
        let engine = device.engine, worker = device.handshakeWorker!
        var wake = false, handled = false, queued = false
        var replyCount = 0
        device.lock.lock()
        var now = SystemClock.now()
        // The backlog that decides "under load": the worker's queue and what this drain has read so far.
        unreadHandshakes += handshakes
        if handshakes > 0 { engine.reportHandshakeBacklog(worker.queue.depth + unreadHandshakes, now: now.monotonic) }
        var lastIndex: UInt32?
        var lastSession: TransportSession?
        for m in 0..<total {
            let p = messages[m], n = lengths[m], source = sources[origins[m]]!
            sessions[m] = nil
            let kind = MessageType.classify(UnsafeRawBufferPointer(start: p, count: n))
            switch kind {
            case .transport?:
                // A GRO run is one session: look its receiver index up once.
                let index = p.loadUnaligned(fromByteOffset: TransportHeader.receiverOffset, as: UInt32.self)
                if index != lastIndex {
                    lastIndex = index
                    lastSession = engine.lookupTransport(p, count: n, now: now)
                }
                sessions[m] = lastSession  // nil: an unknown session, dropped
                if lastSession == nil { engine.countDrop(.unknownSession) }
            case .initiation?, .response?:
                let message = UnsafeRawBufferPointer(start: p, count: n)
                let slot = replySlots + min(replyCount, Self.maxReplies - 1) * MessageType.cookieReplySize
                switch engine.admitHandshake(message, from: source, now: now.monotonic, reply: slot, effects: &effects) {
                case .drop:
                    break
                case .cookieReply where replyCount < Self.maxReplies:
                    // Back to the source, from the address it reached us on.
                    var d = batch.datagrams[origins[m]]
                    d.data = slot.assumingMemoryBound(to: UInt8.self)
                    d.capacity = UInt32(MessageType.cookieReplySize)
                    d.length = UInt32(MessageType.cookieReplySize)
                    d.segment_size = 0
                    replies[replyCount] = d
                    replyCount += 1
                case .cookieReply:
                    break
                case .process(let priority):
                    if worker.queue.push(message, source: source, origin: batch.datagrams[origins[m]], priority: priority) {
                        queued = true
                    } else {
                        engine.countDrop(.handshakeQueueFull)
                    }
                }
            case .cookieReply?:
                let buffer = UnsafeMutableRawBufferPointer(start: p, count: n)
                _ = engine.handleDatagram(buffer: buffer, count: n, from: source, local: locals[origins[m]], now: now,
                                          effects: &effects)
                handled = true
            case nil:
                engine.countDrop(.malformed)
            }
        }
        if queued { worker.notify() }
        lastSession = nil
        if handled { wake = device.isEarlierThanArmed(engine.nextDeadline) }
        device.lock.unlock()

        var authenticated = 0
        for m in 0..<total {
            guard let session = sessions[m] else { continue }
            if let result = session.keypair.open(message: messages[m], length: lengths[m]) {
                opened[m] = result
                authenticated += 1
            } else {
                authenticationFailures.add(session, engine: engine, lock: device.lock)
                sessions[m] = nil
            }
        }
        authenticationFailures.flush(into: engine, lock: device.lock)

        if authenticated > 0 {
            // Compact the authenticated messages to the front, keeping their order.
            var kept = 0
            for m in 0..<total where sessions[m] != nil {
                if kept != m {
                    messages[kept] = messages[m]
                    lengths[kept] = lengths[m]
                    origins[kept] = origins[m]
                    opened[kept] = opened[m]
                    sessions[kept] = sessions[m]
                    sessions[m] = nil
                }
                kept += 1
            }
            device.lock.lock()
            now = SystemClock.now()
            var start = 0
            while start < kept {
                // A run: one session (keypair) from one datagram buffer, hence one source.
                let session = sessions[start]!
                var end = start + 1
                while end < kept && origins[end] == origins[start] && sessions[end]!.keypair === session.keypair { end += 1 }
                let origin = origins[start]
                engine.acceptTransports(session, count: end - start, messages: messages + start, opened: opened + start,
                                        wireLengths: lengths + start, results: inner + start,
                                        from: sources[origin]!, local: locals[origin], now: now, effects: &effects)
                wake = wake || device.isEarlierThanArmed(session.peerDeadline)
                start = end
            }
            for m in 0..<kept { sessions[m] = nil }
            device.lock.unlock()
            deliver(kept)
        }
        if wake { device.wakeControl() }
        if replyCount > 0 { device.send(replies, count: replyCount) }
        if !effects.isEmpty { device.perform(effects) }
    }

    /// Whether the `count` bytes at `p` are a transport message (the engine's own classification).
    @inline(__always)
    private func isTransport(_ p: UnsafeMutableRawPointer, _ count: Int) -> Bool {
        MessageType.classify(UnsafeRawBufferPointer(start: p, count: count)) == .transport
    }

    /// Writes the accepted inner packets to the TUN, coalesced where possible.
    private func deliver(_ total: Int) {
        let tun = device.tun
        for m in 0..<total {
            guard let range = inner[m] else { continue }
            inner[m] = nil
            let packet = messages[m] + range.lowerBound
            if let gro {
                if !gro.add(packet, length: range.count) {
                    gro.flush { device.writeToTun($0) }
                    _ = gro.add(packet, length: range.count)
                }
            } else {
                do { try tun.writePacket(packet, count: range.count) } catch {
                    device.logger.error("Failed to write packet to TUN device: \(error)")
                }
            }
        }
        gro?.flush { device.writeToTun($0) }
    }
}
