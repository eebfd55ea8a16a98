// SPDX-License-Identifier: MIT

import Testing
@testable import WireGuardProtocol
import WireGuardTestSupport

@Suite struct ReplayFilterTests {
    static let w = ReplayFilter.windowSize
    static let tLim = w + 1
    static let r = Constants.rejectAfterMessages

    /// The kernel's selftest/counter.c table (as ported by wireguard-go), fed in order to one filter.
    @Test func kernelCounterTable() {
        let t = ReplayFilterTests.tLim, r = ReplayFilterTests.r
        let steps: [(UInt64, Bool)] = [
            (0, true), (1, true), (1, false), (9, true), (8, true), (7, true), (7, false), (t, true), (t - 1, true),
            (t - 1, false), (t - 2, true), (2, true), (2, false), (t + 16, true), (3, false), (t + 16, false),
            (4 * t, true), (4 * t - (t - 1), true), (10, false), (4 * t - t, false), (4 * t - (t + 1), false),
            (4 * t - (t - 2), true), (4 * t + 1 - t, false), (0, false),
            (r, false), (r - 1, true), (r, false), (r - 1, false), (r - 2, true), (r + 1, false), (r + 2, false),
            (r - 2, false), (r - 3, true), (0, false),
        ]
        let f = Ref(ReplayFilter())
        for (i, (counter, expected)) in steps.enumerated() {
            #expect(f { $0.validate(counter) } == expected, "step \(i + 1): counter \(counter)")
        }
    }

    @Test func bulk() {
        let w = ReplayFilterTests.w
        let f = Ref(ReplayFilter())
        for i in 1...w { #expect(f { $0.validate(i) }) }
        #expect(f { $0.validate(0) }); #expect(!f { $0.validate(0) })

        f.value = ReplayFilter()
        for i in 2...(w + 1) { #expect(f { $0.validate(i) }) }
        #expect(f { $0.validate(1) }); #expect(!f { $0.validate(0) })

        f.value = ReplayFilter()
        for i in stride(from: w + 1, through: 1, by: -1) { #expect(f { $0.validate(i) }) }

        f.value = ReplayFilter()
        for i in stride(from: w + 2, through: 2, by: -1) { #expect(f { $0.validate(i) }) }
        #expect(!f { $0.validate(0) })

        f.value = ReplayFilter()
        for i in stride(from: w, through: 1, by: -1) { #expect(f { $0.validate(i) }) }
        #expect(f { $0.validate(w + 1) }); #expect(!f { $0.validate(0) })

        f.value = ReplayFilter()
        for i in stride(from: w, through: 1, by: -1) { #expect(f { $0.validate(i) }) }
        #expect(f { $0.validate(0) }); #expect(f { $0.validate(w + 1) })
    }

    /// Differential test against a naive set: accept iff unseen and within the window of the highest seen.
    @Test(arguments: [1, 2, 3, 4])
    func randomizedAgainstNaiveSet(seed: UInt64) {
        let random = SeededRandom(seed: seed)
        let f = Ref(ReplayFilter())
        var seen = Set<UInt64>()
        var highest: UInt64 = 0
        var base: UInt64 = 0
        for _ in 0..<20_000 {
            let roll = random.next() % 100
            if roll < 2 { base += random.next() % 20_000 }  // occasional jump forward
            let counter = base + random.next() % 9_000
            let expected = !seen.contains(counter) && (counter > highest || highest - counter <= ReplayFilter.windowSize)
            #expect(f { $0.validate(counter) } == expected)
            if expected {
                seen.insert(counter)
                highest = max(highest, counter)
            }
        }
    }
}
