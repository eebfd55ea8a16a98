// SPDX-License-Identifier: MIT
// `wg-quick`, with wireguard-tools' grammar and `[#]` echo.
#if canImport(Glibc)
import Glibc
#endif
import WireGuardTools

exit(WGQuickMain.run())
