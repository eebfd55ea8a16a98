// SPDX-License-Identifier: MIT
// How wg-quick touches the system: it runs programs (`ip`, `wg`, `nft`, `resolvconf`, the daemon, hooks),
// echoing each change as `[#] …` on stderr as linux.bash's `cmd` does, and reads the output of queries. Behind
// a protocol so that the up/down logic is tested with a recording fake; `SystemCommandRunner` spawns processes.

#if canImport(Glibc)
import Glibc
#endif

public protocol CommandRunner: AnyObject {
    /// Echoes `[#] argv…` and runs `argv`: `input` is its standard input (bash's `printf … | cmd`), `file` is
    /// readable at `filePath` (bash's `<(…)`; the caller puts that path in `argv`). Returns the exit status.
    func run(_ argv: [String], input: String?, file: String?) -> Int32
    /// Where the child reads `file`: its descriptor 63 as /dev/fd/63 (what bash's `<(…)` names).
    var filePath: String { get }
    /// Runs a query without echoing it: its standard output, its status; its stderr is discarded.
    func query(_ argv: [String]) -> (status: Int32, output: String)
    /// Echoes `[#] script` and runs it with bash, as wg-quick's `execute_hooks` does.
    func hook(_ script: String) -> Int32
    /// A line on stderr.
    func say(_ line: String)
    /// `type -p NAME`: whether `name` is an executable on PATH.
    func hasProgram(_ name: String) -> Bool
}

extension CommandRunner {
    func run(_ argv: [String]) -> Int32 { run(argv, input: nil, file: nil) }
    public var filePath: String { "/dev/fd/63" }
}

/// Spawns real processes, looked up in PATH.
public final class SystemCommandRunner: CommandRunner {
    public init() {}

    /// /dev/fd/63 where /dev/fd exists; else (a bare devtmpfs, as in an initramfs: no udev or systemd made the
    /// symlink) the same descriptor through /proc.
    public var filePath: String { access("/dev/fd", F_OK) == 0 ? "/dev/fd/63" : "/proc/self/fd/63" }

    public func run(_ argv: [String], input: String?, file: String?) -> Int32 {
        say("[#] " + argv.joined(separator: " "))
        return spawn(argv, input: input, file: file, captureOutput: false, quiet: false).status
    }

    public func query(_ argv: [String]) -> (status: Int32, output: String) {
        spawn(argv, input: nil, file: nil, captureOutput: true, quiet: true)
    }

    public func hook(_ script: String) -> Int32 {
        say("[#] " + script)
        // As `(eval "$hook")` inside wg-quick: errexit and pipefail on, C locale.
        return spawn(["bash", "-e", "-o", "pipefail", "-c", script], input: nil, file: nil, captureOutput: false, quiet: false).status
    }

    public func say(_ line: String) { ProcessIO.write(fd: 2, line + "\n") }

    public func hasProgram(_ name: String) -> Bool { SearchPath.executable(name) != nil }

    private func spawn(_ argv: [String], input: String?, file: String?, captureOutput: Bool, quiet: Bool) -> (status: Int32, output: String) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // wg-quick ignores SIGPIPE (a child may exit before reading its input); its children must not.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        func makePipe() -> (read: Int32, write: Int32)? {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { return nil }
            fds.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
            return (fds[0], fds[1])
        }
        // Each pipe end the child needs is dup2'ed into place (which clears close-on-exec there).
        let stdinPipe = input != nil ? makePipe() : nil
        if let p = stdinPipe { posix_spawn_file_actions_adddup2(&actions, p.read, 0) }
        let filePipe = file != nil ? makePipe() : nil
        if let p = filePipe { posix_spawn_file_actions_adddup2(&actions, p.read, 63) }
        let outputPipe = captureOutput ? makePipe() : nil
        if let p = outputPipe { posix_spawn_file_actions_adddup2(&actions, p.write, 1) }
        if quiet { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }

        let program = argv
        let cArgs = program.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, program[0], &actions, &attributes, cArgs, environ)
        // The child's ends are closed here, so a child that exits early makes our writes fail, not block.
        [stdinPipe?.read, filePipe?.read, outputPipe?.write].compactMap { $0 }.forEach { close($0) }
        guard spawned == 0 else {
            [stdinPipe?.write, filePipe?.write, outputPipe?.read].compactMap { $0 }.forEach { close($0) }
            if !quiet { say("\(argv[0]): \(String(cString: strerror(spawned)))") }
            return (127, "")
        }
        // Inputs are small (a configuration, a few rules) and the child reads them before answering.
        if let p = stdinPipe { ProcessIO.write(fd: p.write, input!); close(p.write) }
        if let p = filePipe { ProcessIO.write(fd: p.write, file!); close(p.write) }
        var output: [UInt8] = []
        if let p = outputPipe {
            var chunk = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(p.read, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                output += chunk[0..<n]
            }
            close(p.read)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, String(decoding: output, as: UTF8.self))
    }
}

/// PATH as wg-quick searches it.
enum SearchPath {
    /// PATH, or the usual directories when it is unset.
    static var value: String { getenv("PATH").map { String(cString: $0) } ?? "/usr/sbin:/usr/bin:/sbin:/bin" }

    /// Where `name` runs from (bash's `type -P`): the first executable of that name on PATH, or `name` itself
    /// when it holds a slash and is executable.
    static func executable(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        return value.split(separator: ":").lazy.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }
}
