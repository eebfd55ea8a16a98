// SPDX-License-Identifier: MIT

#if canImport(Glibc)
import Glibc
#endif

/// Entry point of the `wg` executable.
public enum WGMain {
    public static func run() -> Int32 {
        let io = ProcessIO()
        let command = WGCommand(programName: CommandLine.arguments.first ?? "wg", io: io, now: { Int64(time(nil)) })
        return command.run(Array(CommandLine.arguments.dropFirst()))
    }
}
