// SPDX-License-Identifier: MIT
// One WireGuard interface on Linux: the protocol `Engine` plus the descriptors it needs, driven by one
// epoll loop on one thread (wireguard-go device.go; the kernel's device.c). The loop waits on the TUN,
// the UDP sockets, the UAPI listener and its clients, a timerfd armed to the engine's next deadline, a
// signalfd (SIGINT/SIGTERM) and an rtnetlink socket (MTU changes, interface deletion, lost addresses).
// Everything the engine decides comes back as a return value or an `Effect`, which this type turns into
// system calls. See Device+DataPath.swift and Device+UAPI.swift.

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardCrypto
import WireGuardIPC
import WireGuardModel
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
    let timerFD: Int32
    let signalFD: Int32
    var armedDeadline: Instant?
    var stopReason: StopReason?

    /// UAPI connections by descriptor.
    var clients: [Int32: UAPIRequestReader] = [:]
    /// Local address each remote endpoint last reached us on, to reply from it.
    var stickySources: [Endpoint: LocalSource] = [:]

    // Preallocated data-path memory, reused for every batch.
    static let batchSize = 32
    let tunBatch = PacketBatch(count: Device.batchSize)
    let udpBatch = PacketBatch(count: Device.batchSize)
    /// Descriptors of the datagrams a TUN batch produced, grouped by family before sending.
    let sendList = UnsafeMutablePointer<wg_datagram>.allocate(capacity: Device.batchSize)
    var effects: [Effect] = []

    // epoll tags.
    static let tagTun: UInt64 = 1, tagUDP4: UInt64 = 2, tagUDP6: UInt64 = 3, tagListener: UInt64 = 4
    static let tagTimer: UInt64 = 5, tagSignal: UInt64 = 6, tagNetlink: UInt64 = 7, tagClientBase: UInt64 = 1 << 32

    /// A device over an open TUN and (optionally) a listening UAPI socket. `socketPath` is removed when the
    /// device stops. SIGINT and SIGTERM must already be blocked in every thread (see `blockStopSignals`).
    public init(tun: LinuxTun, uapiListener: Int32, socketPath: String?, logger: Logger,
                random: any RandomSource = SystemRandom()) throws(SystemError) {
        self.engine = Engine(random: random)
        self.tun = tun
        self.uapiListener = uapiListener
        self.socketPath = socketPath
        self.logger = logger
        self.interfaceIndex = tun.index
        self.netlink = try? NetlinkMonitor()
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw .last("epoll_create1") }
        timerFD = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard timerFD >= 0 else { throw .last("timerfd_create") }
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        signalFD = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard signalFD >= 0 else { throw .last("signalfd") }
        engine.mtu = tun.mtu ?? Constants.defaultMTU
        effects.reserveCapacity(64)

        try bind.bind(port: 0)
        engine.apply(DeviceUpdate(listenPort: bind.port), now: SystemClock.now(), effects: &effects)
        try watch(tun.fd, tag: Self.tagTun)
        try watchSockets()
        if uapiListener >= 0 { try watch(uapiListener, tag: Self.tagListener) }
        try watch(timerFD, tag: Self.tagTimer)
        try watch(signalFD, tag: Self.tagSignal)
        if let netlink { try watch(netlink.fd, tag: Self.tagNetlink) }
    }

    deinit {
        sendList.deallocate()
        for fd in clients.keys { close(fd) }
        close(epollFD)
        close(timerFD)
        close(signalFD)
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
        var events = [epoll_event](repeating: epoll_event(), count: 16)
        while stopReason == nil {
            armTimer()
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epollFD, $0.baseAddress!, Int32($0.count), -1) }
            if n < 0 {
                if errno == EINTR { continue }
                stopReason = .tunFailed("epoll_wait: \(SystemError.last("epoll_wait"))")
                break
            }
            for i in 0..<Int(n) where stopReason == nil {
                dispatch(tag: events[i].data.u64)
            }
        }
        shutdown()
        let reason = stopReason!
        logger.verbose("Device closing: \(reason)")
        return reason
    }

    private func dispatch(tag: UInt64) {
        switch tag {
        case Self.tagTun: readTun()
        case Self.tagUDP4: receiveDatagrams(from: bind.v4)
        case Self.tagUDP6: receiveDatagrams(from: bind.v6)
        case Self.tagTimer:
            var expirations: UInt64 = 0
            _ = read(timerFD, &expirations, 8)
            armedDeadline = nil
            handleTimers()
        case Self.tagListener: acceptClients()
        case Self.tagSignal:
            var info = signalfd_siginfo()
            if read(signalFD, &info, MemoryLayout<signalfd_siginfo>.size) > 0 {
                stopReason = .signal(Int32(info.ssi_signo))
            }
        case Self.tagNetlink: handleNetlink()
        default: serveClient(Int32(truncatingIfNeeded: tag - Self.tagClientBase))
        }
    }

    private func handleTimers() {
        effects.removeAll(keepingCapacity: true)
        engine.handleTimers(now: SystemClock.now(), effects: &effects)
        perform(effects)
    }

    private func handleNetlink() {
        guard let netlink else { return }
        for change in netlink.drain() {
            switch change {
            case .mtu(let index, _) where index == 0 || index == interfaceIndex:
                if let mtu = tun.mtu, mtu != engine.mtu {
                    logger.verbose("MTU updated: \(mtu)")
                    engine.mtu = mtu
                }
            case .linkDeleted(let index) where index == interfaceIndex:
                stopReason = .interfaceDeleted
            case .addressRemoved:
                // A cached source address may be gone; the next datagram from each peer re-learns it.
                stickySources.removeAll()
            default:
                break
            }
        }
    }

    // MARK: epoll and timer helpers

    func watch(_ fd: Int32, tag: UInt64) throws(SystemError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = tag
        if epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) != 0 { throw .last("epoll_ctl") }
    }

    func unwatch(_ fd: Int32) {
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
    }

    func watchSockets() throws(SystemError) {
        try watch(bind.v4, tag: Self.tagUDP4)
        if bind.v6 >= 0 { try watch(bind.v6, tag: Self.tagUDP6) }
    }

    /// Arms the timerfd (absolute, CLOCK_MONOTONIC) to the engine's next deadline when it changed.
    private func armTimer() {
        let deadline = engine.nextDeadline
        guard deadline != armedDeadline else { return }
        armedDeadline = deadline
        var spec = itimerspec()
        if let d = deadline {
            let ns = max(d.nanoseconds, 1)
            spec.it_value.tv_sec = Int(ns / 1_000_000_000)
            spec.it_value.tv_nsec = Int(ns % 1_000_000_000)
        }
        _ = timerfd_settime(timerFD, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    private func shutdown() {
        for fd in Array(clients.keys) { closeClient(fd) }
        bind.closeSockets()
        if uapiListener >= 0 { close(uapiListener) }
        if let socketPath { unlink(socketPath) }
        tun.close()
    }
}

/// The local address (and interface) a remote endpoint reached us on: replies leave from it.
struct LocalSource: Equatable {
    var family: UInt8
    var ifindex: Int32
    var address: (UInt64, UInt64)

    static func == (a: LocalSource, b: LocalSource) -> Bool {
        a.family == b.family && a.ifindex == b.ifindex && a.address == b.address
    }
}
