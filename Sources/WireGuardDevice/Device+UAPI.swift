// SPDX-License-Identifier: MIT
// Serving UAPI on the control thread (wireguard-go uapi.go `IpcHandle`). A request is acted on only when it
// has arrived whole; a `set` is parsed completely and the listen port bound before anything changes, so a
// request that fails anywhere leaves the device as it was.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardIPC
import WireGuardModel
import WireGuardProtocol

extension Device {
    func acceptClients() {
        while true {
            let fd = wg_accept(uapiListener)
            if fd < 0 { return }
            do {
                try watch(fd, tag: Self.tagClientBase + UInt64(UInt32(bitPattern: fd)))
                clients[fd] = UAPIRequestReader()
            } catch {
                close(fd)
            }
        }
    }

    func serveClient(_ fd: Int32) {
        guard var reader = clients[fd] else { return }
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
                lock.lock()
                let status = engine.status()
                lock.unlock()
                keepOpen = reply(fd, UAPIWriter.getReply(status)) && keepOpen
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
        unwatch(fd)
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
        effects.removeAll(keepingCapacity: true)
        lock.lock()
        engine.apply(update, now: SystemClock.now(), effects: &effects)
        lock.unlock()
        perform(effects)
        logger.verbose("UAPI: configuration updated (\(update.peers.count) peer blocks)")
        schedulePageRelease()
        return UAPIWriter.setSuccess
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
