// SPDX-License-Identifier: MIT
// What both data threads and the control thread share: sending datagrams (UDP GSO runs, one sendmmsg per
// address family, the sticky-source retry), writing to the TUN, and performing the engine's effects. Sticky
// sources live in the engine (`PeerState.endpointSource`); this side only reads the local address a
// datagram arrived on and sends from the one the engine names. The per-direction loops are SendPath.swift
// and ReceivePath.swift.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardIPC
import WireGuardModel
import WireGuardProtocol

extension Device {
    /// Batches read per readiness event before the thread looks at its other descriptors.
    static let batchesPerWakeup = 8

    // MARK: Sending

    /// Sends `list[0..<count]` from any thread: runs of one family go out in one sendmmsg each, with
    /// equal-size runs to one endpoint as UDP GSO messages when the kernel supports it.
    func send(_ list: UnsafeMutablePointer<wg_datagram>, count: Int) {
        socketLock.lockShared()
        defer { socketLock.unlock() }
        var start = 0
        while start < count {
            let family = list[start].remote_family
            var end = start + 1
            while end < count && list[end].remote_family == family { end += 1 }
            sendFamily(list + start, count: end - start)
            start = end
        }
    }

    /// Sends `count` datagrams of one family (socket lock held). A datagram whose sticky source address is
    /// no longer ours (EINVAL) is retried once from no particular address, and the engine forgets it;
    /// EIO on a GSO send means the route's device cannot checksum segments: GSO is turned off for good;
    /// EMSGSIZE means the datagrams exceed the route's MTU: this batch goes without GSO, to be fragmented.
    private func sendFamily(_ list: UnsafeMutablePointer<wg_datagram>, count: Int) {
        let fd = bind.socket(forFamily: list[0].remote_family)
        guard fd >= 0 else { return }
        var done = 0
        var gso = udpGSO
        while done < count {
            let n = wg_send_batch_gso(fd, list + done, UInt32(count - done), gso ? 1 : 0)
            if n > 0 {
                done += Int(n)
                continue
            }
            let err = -n
            if gso && err == EIO {
                udpGSO = false
                gso = false
                logger.verbose("UDP GSO turned off: \(SystemError("sendmmsg with UDP_SEGMENT", errno: err))")
                continue
            }
            if gso && err == EMSGSIZE {
                // Datagrams larger than the path MTU: the kernel fragments them one by one, never as GSO.
                gso = false
                continue
            }
            if (err == EINVAL || err == EADDRNOTAVAIL || err == ENETUNREACH) && list[done].local_family != 0 {
                if let remote = list[done].remoteEndpoint, let source = list[done].localSource {
                    lock.lock()
                    engine.endpointSourceFailed(remote: remote, source: source)
                    lock.unlock()
                }
                // The whole run shares the vanished source.
                for i in done..<count where list[i].local_family == list[done].local_family { list[i].local_family = 0 }
                continue
            }
            if err != EAGAIN && err != ENOBUFS {
                logger.limited("Failed to send datagram: \(SystemError("sendmmsg", errno: err))")
            }
            done += 1  // drop this one, carry on with the rest
        }
    }

    /// Writes one TUN buffer as it is (virtio-net header included when the TUN has them).
    @inline(__always)
    func writeToTun(_ buffer: UnsafeRawBufferPointer) {
        do { try tun.write(buffer.baseAddress!, count: buffer.count) } catch {
            logger.error("Failed to write packet to TUN device: \(error)")
        }
    }

    /// Performs handshake traffic, staged packets and log events the engine asked for. Any thread, without
    /// `lock` held.
    func perform(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .sendDatagram(var bytes, let endpoint, let source):
                bytes.withUnsafeMutableBytes { raw in
                    var d = wg_datagram()
                    d.data = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    d.length = UInt32(raw.count)
                    d.setRemote(endpoint)
                    d.setSource(source)
                    send(&d, count: 1)
                }
            case .writeToTun(let bytes):
                bytes.withUnsafeBytes {
                    do { try tun.writePacket($0.baseAddress!, count: $0.count) } catch {
                        logger.error("Failed to write packet to TUN device: \(error)")
                    }
                }
            case .event(let event):
                log(event)
            }
        }
    }
}

extension wg_datagram {
    /// The local address the datagram arrived on (pktinfo); nil when the kernel did not say.
    @inline(__always)
    var localSource: EndpointSource? {
        withUnsafeBytes(of: local_address) { raw -> EndpointSource? in
            switch local_family {
            case 4: return EndpointSource(address: IPAddress(v4: raw.baseAddress!), interfaceIndex: local_ifindex)
            case 6: return EndpointSource(address: IPAddress(v6: raw.baseAddress!), interfaceIndex: local_ifindex)
            default: return nil
            }
        }
    }

    /// Sets the local address to send from (nil, or one of the other family: let the kernel choose).
    @inline(__always)
    mutating func setSource(_ local: EndpointSource?) {
        guard let local else {
            local_family = 0
            return
        }
        local_ifindex = local.interfaceIndex
        switch local.address {
        case .v4(let v) where remote_family == 4:
            local_family = 4
            withUnsafeMutableBytes(of: &local_address) { $0.storeBytes(of: v.bigEndian, as: UInt32.self) }
        case .v6(let hi, let lo) where remote_family == 6:
            local_family = 6
            withUnsafeMutableBytes(of: &local_address) {
                $0.storeBytes(of: hi.bigEndian, toByteOffset: 0, as: UInt64.self)
                $0.storeBytes(of: lo.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
        default:
            local_family = 0
        }
    }
}
