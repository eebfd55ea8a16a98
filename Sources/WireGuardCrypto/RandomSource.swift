// SPDX-License-Identifier: MIT

import CWireGuardCrypto

/// Where randomness comes from. The protocol core never reads system randomness itself: it is handed a
/// source, so tests can make every key, index and jitter reproducible.
public protocol RandomSource: AnyObject {
    /// Fills `buffer` with random bytes.
    func fill(_ buffer: UnsafeMutableRawBufferPointer)
}

extension RandomSource {
    /// A random `UInt32` (receiver indices).
    public func nextUInt32() -> UInt32 {
        var v: UInt32 = 0
        withUnsafeMutableBytes(of: &v) { fill($0) }
        return v
    }

    /// A uniformly distributed integer in `0..<bound` (timer jitter).
    public func uniform(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        var v: UInt64 = 0
        let limit = UInt64.max - UInt64.max % bound
        repeat { withUnsafeMutableBytes(of: &v) { fill($0) } } while v >= limit
        return v % bound
    }

    /// `count` random bytes held as a secret.
    public func secret(_ count: Int = 32) -> Secret { Secret(count: count) { fill($0) } }

    /// `count` random bytes.
    public func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buf, n in
            fill(UnsafeMutableRawBufferPointer(buf))
            n = count
        }
    }
}

/// The kernel's random number generator via getrandom(2). For the daemon, the CLIs and benchmarks;
/// never used inside the protocol core.
public final class SystemRandom: RandomSource, @unchecked Sendable {
    public init() {}

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count > 0 else { return }
        guard wg_getrandom(buffer.baseAddress!, buffer.count) == 1 else { fatalError("getrandom failed") }
    }
}
