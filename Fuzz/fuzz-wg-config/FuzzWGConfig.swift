// SPDX-License-Identifier: MIT
// Fuzz target: `wg setconf` / `addconf`'s configuration reader (ConfigReader, ConfigValues).
//
// Input: one byte (bit 0: addconf, else setconf), then the file. A file wg accepts must turn into a `set=1`
// request the daemon parses back to the same change.

import FuzzSupport
import FuzzToolsSupport

@main
enum FuzzWGConfig {
    static func main() {
        FuzzDriver.main(run)
    }

    static func run(_ input: UnsafeRawBufferPointer) {
        guard let control = input.first else { return }
        guard let update = FuzzTools.readConfig(input[1...], append: control & 1 != 0) else { return }
        FuzzTools.checkRoundTrip(update)
    }
}
