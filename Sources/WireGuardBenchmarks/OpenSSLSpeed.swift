// SPDX-License-Identifier: MIT
// Runs `openssl speed` (posix_spawnp, stdout through a pipe) and reads the figure from its last line, so
// that one wireguard-bench run prints the reference beside our own figures. Each figure is the best of a few
// runs, as ours are the best of a few windows.

#if canImport(Glibc)
import Glibc
#endif

enum OpenSSLSpeed {
    /// Runs per figure: the best one counts.
    static let runs = 3

    /// `openssl speed -seconds S -aead -bytes N -evp chacha20-poly1305`, in Gbit/s: the last line is
    /// "ChaCha20-Poly1305  2484257.35k" in thousands of bytes per second.
    static func aead(seconds: Int, bytes: Int) -> (command: String, gbps: Double?) {
        let args = ["speed", "-seconds", "\(seconds)", "-aead", "-bytes", "\(bytes)", "-evp", "chacha20-poly1305"]
        let value = best(args) { Double($0.hasSuffix("k") ? String($0.dropLast()) : $0) }
        return ("openssl " + args.joined(separator: " "), value.map { $0 * 1000 * 8 / 1e9 })
    }

    /// `openssl speed -seconds S ecdhx25519`, in operations per second: the last line is
    /// " 253 bits ecdh (X25519)   0.0000s  40840.5".
    static func x25519(seconds: Int) -> (command: String, perSecond: Double?) {
        let args = ["speed", "-seconds", "\(seconds)", "ecdhx25519"]
        return ("openssl " + args.joined(separator: " "), best(args) { Double($0) })
    }

    /// The largest figure of `runs` runs, read from the last field of the output by `parse`.
    private static func best(_ args: [String], _ parse: (String) -> Double?) -> Double? {
        (0..<runs).compactMap { _ in run(args).flatMap { lastField($0) }.flatMap(parse) }.max()
    }

    /// The last whitespace-separated field of the last non-empty line.
    private static func lastField(_ output: String) -> String? {
        output.split(separator: "\n").last { !$0.allSatisfy(\.isWhitespace) }?
            .split(whereSeparator: { $0 == " " || $0 == "\t" }).last.map(String.init)
    }

    /// The standard output of `openssl args...` (standard error discarded), or nil if it cannot run or fails.
    private static func run(_ args: [String]) -> String? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        defer { close(fds[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = (["openssl"] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid = pid_t()
        let spawned = posix_spawnp(&pid, "openssl", &actions, nil, argv, environ) == 0
        close(fds[1])
        guard spawned else { return nil }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n > 0 { output += chunk[0..<n] } else if n == 0 || errno != EINTR { break }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED && WEXITSTATUS == 0, spelled out (macros).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else { return nil }
        return String(decoding: output, as: UTF8.self)
    }
}
