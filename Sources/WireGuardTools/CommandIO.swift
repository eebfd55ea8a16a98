// SPDX-License-Identifier: MIT
// What a command reads and writes, behind a protocol so that commands are tested without a process: the
// standard streams, the environment, and the facts about stdout that wg's behaviour depends on.

#if canImport(Glibc)
import Glibc
#endif

public protocol CommandIO: AnyObject {
    var environment: [String: String] { get }
    func write(_ text: String)
    func writeError(_ text: String)
    /// All of standard input.
    func readInput() -> [UInt8]
    /// Standard output is a terminal (colours in `auto` mode).
    var outputIsTerminal: Bool { get }
    /// Standard output is a regular file that others can read (genkey's warning).
    var outputIsWorldAccessibleFile: Bool { get }
}

/// The real process streams.
public final class ProcessIO: CommandIO {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfoEnvironment.current) { self.environment = environment }

    public func write(_ text: String) { Self.write(fd: 1, text) }
    public func writeError(_ text: String) { Self.write(fd: 2, text) }

    public func readInput() -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return result }
            result += chunk[0..<n]
        }
    }

    public var outputIsTerminal: Bool { isatty(1) == 1 }

    public var outputIsWorldAccessibleFile: Bool {
        var st = stat()
        return fstat(1, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && (st.st_mode & 0o007) != 0
    }

    /// Writes all of `text` to `fd` (retrying short writes and EINTR; gives up on an error).
    static func write(fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var sent = 0
            while sent < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + sent, bytes.count - sent)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                sent += n
            }
        }
    }
}
