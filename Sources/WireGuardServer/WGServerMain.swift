// SPDX-License-Identifier: MIT
// The process around `ServerCommand`: its own directory first in PATH, as wg-quick does, so that the `wg` and
// `wg-quick` beside it apply changes to a running interface.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardTools

/// Entry point of the `wg-server` executable.
public enum WGServerMain {
    public static func run() -> Int32 {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 {
            let executable = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let slash = executable.lastIndex(of: "/") {
                let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/sbin:/usr/bin:/sbin:/bin"
                setenv("PATH", "\(executable[..<slash]):\(path)", 1)
            }
        }
        signal(SIGPIPE, SIG_IGN)
        let program = String(CommandLine.arguments.first?.split(separator: "/").last ?? "wg-server")
        return ServerCommand(programName: program, io: ProcessIO(), system: LinuxServerSystem())
            .run(Array(CommandLine.arguments.dropFirst()))
    }
}
