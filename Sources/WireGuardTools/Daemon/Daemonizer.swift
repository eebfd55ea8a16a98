// SPDX-License-Identifier: MIT
// Going to the background without fork(): re-execute /proc/self/exe in a new session with the TUN and the
// UAPI listener as descriptors 3 and 4 (WG_TUN_FD=3, WG_UAPI_FD=4, WG_PROCESS_FOREGROUND=1), as wireguard-go
// does. Standard input is /dev/null; output too, unless LOG_LEVEL asks for logs.

#if canImport(Glibc)
import Glibc
#endif
import WireGuardIPC

enum Daemonizer {
    /// glibc's POSIX_SPAWN_SETSID (spawn.h, behind _GNU_SOURCE, which the Glibc module does not import).
    static let posixSpawnSetSID: Int32 = 0x80

    static func spawnForeground(tunFD: Int32, uapiFD: Int32, arguments: [String], environment: [String: String],
                                keepOutput: Bool) throws(SystemError) {
        // Move the descriptors out of the way first: dup2 onto the same number would keep close-on-exec.
        let tunHigh = fcntl(tunFD, F_DUPFD_CLOEXEC, 10)
        let uapiHigh = fcntl(uapiFD, F_DUPFD_CLOEXEC, 10)
        guard tunHigh >= 0, uapiHigh >= 0 else { throw .last("fcntl(F_DUPFD_CLOEXEC)") }
        defer {
            close(tunHigh)
            close(uapiHigh)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if !keepOutput {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, tunHigh, 3)
        posix_spawn_file_actions_adddup2(&actions, uapiHigh, 4)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new session, and the default signal mask (the parent blocked SIGINT/SIGTERM for its signalfd;
        // the child blocks them again itself).
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(posixSpawnSetSID | POSIX_SPAWN_SETSIGMASK))

        var env = environment
        env["WG_TUN_FD"] = "3"
        env["WG_UAPI_FD"] = "4"
        env["WG_PROCESS_FOREGROUND"] = "1"
        let argv = ["wireguard-swift"] + arguments
        let envp = env.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let rc = withCStrings(argv) { cargv in
            withCStrings(envp) { cenvp in
                posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, cargv, cenvp)
            }
        }
        guard rc == 0 else { throw SystemError("posix_spawn", errno: rc) }
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return body(pointers)
    }
}
