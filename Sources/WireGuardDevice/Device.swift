// SPDX-License-Identifier: MIT
// One WireGuard interface on Linux: the protocol `Engine` plus the descriptors it needs (wireguard-go
// device.go; the kernel's device.c), on three threads:
// - the control thread (`run`): an epoll loop over the UAPI listener and its clients, a timerfd armed to the
//   engine's next deadline, a signalfd (SIGINT/SIGTERM), an rtnetlink socket (MTU changes, up and down,
//   interface deletion, lost addresses) and an eventfd the data threads use to wake it;
// - the send thread (SendPath): TUN → UDP; the receive thread (ReceivePath): UDP → TUN;
// - the handshake thread (HandshakeWorker): the Diffie-Hellman of admitted initiations and responses.
// The engine is shared under `lock`, held only for bookkeeping, never across a data-path system call or a
// packet's cryptography. Everything the engine decides comes back as a return value or an `Effect`, which
// this type turns into system calls. See Device+DataPath.swift and Device+UAPI.swift.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardCrypto
import WireGuardIPC
import WireGuardModel
import WireGuardOffload
import WireGuardProtocol

public final class Device {
    /// Why the loop stopped.
    public enum StopReason: Equatable, CustomStringConvertible {
        case signal(Int32)
        case interfaceDeleted
        case tunFailed(String)

        public var description: String {
            switch self {
            case .signal(let s): return "received signal \(s == SIGINT ? "SIGINT" : s == SIGTERM ? "SIGTERM" : "\(s)")"
            case .interfaceDeleted: return "interface was deleted"
            case .tunFailed(let why): return "TUN failed: \(why)"
            }
        }
    }

    let engine: Engine
    let tun: LinuxTun
    let bind = UDPBind()
    let logger: Logger
    let uapiListener: Int32
    let socketPath: String?
    let netlink: NetlinkMonitor?
    var interfaceIndex: Int32

    let epollFD: Int32
    /// The UAPI thread's epoll set: the listener, its clients and `stopFD`.
    let uapiEpollFD: Int32
    let timerFD: Int32
    let signalFD: Int32
    /// Written by a data thread when the control loop must look again (an earlier deadline, a stop).
    let wakeFD: Int32
    /// Written once at shutdown; the data threads watch it.
    let stopFD: Int32
    /// Guards the engine (sticky sources included), `armedDeadline`, `pageReleaseDue` and `stopReason`.
    let lock = EngineLock()
    /// Held shared while a data thread uses the UDP sockets, exclusively while they are replaced.
    let socketLock = SocketLock()
    var armedDeadline: Instant?
    var stopReason: StopReason?
    /// When the control loop next releases program pages (after configuration changes).
    var pageReleaseDue: Instant?

    /// UAPI connections by descriptor (UAPI thread only).
    var clients: [Int32: UAPIRequestReader] = [:]
    /// Whether the interface is administratively up: the UDP sockets are open only while it is, as the
    /// kernel's `wg_open`/`wg_stop` do. Written by the control thread with `socketLock` held exclusively;
    /// read there or under `socketLock`.
    var isLinkUp = true
    /// What the kernel accepted of `OffloadSettings`.
    public private(set) var offloads = LinuxTun.Offloads()
    /// UDP_SEGMENT in use (cleared for good when a send fails with EIO: a device without checksum offload).
    var udpGSO = false
    private(set) var sendPath: SendPath!
    private(set) var receivePath: ReceivePath!
    private(set) var handshakeWorker: HandshakeWorker!
    /// The metrics endpoint's thread, when one serves (Device+Metrics.swift).
    var metricsThread: pthread_t?
    /// Effects of the control thread (UAPI, timers).
    var effects: [Effect] = []

    // epoll tags.
    static let tagListener: UInt64 = 4, tagTimer: UInt64 = 5, tagSignal: UInt64 = 6, tagNetlink: UInt64 = 7
    static let tagWake: UInt64 = 8, tagStop: UInt64 = 9, tagClientBase: UInt64 = 1 << 32

    /// A device over an open TUN and (optionally) a listening UAPI socket. `socketPath` is removed when the
    /// device stops. SIGINT and SIGTERM must already be blocked in every thread (see `blockStopSignals`).
    public init(tun: LinuxTun, uapiListener: Int32, socketPath: String?, logger: Logger,
                offloadSettings: OffloadSettings = OffloadSettings(),
                random: any RandomSource = BufferedRandom()) throws(SystemError) {
        wg_single_heap()
        self.engine = Engine(random: random)
        self.tun = tun
        self.uapiListener = uapiListener
        self.socketPath = socketPath
        self.logger = logger
        self.interfaceIndex = tun.index
        self.netlink = try? NetlinkMonitor()
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw .last("epoll_create1") }
        uapiEpollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard uapiEpollFD >= 0 else { throw .last("epoll_create1") }
        timerFD = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard timerFD >= 0 else { throw .last("timerfd_create") }
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        signalFD = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard signalFD >= 0 else { throw .last("signalfd") }
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wakeFD >= 0 else { throw .last("eventfd") }
        stopFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard stopFD >= 0 else { throw .last("eventfd") }
        engine.mtu = tun.mtu ?? Constants.defaultMTU
        effects.reserveCapacity(64)

        if offloadSettings.tunOffload {
            let (accepted, error) = tun.enableOffloads(udp: offloadSettings.tunUDPOffload)
            offloads = accepted
            if let error { logger.verbose("TUN offloads unavailable, packets move one by one: \(error)") }
            if offloadSettings.tunUDPOffload && accepted.tcp && !accepted.udp {
                logger.verbose("TUN UDP segmentation (USO) unavailable: needs Linux 6.2")
            }
        }
        bind.wantsGRO = offloadSettings.udpGRO
        if offloadSettings.udpGRO, let version = OffloadSettings.kernelVersion(), version < OffloadSettings.minimumGROKernel {
            bind.wantsGRO = false
            logger.verbose("UDP GRO unavailable: needs Linux 5.12, this is \(version.0).\(version.1)")
        }
        try bind.bind(port: 0)
        if let error = bind.groError { logger.verbose("UDP GRO unavailable: \(error)") }
        udpGSO = offloadSettings.udpGSO && bind.supportsGSO
        if offloadSettings.udpGSO && !udpGSO { logger.verbose("UDP GSO unavailable: UDP_SEGMENT unknown to this kernel") }
        engine.apply(DeviceUpdate(listenPort: bind.port), now: SystemClock.now(), effects: &effects)
        if !tun.isUp {
            // A new TUN starts down: keep the port, close the sockets until the interface comes up.
            bind.closeSockets()
            engine.down(now: SystemClock.now())
            isLinkUp = false
        }
        if uapiListener >= 0 { try watch(uapiListener, tag: Self.tagListener, in: uapiEpollFD) }
        try watch(stopFD, tag: Self.tagStop, in: uapiEpollFD)
        try watch(timerFD, tag: Self.tagTimer)
        try watch(signalFD, tag: Self.tagSignal)
        try watch(wakeFD, tag: Self.tagWake)
        if let netlink { try watch(netlink.fd, tag: Self.tagNetlink) }

        var gro: GROTable?
        if tun.hasVirtioHeader {
            gro = GROTable()
            gro!.coalesceTCP = offloads.tcp
            gro!.coalesceUDP = offloads.udp
        }
        sendPath = try SendPath(device: self)
        handshakeWorker = HandshakeWorker(device: self)
        receivePath = try ReceivePath(device: self, gro: gro)
        try receivePath.watchSockets(bind)
    }

    deinit {
        for fd in clients.keys { close(fd) }
        close(epollFD)
        close(uapiEpollFD)
        close(timerFD)
        close(signalFD)
        close(wakeFD)
        close(stopFD)
    }

    /// Blocks SIGINT and SIGTERM in the calling thread (and threads it creates later), so that they arrive
    /// through the device's signalfd. Call first thing in `main`.
    public static func blockStopSignals() {
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// The UDP port the device listens on.
    public var listenPort: UInt16 { bind.port }

    /// Runs the loop until a stop signal, interface deletion or TUN failure; then closes everything and
    /// removes the UAPI socket.
    @discardableResult
    public func run() -> StopReason {
        logger.verbose("Device started: interface \(tun.name), listening on UDP port \(bind.port)")
        logger.verbose("Offloads: TUN TSO \(offloads.tcp ? "on" : "off"), USO \(offloads.udp ? "on" : "off"), "
                       + "UDP GSO \(udpGSO ? "on" : "off"), UDP GRO \(bind.hasGRO ? "on" : "off")")
        let sender = sendPath!, receiver = receivePath!, worker = handshakeWorker!
        let threads = [startThread { sender.run() }, startThread { receiver.run() }, startThread { worker.run() },
                       startThread { [self] in serveUAPI() }]
        if threads.contains(where: { $0 == nil }) { requestStop(.tunFailed("cannot start the data-plane threads")) }
        releasePages()
        var events = [epoll_event](repeating: epoll_event(), count: 16)
        while !isStopping {
            armTimer()
            var timeout: Int32 = -1
            lock.lock()
            let pageRelease = pageReleaseDue
            lock.unlock()
            if let due = pageRelease {
                let left = due.nanoseconds - SystemClock.now().monotonic.nanoseconds
                timeout = left <= 0 ? 0 : Int32(left / 1_000_000 + 1)
            }
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epollFD, $0.baseAddress!, Int32($0.count), timeout) }
            if n == 0, let due = pageRelease, SystemClock.now().monotonic >= due {
                lock.lock()
                if pageReleaseDue == due { pageReleaseDue = nil }
                lock.unlock()
                releasePages()
            }
            if n < 0 {
                if errno == EINTR { continue }
                requestStop(.tunFailed("epoll_wait: \(SystemError.last("epoll_wait"))"))
                break
            }
            for i in 0..<Int(n) where !isStopping {
                dispatch(tag: events[i].data.u64)
            }
        }
        var one: UInt64 = 1
        _ = write(stopFD, &one, 8)
        worker.stop()
        for case let thread? in threads { pthread_join(thread, nil) }
        joinMetricsThread()
        shutdown()
        let reason = stopReason!
        logger.verbose("Device closing: \(reason)")
        return reason
    }

    /// Shortens the initiator's rekey age (tests that need many rekeys in one run).
    public func setRekeyAfterTime(_ age: Duration) {
        lock.lock()
        engine.rekeyAfterTime = age
        lock.unlock()
    }

    /// How long after a configuration change the control loop lets go of the program pages it touched.
    static let pageReleaseDelay: Duration = .seconds(2)

    /// Start-up and configuration (argument parsing, libraries loading, UAPI parsing, handshakes) touch far
    /// more program text than a running device uses; letting those pages go keeps the resident set to the
    /// working set. They come back from the page cache when next used.
    private func releasePages() {
        // Heap pages freed after a large `set` or `get` (request text, parsed update, reply) go back too.
        wg_release_free_heap()
        let released = wg_release_startup_pages()
        if released > 0 { logger.verbose("Released \(released) KiB of program pages not in use") }
    }

    /// Asks the control loop to release program pages once configuration has been quiet for a while. Any
    /// thread.
    func schedulePageRelease() {
        lock.lock()
        pageReleaseDue = SystemClock.now().monotonic + Self.pageReleaseDelay
        lock.unlock()
        wakeControl()
    }

    /// True once a stop was requested (by a signal, the TUN, or netlink).
    var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopReason != nil
    }

    /// Records why the device stops (the first reason wins) and wakes the control loop. Any thread.
    func requestStop(_ reason: StopReason) {
        lock.lock()
        if stopReason == nil { stopReason = reason }
        lock.unlock()
        wakeControl()
    }

    /// Makes the control loop re-read its state (deadline, stop). Any thread.
    func wakeControl() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Under `lock`: whether `deadline` comes before the one the timer is armed to, so that the control
    /// loop must wake and re-arm.
    @inline(__always)
    func isEarlierThanArmed(_ deadline: Instant?) -> Bool {
        guard let deadline else { return false }
        guard let armed = armedDeadline else { return true }
        return deadline < armed
    }

    private func dispatch(tag: UInt64) {
        switch tag {
        case Self.tagWake:
            var value: UInt64 = 0
            _ = read(wakeFD, &value, 8)
        case Self.tagTimer:
            var expirations: UInt64 = 0
            _ = read(timerFD, &expirations, 8)
            handleTimers()
        case Self.tagSignal:
            var info = signalfd_siginfo()
            if read(signalFD, &info, MemoryLayout<signalfd_siginfo>.size) > 0 {
                requestStop(.signal(Int32(info.ssi_signo)))
            }
        case Self.tagNetlink: handleNetlink()
        default: break
        }
    }

    private func handleTimers() {
        effects.removeAll(keepingCapacity: true)
        lock.lock()
        armedDeadline = nil
        engine.handleTimers(now: SystemClock.now(), effects: &effects)
        lock.unlock()
        perform(effects)
    }

    private func handleNetlink() {
        guard let netlink else { return }
        for change in netlink.drain() {
            switch change {
            case .mtu(let index, _) where index == 0 || index == interfaceIndex:
                lock.lock()
                if let mtu = tun.mtu, mtu != engine.mtu {
                    logger.verbose("MTU updated: \(mtu)")
                    engine.mtu = mtu
                }
                lock.unlock()
                // Index 0: notifications were lost; the link state may have changed too.
                if index == 0 { setLink(up: tun.isUp) }
            case .linkState(let index, let up) where index == interfaceIndex:
                setLink(up: up)
            case .linkDeleted(let index) where index == interfaceIndex:
                requestStop(.interfaceDeleted)
            case .addressRemoved:
                // A sticky source address may be gone; the next authenticated packet from each peer sets it.
                lock.lock()
                engine.clearEndpointSources()
                lock.unlock()
            default:
                break
            }
        }
    }

    /// The interface went up or down (kernel `wg_open` / `wg_stop`). Down: the engine drops every session,
    /// staged packet and timer, then the sockets close. Up: the sockets reopen on the same port, then the
    /// engine sends its keepalives (handshakes) to peers with a persistent keepalive.
    func setLink(up: Bool) {
        guard up != isLinkUp else { return }
        effects.removeAll(keepingCapacity: true)
        if up {
            socketLock.lockExclusive()
            isLinkUp = true
            do {
                try bind.bind(port: bind.port)
                try receivePath.watchSockets(bind)
            } catch {
                logger.error("Interface up, but UDP port \(bind.port) cannot be bound: \(error)")
            }
            socketLock.unlock()
            lock.lock()
            engine.up(now: SystemClock.now(), effects: &effects)
            lock.unlock()
            logger.verbose("Interface up: listening on UDP port \(bind.port)")
            perform(effects)
        } else {
            lock.lock()
            engine.down(now: SystemClock.now())
            lock.unlock()
            socketLock.lockExclusive()
            isLinkUp = false
            bind.closeSockets()
            socketLock.unlock()
            logger.verbose("Interface down: sockets closed, sessions cleared")
        }
    }

    // MARK: epoll and timer helpers

    func watch(_ fd: Int32, tag: UInt64) throws(SystemError) {
        try watch(fd, tag: tag, in: epollFD)
    }

    /// Adds `fd` (readable) to the epoll set `set` under `tag`.
    func watch(_ fd: Int32, tag: UInt64, in set: Int32) throws(SystemError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = tag
        if epoll_ctl(set, EPOLL_CTL_ADD, fd, &event) != 0 { throw .last("epoll_ctl") }
    }

    func unwatch(_ fd: Int32) {
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
    }

    /// Arms the timerfd (absolute, CLOCK_MONOTONIC) to the engine's next deadline when it changed.
    private func armTimer() {
        lock.lock()
        let deadline = engine.nextDeadline
        let changed = deadline != armedDeadline
        armedDeadline = deadline
        lock.unlock()
        guard changed else { return }
        var spec = itimerspec()
        if let d = deadline {
            let ns = max(d.nanoseconds, 1)
            spec.it_value.tv_sec = Int(ns / 1_000_000_000)
            spec.it_value.tv_nsec = Int(ns % 1_000_000_000)
        }
        _ = timerfd_settime(timerFD, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    private func shutdown() {
        socketLock.lockExclusive()
        bind.closeSockets()
        socketLock.unlock()
        if uapiListener >= 0 { close(uapiListener) }
        if let socketPath { unlink(socketPath) }
        tun.close()
    }
}
