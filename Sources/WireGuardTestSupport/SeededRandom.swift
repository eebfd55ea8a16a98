// SPDX-License-Identifier: MIT

import WireGuardCrypto

/// A deterministic `RandomSource` (SplitMix64): the same seed gives the same keys, indices and jitter.
public final class SeededRandom: RandomSource, RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in 0..<1.
    public func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var i = 0
        while i < buffer.count {
            var v = next()
            withUnsafeBytes(of: &v) { src in
                for j in 0..<min(8, buffer.count - i) { buffer[i + j] = src[j] }
            }
            i += 8
        }
    }
}

/// A `RandomSource` that hands out scripted byte strings, one per `fill` call, then falls back to a seeded
/// generator. Reproduces published traces whose ephemeral keys and indices are fixed.
public final class ScriptedRandom: RandomSource {
    private var script: [[UInt8]]
    private let fallback: SeededRandom

    public init(_ script: [[UInt8]], seed: UInt64 = 1) {
        self.script = script
        fallback = SeededRandom(seed: seed)
    }

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        if let first = script.first, first.count == buffer.count {
            script.removeFirst()
            buffer.copyBytes(from: first)
        } else {
            fallback.fill(buffer)
        }
    }
}

extension Array where Element == UInt8 {
    /// Bytes from hex text; whitespace is ignored. Traps on malformed input (test fixtures only).
    public init(hex: String) {
        let digits = hex.filter { !$0.isWhitespace }
        precondition(digits.count % 2 == 0, "odd hex length")
        var out: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            out.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        self = out
    }

    /// Lowercase hex.
    public var hex: String { map { String(format2: $0) }.joined() }
}

extension String {
    fileprivate init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}

/// A reference box, so tests can call mutating methods inside `#expect`.
public final class Ref<Value> {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    /// Runs `body` on the boxed value: `box { $0.mutatingCall() }`.
    public func callAsFunction<R>(_ body: (inout Value) -> R) -> R { body(&value) }
}
