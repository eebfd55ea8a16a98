// SPDX-License-Identifier: MIT
// The kernel's generator read in blocks: a flood answered with cookie replies needs 24 random bytes per
// reply, and one getrandom(2) per reply would be a system call per packet.

import CWireGuardCrypto

/// Randomness from getrandom(2), drawn `blockSize` bytes at a time. Bytes handed out are wiped from the
/// buffer at once, so nothing returned stays in memory here. For the daemon (injected into the engine);
/// not thread-safe: one user at a time (the daemon's engine lock).
public final class BufferedRandom: RandomSource, @unchecked Sendable {
    /// Bytes fetched per getrandom call.
    public static let blockSize = 4096
    private let buffer: UnsafeMutableRawBufferPointer
    private var offset: Int

    public init() {
        buffer = .allocate(byteCount: Self.blockSize, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        offset = Self.blockSize
    }

    deinit {
        Secret.wipe(buffer)
        buffer.deallocate()
    }

    public func fill(_ out: UnsafeMutableRawBufferPointer) {
        guard out.count > 0 else { return }
        if out.count > Self.blockSize {
            guard wg_getrandom(out.baseAddress!, out.count) == 1 else { fatalError("getrandom failed") }
            return
        }
        if Self.blockSize - offset < out.count {
            guard wg_getrandom(buffer.baseAddress!, Self.blockSize) == 1 else { fatalError("getrandom failed") }
            offset = 0
        }
        let taken = UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + out.count)])
        out.copyMemory(from: UnsafeRawBufferPointer(taken))
        Secret.wipe(taken)
        offset += out.count
    }
}
