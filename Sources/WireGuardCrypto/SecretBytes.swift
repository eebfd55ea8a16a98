// SPDX-License-Identifier: MIT
// Fixed-size byte values: `Bytes32` for public values, `Secret` for key material that is wiped on release.

import CWireGuardCrypto

/// Anything that can lend its bytes for the duration of a call. Lets the crypto functions take arrays,
/// slices, `Bytes32` and `Secret` alike without copies.
public protocol BytesRepresentable {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: BytesRepresentable where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: BytesRepresentable where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension UnsafeRawBufferPointer: BytesRepresentable {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(self) }
}

/// Key material on the heap, zeroed when the last reference goes away. Immutable once built, so a
/// `Secret` can be shared like a value.
public final class Secret: BytesRepresentable, @unchecked Sendable {
    private let storage: UnsafeMutableRawPointer
    /// Number of bytes held.
    public let count: Int

    /// A secret of `count` bytes filled by `initializer`; the buffer starts zeroed.
    public init(count: Int, _ initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        self.count = count
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
        do {
            try initializer(UnsafeMutableRawBufferPointer(start: storage, count: count))
        } catch {
            wg_memzero(storage, count)
            storage.deallocate()
            throw error
        }
    }

    /// A copy of `bytes`.
    public convenience init(_ bytes: some BytesRepresentable) {
        let n = bytes.withBytes { $0.count }
        self.init(count: n) { dst in bytes.withBytes { dst.copyMemory(from: $0) } }
    }

    /// `count` zero bytes (WireGuard's "no preshared key").
    public static func zeros(_ count: Int = 32) -> Secret { Secret(count: count) { _ in } }

    /// Zeroes `buffer` in a way the optimizer may not remove.
    public static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
        if let base = buffer.baseAddress { wg_memzero(base, buffer.count) }
    }

    deinit {
        wg_memzero(storage, count)
        storage.deallocate()
    }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    /// A plain copy, for tests and for encoders that must print the key.
    public var bytes: [UInt8] { withBytes { Array($0) } }

    /// True when every byte is zero (constant time).
    public var isZero: Bool { withBytes { ConstantTime.isZero($0) } }
}

/// 32 public bytes stored inline (no allocation): hashes, public keys, MAC keys.
public struct Bytes32: Hashable, Sendable, BytesRepresentable {
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init() {}

    /// Copies exactly 32 bytes; returns nil for any other length.
    public init?(_ bytes: some BytesRepresentable) {
        let ok: Bool = bytes.withBytes { src in
            guard src.count == 32 else { return false }
            Swift.withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) }
            return true
        }
        if !ok { return nil }
    }

    /// Fills the 32 bytes with `initializer`.
    public init(_ initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        try Swift.withUnsafeMutableBytes(of: &storage) { try initializer($0) }
    }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    public var bytes: [UInt8] { withBytes { Array($0) } }
    public var isZero: Bool { withBytes { ConstantTime.isZero($0) } }

    public static func == (a: Bytes32, b: Bytes32) -> Bool {
        a.withBytes { x in b.withBytes { y in ConstantTime.equals(x, y) } }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}
