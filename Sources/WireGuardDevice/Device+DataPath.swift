// SPDX-License-Identifier: MIT
// The data path in both directions, over preallocated batches:
// - TUN → UDP: read packets into slots (16 bytes of headroom), let the engine seal each in place, then
//   send the sealed datagrams with sendmmsg, one call per address family.
// - UDP → TUN: recvmmsg into slots, let the engine open each in place, write accepted inner packets to
//   the TUN. Handshake traffic and events come back as effects and are performed after each batch.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardIPC
import WireGuardModel
import WireGuardProtocol

extension Device {
    /// Batches read per readiness event before other descriptors get a turn.
    static let batchesPerWakeup = 8
    /// Bound on the sticky-source cache; spoofed sources cannot grow it without limit.
    static let stickySourceLimit = 4096

    func readTun() {
        let headroom = PacketBatch.headroom
        let capacity = tunBatch.slotSize - headroom - PacketBatch.tailroom
        for _ in 0..<Self.batchesPerWakeup {
            var read = 0
            var ready = 0
            effects.removeAll(keepingCapacity: true)
            let now = SystemClock.now()
            while read < Device.batchSize {
                let slot = tunBatch.slot(read)
                let n: Int?
                do { n = try tun.read(into: slot.baseAddress! + headroom, capacity: capacity) } catch {
                    stopReason = error.errno == EBADFD || error.errno == EIO || error.errno == ENODEV
                        ? .interfaceDeleted : .tunFailed(error.description)
                    return
                }
                guard let n else { break }
                read += 1
                guard let sent = engine.handleTunPacket(buffer: slot, offset: headroom, count: n, now: now, effects: &effects) else { continue }
                var d = wg_datagram()
                d.data = (slot.baseAddress! + sent.range.lowerBound).assumingMemoryBound(to: UInt8.self)
                d.length = UInt32(sent.range.count)
                d.setRemote(sent.endpoint)
                applySource(for: sent.endpoint, to: &d)
                sendList[ready] = d
                ready += 1
            }
            if ready > 0 { sendBatch(count: ready) }
            perform(effects)
            if read < Device.batchSize { return }
        }
    }

    func receiveDatagrams(from fd: Int32) {
        var handshakes = 0
        for _ in 0..<Self.batchesPerWakeup {
            udpBatch.resetForReceive()
            let n = wg_recv_batch(fd, udpBatch.datagrams, UInt32(udpBatch.count))
            guard n > 0 else { return }
            effects.removeAll(keepingCapacity: true)
            let now = SystemClock.now()
            // What is still queued behind a full batch approximates the handshake backlog the engine
            // needs to decide whether it is under load.
            for i in 0..<Int(n) where udpBatch.datagrams[i].length > 0 && udpBatch.datagrams[i].data[0] != 4 {
                handshakes += 1
            }
            if handshakes > 0 { engine.reportHandshakeBacklog(handshakes, now: now.monotonic) }
            for i in 0..<Int(n) {
                let d = udpBatch.datagrams[i]
                guard d.length > 0, let source = d.remoteEndpoint else { continue }
                let slot = udpBatch.slot(i)
                if let inner = engine.handleDatagram(buffer: slot, count: Int(d.length), from: source, now: now, effects: &effects) {
                    writeToTun(slot.baseAddress! + inner.lowerBound, count: inner.count)
                }
                learnSource(of: d, from: source)
            }
            perform(effects)
            if Int(n) < udpBatch.count { return }
        }
    }

    // MARK: Sticky source

    private func learnSource(of d: wg_datagram, from remote: Endpoint) {
        guard d.local_family != 0 else { return }
        let local = withUnsafeBytes(of: d.local_address) { raw in
            LocalSource(family: d.local_family, ifindex: d.local_ifindex,
                        address: (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                                  raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        if stickySources[remote] != local {
            if stickySources.count >= Self.stickySourceLimit { stickySources.removeAll() }
            stickySources[remote] = local
        }
    }

    @inline(__always)
    private func applySource(for remote: Endpoint, to d: inout wg_datagram) {
        guard let local = stickySources[remote], local.family == d.remote_family else {
            d.local_family = 0
            return
        }
        d.local_family = local.family
        d.local_ifindex = local.ifindex
        withUnsafeMutableBytes(of: &d.local_address) {
            $0.storeBytes(of: local.address.0, toByteOffset: 0, as: UInt64.self)
            $0.storeBytes(of: local.address.1, toByteOffset: 8, as: UInt64.self)
        }
    }

    // MARK: Sending

    /// Sends `sendList[0..<count]`, grouping runs of one family into one sendmmsg each.
    private func sendBatch(count: Int) {
        var start = 0
        while start < count {
            let family = sendList[start].remote_family
            var end = start + 1
            while end < count && sendList[end].remote_family == family { end += 1 }
            send(sendList + start, count: end - start)
            start = end
        }
    }

    /// Sends `count` datagrams of one family. A datagram whose cached source address is no longer ours
    /// (EINVAL) is retried once from no particular address, and the cache entry forgotten.
    private func send(_ list: UnsafeMutablePointer<wg_datagram>, count: Int) {
        let fd = bind.socket(forFamily: list[0].remote_family)
        guard fd >= 0 else { return }
        var done = 0
        while done < count {
            let n = wg_send_batch(fd, list + done, UInt32(count - done))
            if n > 0 {
                done += Int(n)
                continue
            }
            let err = -n
            if (err == EINVAL || err == EADDRNOTAVAIL || err == ENETUNREACH) && list[done].local_family != 0 {
                if let remote = list[done].remoteEndpoint { stickySources[remote] = nil }
                list[done].local_family = 0
                continue
            }
            if err != EAGAIN && err != ENOBUFS {
                logger.limited("Failed to send datagram: \(SystemError("sendmmsg", errno: err))")
            }
            done += 1  // drop this one, carry on with the rest
        }
    }

    @inline(__always)
    private func writeToTun(_ packet: UnsafeRawPointer, count: Int) {
        do { try tun.write(packet, count: count) } catch {
            logger.error("Failed to write packet to TUN device: \(error)")
        }
    }

    /// Performs handshake traffic, staged packets and log events the engine asked for.
    func perform(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .sendDatagram(var bytes, let endpoint):
                bytes.withUnsafeMutableBytes { raw in
                    var d = wg_datagram()
                    d.data = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    d.length = UInt32(raw.count)
                    d.setRemote(endpoint)
                    applySource(for: endpoint, to: &d)
                    sendList[0] = d
                    send(sendList, count: 1)
                }
            case .writeToTun(let bytes):
                bytes.withUnsafeBytes { writeToTun($0.baseAddress!, count: $0.count) }
            case .event(let event):
                log(event)
            }
        }
    }
}
