// SPDX-License-Identifier: MIT
// BufferedRandom: getrandom in 4 KiB blocks, every byte handed out once.

import Testing
@testable import WireGuardCrypto

@Suite struct BufferedRandomTests {
    @Test func neverHandsOutTheSameBytesTwice() {
        let random = BufferedRandom()
        // 24-byte draws (cookie nonces) across several refills: all distinct.
        var seen = Set<[UInt8]>()
        let draws = 3 * BufferedRandom.blockSize / 24
        for _ in 0..<draws { seen.insert(random.bytes(24)) }
        #expect(seen.count == draws)
        #expect(!seen.contains([UInt8](repeating: 0, count: 24)), "the wiped buffer is never returned")
    }

    @Test func drawsOfEverySize() {
        let random = BufferedRandom()
        let big = random.bytes(BufferedRandom.blockSize + 100)
        #expect(big.count == BufferedRandom.blockSize + 100 && Set(big).count > 200, "larger than a block: straight from the kernel")
        let rest = random.bytes(BufferedRandom.blockSize - 1)
        let across = random.bytes(2)  // does not fit what is left of the block: a refill
        #expect(rest.count == BufferedRandom.blockSize - 1 && across.count == 2)
        #expect(random.bytes(0).isEmpty)
    }
}
