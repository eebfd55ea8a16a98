// SPDX-License-Identifier: MIT
// The Internet checksum (RFC 1071): a 16-bit one's-complement sum of big-endian 16-bit words.
//
// Two facts make a fast implementation possible (RFC 1071 §2):
//  - one's-complement addition is associative and commutative, so the 16-bit words can be summed in
//    wider lanes (here 64 bits, with every carry out of the top added back in) and folded at the end;
//    2^16 ≡ 1 (mod 0xFFFF), so where a word sits inside a wider lane does not matter, only whether it
//    starts at an even byte offset;
//  - the sum is byte-order independent: summing the words in the wrong byte order gives the byte-swapped
//    result, so the loop loads words in host order and swaps once at the end.

/// The Internet checksum over raw bytes, with an unfolded 64-bit accumulator.
///
/// An accumulator is a 64-bit one's-complement sum whose fold (`fold(_:)`) is the 16-bit one's-complement
/// sum of the covered bytes read as big-endian 16-bit words. Accumulators add with `combine(_:_:)` (or by
/// passing one as `initial`), as long as every range but the last has an even length: an odd range leaves
/// its final byte in the high half of a word, which only holds if nothing follows in that word.
public enum Checksum {
    /// A folded sum equal to this means the covered bytes, checksum field included, verify.
    public static let valid: UInt16 = 0xFFFF

    /// Returns `initial` plus the one's-complement sum of `count` bytes at `p` (any alignment). An odd final
    /// byte counts as the high byte of a word whose low byte is zero. The result is an unfolded accumulator.
    public static func sum(_ p: UnsafeRawPointer, count: Int, initial: UInt64 = 0) -> UInt64 {
        // Two independent add-with-carry chains let the CPU retire two additions per cycle; the carries
        // out of the top are counted and added back in once at the end (each is worth 2^64 ≡ 1).
        var a: UInt64 = 0
        var b: UInt64 = 0
        var carries: UInt64 = 0
        var i = 0
        var overflow = false
        while i &+ 64 <= count {
            (a, overflow) = a.addingReportingOverflow(p.raw64(i)); carries &+= overflow ? 1 : 0
            (b, overflow) = b.addingReportingOverflow(p.raw64(i &+ 8)); carries &+= overflow ? 1 : 0
            (a, overflow) = a.addingReportingOverflow(p.raw64(i &+ 16)); carries &+= overflow ? 1 : 0
            (b, overflow) = b.addingReportingOverflow(p.raw64(i &+ 24)); carries &+= overflow ? 1 : 0
            (a, overflow) = a.addingReportingOverflow(p.raw64(i &+ 32)); carries &+= overflow ? 1 : 0
            (b, overflow) = b.addingReportingOverflow(p.raw64(i &+ 40)); carries &+= overflow ? 1 : 0
            (a, overflow) = a.addingReportingOverflow(p.raw64(i &+ 48)); carries &+= overflow ? 1 : 0
            (b, overflow) = b.addingReportingOverflow(p.raw64(i &+ 56)); carries &+= overflow ? 1 : 0
            i &+= 64
        }
        while i &+ 8 <= count {
            (a, overflow) = a.addingReportingOverflow(p.raw64(i)); carries &+= overflow ? 1 : 0
            i &+= 8
        }
        // Fewer than 8 bytes remain, all starting at even offsets except possibly the last byte.
        var tail: UInt64 = 0
        let rest = count &- i
        if rest & 4 != 0 {
            tail &+= UInt64(p.raw32(i))
            i &+= 4
        }
        if rest & 2 != 0 {
            tail &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i &+= 2
        }
        if rest & 1 != 0 {
            // The lone byte is the first (high, big-endian) byte of a zero-padded word: in host order that
            // word reads as the byte itself on a little-endian machine.
            tail &+= UInt64(UInt16(littleEndian: UInt16(p.u8(i))))
        }
        let host = combine(combine(combine(a, b), carries), tail)
        return combine(UInt64(bigEndian: host), initial)
    }

    /// Adds two accumulators with end-around carry.
    @inline(__always)
    public static func combine(_ x: UInt64, _ y: UInt64) -> UInt64 {
        let (s, overflow) = x.addingReportingOverflow(y)
        return s &+ (overflow ? 1 : 0)
    }

    /// Folds an accumulator to 16 bits (end-around carry), not complemented. A non-zero accumulator folds to
    /// 1...0xFFFF; only zero folds to zero.
    @inline(__always)
    public static func fold(_ sum: UInt64) -> UInt16 {
        var x = (sum & 0xFFFF_FFFF) &+ (sum >> 32)
        x = (x & 0xFFFF_FFFF) &+ (x >> 32)
        x = (x & 0xFFFF) &+ (x >> 16)
        x = (x & 0xFFFF) &+ (x >> 16)
        return UInt16(truncatingIfNeeded: x)
    }

    /// The checksum field value for an accumulator that covers everything with the field zeroed:
    /// the complement of its fold.
    @inline(__always)
    public static func finish(_ sum: UInt64) -> UInt16 { ~fold(sum) }

    /// The accumulator of the TCP/UDP pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1): both addresses, the
    /// protocol number and the transport length (header plus payload, in bytes). `source` and `destination`
    /// point at `addressLength` bytes (4 for IPv4, 16 for IPv6; any other even length is summed generically),
    /// typically inside the packet's IP header.
    @inline(__always)
    public static func pseudoHeaderSum(source: UnsafeRawPointer, destination: UnsafeRawPointer, addressLength: Int,
                                       protocol proto: UInt8, length: Int) -> UInt64 {
        let lengthAndProtocol = UInt64(truncatingIfNeeded: length) &+ UInt64(proto)
        let host: UInt64
        switch addressLength {
        case Layout.ipv4AddressLength:
            host = UInt64(source.raw32(0)) &+ UInt64(destination.raw32(0))
        case Layout.ipv6AddressLength:
            host = combine(combine(source.raw64(0), source.raw64(8)),
                           combine(destination.raw64(0), destination.raw64(8)))
        default:
            return sum(source, count: addressLength,
                       initial: sum(destination, count: addressLength, initial: lengthAndProtocol))
        }
        // The length and protocol are values (already in big-endian word order); the addresses were
        // loaded in host order and are swapped into the same order before adding.
        return combine(UInt64(bigEndian: host), lengthAndProtocol)
    }

    /// Whether an accumulator over bytes that include their checksum field verifies (folds to 0xFFFF).
    @inline(__always)
    public static func isValid(_ sum: UInt64) -> Bool { fold(sum) == valid }

    /// Computes an IPv4 header checksum in place: zeroes the field, sums `headerLength` bytes
    /// (options included) and stores the complement.
    @inline(__always)
    public static func finishIPv4Header(_ header: UnsafeMutableRawPointer, headerLength: Int) {
        header.setBE16(Layout.ipv4Checksum, 0)
        header.setBE16(Layout.ipv4Checksum, finish(sum(header, count: headerLength)))
    }

    /// Computes a full TCP or UDP checksum in place, ignoring the field's old contents: zeroes the field at
    /// `checksumOffset` (16 for TCP, 6 for UDP), sums `length` bytes of header and payload at `segment` on
    /// top of `pseudoHeader` (from `pseudoHeaderSum`, with the same length) and stores the complement. For
    /// UDP (`isUDP`) a result of zero is stored as 0xFFFF, because zero on the wire means "no checksum".
    @inline(__always)
    public static func finishTransport(_ segment: UnsafeMutableRawPointer, length: Int, checksumOffset: Int,
                                       pseudoHeader: UInt64, isUDP: Bool) {
        segment.setBE16(checksumOffset, 0)
        var value = finish(sum(segment, count: length, initial: pseudoHeader))
        if isUDP && value == 0 { value = Layout.udpZeroChecksum }
        segment.setBE16(checksumOffset, value)
    }
}
