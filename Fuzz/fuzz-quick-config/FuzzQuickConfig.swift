// SPDX-License-Identifier: MIT
// Fuzz target: the wg-quick configuration reader (QuickConfiguration), then `wg setconf` of the stripped
// file, as `wg-quick up` does it. A stripped file holds none of wg-quick's keys in [Interface], and what wg
// accepts must round-trip through the daemon's parser.

import FuzzSupport
import FuzzToolsSupport
import WireGuardTools

@main
enum FuzzQuickConfig {
    static func main() {
        FuzzDriver.main(run)
    }

    static func run(_ input: UnsafeRawBufferPointer) {
        guard let configuration = try? QuickConfiguration(parsing: String(decoding: input, as: UTF8.self)) else { return }
        // Stripping is idempotent: nothing in the stripped file is wg-quick's.
        guard let again = try? QuickConfiguration(parsing: configuration.wgConfig) else {
            preconditionFailure("the stripped configuration does not parse")
        }
        precondition(again.wgConfig == configuration.wgConfig, "stripping twice changed the file")
        guard let update = FuzzTools.readConfig(Array(configuration.stripped.utf8), append: false) else { return }
        FuzzTools.checkRoundTrip(update)
    }
}
