// SPDX-License-Identifier: MIT
// The userspace WireGuard daemon: `wireguard-swift [-f|--foreground] INTERFACE`.
#if canImport(Glibc)
import Glibc
#endif
import WireGuardTools

exit(DaemonCommand(arguments: CommandLine.arguments, environment: ProcessInfoEnvironment.current).run())
