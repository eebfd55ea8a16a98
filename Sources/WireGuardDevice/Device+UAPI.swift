// SPDX-License-Identifier: MIT
// Serving UAPI on a thread of its own (wireguard-go uapi.go `IpcHandle`), so that parsing a large `set`,
// building a large `get` reply or a client that reads its reply slowly never holds up the timers, which run
// on the control thread, nor the data threads. A request is acted on only when it has arrived whole; a `set`
// is parsed completely and the listen port bound before anything changes, so a request that fails anywhere
// leaves the device as it was. The engine lock is taken per slice of the request (`peerSliceBudget`), never
// for all of a large one.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardIPC
import WireGuardModel
import WireGuardProtocol

extension Device {
    /// Peer blocks plus allowed-IP changes applied per engine-lock hold (a few milliseconds' work).
    static let peerSliceBudget = 512
    /// Peers reported per engine-lock hold while building a `get` reply.
    static let statusSliceSize = 64

    /// The UAPI thread: accepts and serves clients until the device stops, then closes them.
    func serveUAPI() {
        var events = [epoll_event](repeating: epoll_event(), count: 16)
        while true {
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(uapiEpollFD, $0.baseAddress!, Int32($0.count), -1) }
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in 0..<Int(n) {
                switch events[i].data.u64 {
                case Self.tagStop:
                    for fd in Array(clients.keys) { closeClient(fd) }
                    return
                case Self.tagListener: acceptClients()
                case let tag: serveClient(Int32(truncatingIfNeeded: tag - Self.tagClientBase))
                }
            }
        }
        for fd in Array(clients.keys) { closeClient(fd) }
    }

    func acceptClients() {
        while true {
            let fd = wg_accept(uapiListener)
            if fd < 0 { return }
            do {
                try watch(fd, tag: Self.tagClientBase + UInt64(UInt32(bitPattern: fd)), in: uapiEpollFD)
                clients[fd] = UAPIRequestReader()
            } catch {
                close(fd)
            }
        }
    }

    func serveClient(_ fd: Int32) {
        // Taken out of the table while it grows: a copy left there would share its buffer, and the first
        // append would copy every byte buffered so far (once per wake-up of a large request).
        guard var reader = clients.removeValue(forKey: fd) else { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        var eof = false
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                chunk.withUnsafeBytes { reader.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { break }
            eof = true
            break
        }
        var keepOpen = !eof
        while let request = reader.next(atEOF: eof) {
            switch request {
            case .get:
                keepOpen = reply(fd, UAPIWriter.getReply(readStatus())) && keepOpen
                schedulePageRelease()  // the reply of a large device is megabytes of heap
            case .set(let lines):
                let reply = applySet(lines)
                keepOpen = self.reply(fd, reply) && keepOpen
            case .failed(let error):
                logger.error("UAPI: \(error)")
                _ = reply(fd, error.reply)
                keepOpen = false
            case .unknownOperation(let line):
                logger.error("Invalid UAPI operation: \(line)")
                keepOpen = false
            }
            if !keepOpen { break }
        }
        if keepOpen {
            clients[fd] = reader
        } else {
            closeClient(fd)
        }
    }

    func closeClient(_ fd: Int32) {
        _ = epoll_ctl(uapiEpollFD, EPOLL_CTL_DEL, fd, nil)
        close(fd)
        clients[fd] = nil
    }

    /// Validates and applies one `set=1` body; returns the reply.
    func applySet(_ lines: [Substring]) -> String {
        var update: DeviceUpdate
        do { update = try UAPIParser.parseSet(lines) } catch {
            logger.error("UAPI: \(error)")
            return error.reply
        }
        if let port = update.listenPort {
            // As the kernel: any port other than the bound one (0 included) rebinds.
            if port != bind.port {
                socketLock.lockExclusive()
                do {
                    try bind.bind(port: port)
                } catch {
                    socketLock.unlock()
                    let e = UAPIError.addressInUse("cannot listen on UDP port \(port): \(error)")
                    logger.error("UAPI: \(e)")
                    return e.reply
                }
                // Closing the old sockets took them out of the receive thread's epoll set. While the interface
                // is down the port was only checked: the sockets open at up (the kernel binds only then).
                if isLinkUp {
                    do { try receivePath.watchSockets(bind) } catch { logger.error("UAPI: \(error)") }
                } else {
                    bind.closeSockets()
                }
                socketLock.unlock()
                // New sockets: every sticky source is forgotten (kernel set_port).
                lock.lock()
                engine.clearEndpointSources()
                lock.unlock()
            }
            update.listenPort = bind.port
        }
        if let mark = update.fwmark, mark != bind.mark {
            do { try bind.setMark(mark) } catch {
                let e = UAPIError.addressInUse("cannot set fwmark \(mark): \(error)")
                logger.error("UAPI: \(e)")
                return e.reply
            }
        }
        var holds = LockHoldMeter()
        var effects: [Effect] = []
        func apply(_ slice: DeviceUpdate) {
            effects.removeAll(keepingCapacity: true)
            holds.hold(lock) { engine.apply(slice, now: SystemClock.now(), effects: &effects) }
            perform(effects)
        }
        if update.replacePeers {
            // Every peer goes before the key changes and the new ones arrive, as with replace_peers in one go;
            // what stays of a peer across the request (nothing) is the same too.
            let keys = holds.hold(lock) { engine.peers.map(\.publicKey) }
            let removal = DeviceUpdate(peers: keys.map { PeerUpdate(publicKey: $0, remove: true) })
            for slice in removal.peerSlices(budget: Self.peerSliceBudget) { apply(DeviceUpdate(peers: Array(slice))) }
        }
        apply(update.deviceOnly)
        for slice in update.peerSlices(budget: Self.peerSliceBudget) { apply(DeviceUpdate(peers: Array(slice))) }
        wakeControl()  // deadlines may have changed: the control loop re-arms its timer
        logger.verbose("UAPI: configuration updated (\(update.peers.count) peer blocks; \(holds.summary))")
        schedulePageRelease()
        return UAPIWriter.setSuccess
    }

    /// The device's status for `get`, read a slice of peers per engine-lock hold.
    private func readStatus() -> DeviceStatus {
        var holds = LockHoldMeter()
        let (device, peers) = holds.hold(lock) { (engine.deviceStatus(), engine.peers) }
        var status = device
        status.peers.reserveCapacity(peers.count)
        var start = 0
        while start < peers.count {
            let end = min(start + Self.statusSliceSize, peers.count)
            status.peers += holds.hold(lock) { engine.peerStatus(of: peers[start..<end]) }
            start = end
        }
        logger.verbose("UAPI: status read (\(status.peers.count) peers; \(holds.summary))")
        return status
    }

    /// Writes a whole reply, waiting (up to 5 s per stall) when the client reads slowly. Returns false if
    /// the connection is unusable.
    private func reply(_ fd: Int32, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var sent = 0
            while sent < bytes.count {
                let n = Glibc.send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                if n > 0 {
                    sent += n
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EAGAIN {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    if poll(&p, 1, 5000) > 0 { continue }
                }
                return false
            }
            return true
        }
    }
}
