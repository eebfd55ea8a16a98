// SPDX-License-Identifier: MIT
// `wg-server`: a WireGuard server with its peers' client configs and QR codes, for wg-quick.
#if canImport(Glibc)
import Glibc
#endif
import WireGuardServer

exit(WGServerMain.run())
