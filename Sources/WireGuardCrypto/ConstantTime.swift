// SPDX-License-Identifier: MIT

/// Comparisons whose running time depends only on the lengths of their inputs.
public enum ConstantTime {
    /// True when both buffers have the same length and the same bytes.
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var acc: UInt8 = 0
        for i in 0..<a.count { acc |= a[i] ^ b[i] }
        return acc == 0
    }

    /// `equals` for any two byte holders.
    public static func equals(_ a: some BytesRepresentable, _ b: some BytesRepresentable) -> Bool {
        a.withBytes { x in b.withBytes { y in equals(x, y) } }
    }

    /// True when every byte is zero.
    public static func isZero(_ a: UnsafeRawBufferPointer) -> Bool {
        var acc: UInt8 = 0
        for byte in a { acc |= byte }
        return acc == 0
    }
}
