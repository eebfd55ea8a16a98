// SPDX-License-Identifier: MIT
// wireguard-flood: a handshake-initiation flood for benchmarks and tests (bench/flood.sh,
// Tests/Integration/t_flood.sh). Precomputes many distinct initiations from random keys with a valid MAC1
// for the target's public key (and a zero MAC2, as a sender without a cookie), then sends them with sendmmsg
// from every source address given, each from many UDP ports, round robin, as fast as it can or at --rate.
// Only for namespaces built for the purpose: it refuses to run without explicit --target and --public-key.
//
//   wireguard-flood --target IP:PORT --public-key BASE64 [--source IP]... [--ports N] [--seconds S]
//                   [--rate PPS] [--messages N] [--batch N]

#if canImport(Glibc)
import Glibc
#endif
import CWireGuardLinux
import WireGuardCrypto
import WireGuardModel
import WireGuardProtocol

/// The flood's settings, from the command line.
struct FloodOptions {
    var target: Endpoint?
    var publicKey: PublicKey?
    var sources: [IPAddress] = []
    var portsPerSource = 256
    var seconds = 10.0
    /// Datagrams per second; 0: as fast as the core allows.
    var rate = 0
    var messages = 4096
    var batch = 32

    static let usage = "usage: wireguard-flood --target IP:PORT --public-key BASE64 [--source IP]... [--ports N] "
        + "[--seconds S] [--rate PPS] [--messages N] [--batch N]"

    init(_ args: [String]) throws(FloodError) {
        var i = 0
        func value() throws(FloodError) -> String {
            i += 1
            guard i < args.count else { throw .usage("\(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--target": target = Endpoint(try value())
            case "--public-key": publicKey = KeyEncoding.key(base64: try value()).flatMap { PublicKey(bytes: $0) }
            case "--source":
                guard let a = IPAddress(try value()), a.isV4 else { throw .usage("--source takes an IPv4 address") }
                sources.append(a)
            case "--ports": portsPerSource = Int(try value()) ?? 0
            case "--seconds": seconds = Double(try value()) ?? 0
            case "--rate": rate = Int(try value()) ?? -1
            case "--messages": messages = Int(try value()) ?? 0
            case "--batch": batch = Int(try value()) ?? 0
            default: throw .usage("unknown argument \(args[i])")
            }
            i += 1
        }
        guard let target, target.address.isV4 else { throw .usage("--target IPv4:PORT is required") }
        guard publicKey != nil else { throw .usage("--public-key (the target's, base64) is required") }
        guard portsPerSource > 0, seconds > 0, rate >= 0, messages > 0, (1...1024).contains(batch) else {
            throw .usage("--ports, --seconds, --messages and --batch (1...1024) must be positive, --rate not negative")
        }
        if sources.isEmpty { sources = [.v4(0)] }
    }
}

enum FloodError: Error, CustomStringConvertible {
    case usage(String)
    case system(String, Int32)

    var description: String {
        switch self {
        case .usage(let why): return "wireguard-flood: \(why)\n\(FloodOptions.usage)"
        case .system(let call, let err): return "wireguard-flood: \(call): \(String(cString: strerror(err)))"
        }
    }
}

/// Precomputed initiations and the sockets they leave from.
final class Flooder {
    let options: FloodOptions
    private let messages: UnsafeMutableRawPointer
    private var sockets: [Int32] = []
    private let list: UnsafeMutablePointer<wg_datagram>

    init(_ options: FloodOptions) throws(FloodError) {
        self.options = options
        let size = MessageType.initiationSize
        messages = .allocate(byteCount: options.messages * size, alignment: 16)
        list = .allocate(capacity: options.batch)
        list.initialize(repeating: wg_datagram(), count: options.batch)
        // Random sender index, ephemeral key, encrypted static and timestamp: the target spends a DH on each
        // (when not under load) and finds no peer. MAC1 is valid, MAC2 zero.
        let random = SystemRandom()
        var macs = CookieGenerator(peerPublicKey: options.publicKey!)
        for m in 0..<options.messages {
            var msg = [UInt8](repeating: 0, count: size)
            msg[0] = UInt8(MessageType.initiation.rawValue)
            msg.withUnsafeMutableBytes { random.fill(UnsafeMutableRawBufferPointer(rebasing: $0[4..<(size - 32)])) }
            macs.addMACs(to: &msg, now: Instant(nanoseconds: 0))
            msg.withUnsafeBytes { (messages + m * size).copyMemory(from: $0.baseAddress!, byteCount: size) }
        }
        try raiseDescriptorLimit(options.sources.count * options.portsPerSource + 64)
        for source in options.sources {
            for _ in 0..<options.portsPerSource { sockets.append(try Self.socket(bound: source)) }
        }
    }

    deinit {
        for fd in sockets { close(fd) }
        messages.deallocate()
        list.deallocate()
    }

    /// A non-blocking UDP socket bound to `address` and an ephemeral port, with a large send buffer.
    static func socket(bound address: IPAddress) throws(FloodError) -> Int32 {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        if case .v4(let v) = address { sin.sin_addr.s_addr = v.bigEndian }
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw .system("bind \(address)", errno) }
        var size: Int32 = 1 << 20
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    private func raiseDescriptorLimit(_ wanted: Int) throws(FloodError) {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        guard limit.rlim_cur < rlim_t(wanted) else { return }
        limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur >= rlim_t(wanted) else {
            throw .usage("needs \(wanted) descriptors (ulimit -n is \(limit.rlim_max)); use fewer --ports")
        }
    }

    /// Sends for `options.seconds`; returns (datagrams sent, datagrams the kernel refused, seconds taken).
    func run() -> (sent: Int, refused: Int, elapsed: Double) {
        let target = options.target!, size = MessageType.initiationSize, batch = options.batch
        for i in 0..<batch {
            list[i].remote_family = 4
            list[i].remote_port = target.port
            if case .v4(let v) = target.address {
                withUnsafeMutableBytes(of: &list[i].remote_address) { $0.storeBytes(of: v.bigEndian, as: UInt32.self) }
            }
            list[i].length = UInt32(size)
            list[i].capacity = UInt32(size)
        }
        let start = Self.seconds()
        var sent = 0, refused = 0, next = 0, socket = 0
        while true {
            let elapsed = Self.seconds() - start
            if elapsed >= options.seconds { return (sent, refused, elapsed) }
            if options.rate > 0 && Double(sent + refused) > elapsed * Double(options.rate) {
                usleep(200)
                continue
            }
            for i in 0..<batch {
                list[i].data = (messages + next * size).assumingMemoryBound(to: UInt8.self)
                next = (next + 1) % options.messages
            }
            let n = Int(wg_send_batch(sockets[socket], list, UInt32(batch)))
            if n > 0 {
                sent += n
                refused += batch - n
            } else {
                refused += batch
            }
            socket = (socket + 1) % sockets.count
        }
    }

    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

do {
    let options = try FloodOptions(Array(CommandLine.arguments.dropFirst()))
    let flooder = try Flooder(options)
    let (sent, refused, elapsed) = flooder.run()
    print("sent \(sent) initiations in \(Int(elapsed * 10) / 10).\(Int(elapsed * 10) % 10) s: \(Int(Double(sent) / elapsed))/s "
          + "from \(options.sources.count) addresses x \(options.portsPerSource) ports (\(refused) refused by the kernel)")
} catch {
    let text = "\(error)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(2)
}
