// SPDX-License-Identifier: MIT
// The `/metrics` endpoint (WG_METRICS_ADDRESS): an HTTP/1.1 server on its own thread, so no client can
// stall the data path or the control loop. Non-blocking sockets in one epoll set; at most `maxClients`
// connections (more are closed at once); each must send its request head within `maxHeadBytes` and the
// whole exchange must end within `clientTimeout`, else it is closed; every response closes the connection.
// The only thing shared with the device is the engine lock, held for one `Engine.metrics()` snapshot per
// scrape (as long as a UAPI `get`); the text is rendered and written without it.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardIPC
import WireGuardModel
import WireGuardProtocol

final class MetricsServer {
    /// Connections served at once; a further one is accepted and closed.
    static let maxClients = 16
    /// The longest a connection may live, from accept to the last byte of the response.
    static let clientTimeout: Duration = .seconds(2)
    static let listenBacklog: Int32 = 16
    /// Reads of 4 KiB per wake-up while draining a connection.
    static let drainChunks = 16
    static let tagStop: UInt64 = 1, tagListener: UInt64 = 2, tagClientBase: UInt64 = 1 << 32

    private final class Client {
        var received: [UInt8] = []
        /// The response, once decided, and how much of it is written.
        var response: [UInt8]?
        var written = 0
        /// The response is out and our side shut down: what still arrives is read and dropped until the client
        /// closes (or the deadline), so that closing never resets a connection whose response is unread.
        var draining = false
        let deadline: Instant
        init(deadline: Instant) { self.deadline = deadline }
    }

    private unowned(unsafe) let device: Device  // the device joins this thread before it goes
    let listener: Int32
    private let epollFD: Int32
    private var clients: [Int32: Client] = [:]

    /// Listens on `endpoint` (TCP, non-blocking; IPv6 sockets are V6ONLY).
    static func listen(on endpoint: Endpoint) throws(SystemError) -> Int32 {
        let v4 = endpoint.address.isV4
        let fd = socket(v4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .last("socket") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if !v4 { _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let rc = SocketBind.bind(fd, family: v4 ? AF_INET : AF_INET6, address: endpoint.address.bytes, port: endpoint.port)
        guard rc == 0 else {
            let error = SystemError.last("bind \(endpoint)")
            close(fd)
            throw error
        }
        guard Glibc.listen(fd, listenBacklog) == 0 else {
            let error = SystemError.last("listen \(endpoint)")
            close(fd)
            throw error
        }
        return fd
    }

    /// A server for `device` on the listening socket `listener` (which it closes when it stops).
    init(device: Device, listener: Int32) throws(SystemError) {
        self.device = device
        self.listener = listener
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw .last("epoll_create1") }
        try device.watch(device.stopFD, tag: Self.tagStop, in: epollFD)
        try device.watch(listener, tag: Self.tagListener, in: epollFD)
    }

    deinit {
        for fd in clients.keys { close(fd) }
        close(listener)
        close(epollFD)
    }

    /// The thread's loop; returns when the device's stop eventfd fires.
    func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 8)
        while true {
            let now = SystemClock.now().monotonic
            var timeout: Int32 = -1
            if let first = clients.values.map(\.deadline).min() {
                let left = first.nanoseconds - now.nanoseconds
                timeout = left <= 0 ? 0 : Int32(min(left / 1_000_000 + 1, 60_000))
            }
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epollFD, $0.baseAddress!, Int32($0.count), timeout) }
            if n < 0 && errno != EINTR { return }
            for i in 0..<max(0, Int(n)) {
                let tag = events[i].data.u64
                switch tag {
                case Self.tagStop: return
                case Self.tagListener: acceptClients()
                default: serve(Int32(truncatingIfNeeded: tag - Self.tagClientBase))
                }
            }
            let later = SystemClock.now().monotonic
            for (fd, client) in clients where client.deadline <= later { drop(fd) }
        }
    }

    private func acceptClients() {
        while true {
            let fd = wg_accept(listener)  // non-blocking, close-on-exec
            if fd < 0 {
                if -fd == EINTR || -fd == ECONNABORTED { continue }
                return  // EAGAIN, or out of descriptors: the rest wait in the backlog
            }
            guard clients.count < Self.maxClients else {
                close(fd)
                continue
            }
            var event = epoll_event()
            event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
            event.data.u64 = Self.tagClientBase + UInt64(UInt32(bitPattern: fd))
            guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else {
                close(fd)
                continue
            }
            clients[fd] = Client(deadline: SystemClock.now().monotonic + Self.clientTimeout)
        }
    }

    private func serve(_ fd: Int32) {
        guard let client = clients[fd] else { return }
        if client.draining { return drain(fd) }
        if client.response == nil {
            var chunk = [UInt8](repeating: 0, count: 1024)
            var ended = false  // the client shut down its side (it may still read the response)
            while client.received.count < MetricsRequest.maxHeadBytes {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
                if n > 0 {
                    client.received += chunk[0..<min(n, MetricsRequest.maxHeadBytes - client.received.count)]
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
                if n < 0 { return drop(fd) }
                ended = true
                break
            }
            let verdict = MetricsRequest.judge(client.received)
            if verdict == .incomplete {
                if ended { drop(fd) }  // closed before a complete request
                return
            }
            client.response = MetricsRequest.response(verdict) { scrape() }
            var event = epoll_event()
            event.events = EPOLLOUT.rawValue
            event.data.u64 = Self.tagClientBase + UInt64(UInt32(bitPattern: fd))
            _ = epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
        }
        guard let response = client.response else { return }
        while client.written < response.count {
            let n = response.withUnsafeBytes {
                send(fd, $0.baseAddress! + client.written, $0.count - client.written, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            }
            if n > 0 { client.written += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            return drop(fd)
        }
        _ = shutdown(fd, Int32(SHUT_WR))
        client.draining = true
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        event.data.u64 = Self.tagClientBase + UInt64(UInt32(bitPattern: fd))
        _ = epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
        drain(fd)
    }

    /// Reads and drops what a client still sends after its response (at most `drainChunks` reads per wake-up,
    /// so a fast sender cannot hold the thread); closes at its end of stream.
    private func drain(_ fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<Self.drainChunks {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            return drop(fd)
        }
    }

    private func drop(_ fd: Int32) {
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        close(fd)
        clients[fd] = nil
    }

    /// One snapshot under the engine lock, rendered without it.
    private func scrape() -> String {
        device.lock.lock()
        let metrics = device.engine.metrics()
        device.lock.unlock()
        return MetricsExposition.render(interface: device.tun.name, metrics: metrics, now: SystemClock.now().wall)
    }
}
