// SPDX-License-Identifier: MIT
// `wg`, with wireguard-tools' grammar, output and messages.
#if canImport(Glibc)
import Glibc
#endif
import WireGuardTools

exit(WGMain.run())
