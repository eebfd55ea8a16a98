// SPDX-License-Identifier: MIT
// The process around `WGQuick`, set up as linux.bash sets itself up: its own directory first in PATH (so `wg`
// and the daemon beside it are the ones used, by wg-quick and by hooks), the C locale, SIGPIPE ignored, and
// re-run through sudo when not root.

#if canImport(Glibc)
import Glibc
#endif

public enum WGQuickMain {
    public static func run() -> Int32 {
        let arguments = CommandLine.arguments
        let program = String(arguments.first?.split(separator: "/").last ?? "wg-quick")
        let executable = selfPath()
        if let slash = executable.lastIndex(of: "/") {
            setenv("PATH", "\(executable[..<slash]):\(SearchPath.value)", 1)
        }
        setenv("LC_ALL", "C", 1)
        signal(SIGPIPE, SIG_IGN)
        let io = ProcessIO()
        let needsRoot = arguments.count == 3 && ["up", "down", "save", "strip"].contains(arguments[1])
        if needsRoot && getuid() != 0 {
            let sudo = ["sudo", "-p", "\(program) must be run as root. Please enter the password for %u to continue: ",
                        "--", executable] + arguments.dropFirst()
            let cArgs = sudo.map { strdup($0) } + [nil]
            execvp("sudo", cArgs)
            io.writeError("\(program) must be run as root (and sudo is not available: \(String(cString: strerror(errno))))\n")
            return 1
        }
        let daemon = io.environment["WG_QUICK_USERSPACE_IMPLEMENTATION"] ?? "wireguard-swift"
        return WGQuick(programName: program, io: io, runner: SystemCommandRunner(), daemon: daemon)
            .run(Array(arguments.dropFirst()))
    }

    private static func selfPath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }
}
