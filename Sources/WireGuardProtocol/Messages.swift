// SPDX-License-Identifier: MIT
// The four WireGuard messages (kernel messages.h). All integers little-endian; the first four bytes are the
// type as a LE32, so non-zero reserved bytes make an unknown type. Classification looks only at
// (type, exact length) and happens before any cryptography.

import WireGuardCrypto

/// Message types, as the LE32 in the first four bytes.
public enum MessageType: UInt32, Sendable {
    case initiation = 1
    case response = 2
    case cookieReply = 3
    case transport = 4

    public static let initiationSize = 148
    public static let responseSize = 92
    public static let cookieReplySize = 64
    public static let transportMinimumSize = 32

    /// The type of a datagram that has exactly the right length for it (at least 32 bytes for transport);
    /// nil for anything else, which is dropped silently.
    public static func classify(_ bytes: UnsafeRawBufferPointer) -> MessageType? {
        guard bytes.count >= 4 else { return nil }
        switch UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)) {
        case 1 where bytes.count == initiationSize: return .initiation
        case 2 where bytes.count == responseSize: return .response
        case 3 where bytes.count == cookieReplySize: return .cookieReply
        case 4 where bytes.count >= transportMinimumSize: return .transport
        default: return nil
        }
    }
}

@inline(__always)
func readLE32(_ b: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
    UInt32(littleEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

@inline(__always)
func appendLE32(_ out: inout [UInt8], _ v: UInt32) {
    for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
}

/// Handshake initiation, type 1, 148 bytes.
public struct HandshakeInitiation: Sendable, Equatable {
    public var senderIndex: UInt32
    public var ephemeral: Bytes32
    public var encryptedStatic: [UInt8]     // 32 + 16
    public var encryptedTimestamp: [UInt8]  // 12 + 16
    public var mac1 = [UInt8](repeating: 0, count: 16)
    public var mac2 = [UInt8](repeating: 0, count: 16)

    public init(senderIndex: UInt32, ephemeral: Bytes32, encryptedStatic: [UInt8], encryptedTimestamp: [UInt8]) {
        self.senderIndex = senderIndex
        self.ephemeral = ephemeral
        self.encryptedStatic = encryptedStatic
        self.encryptedTimestamp = encryptedTimestamp
    }

    /// Nil unless `bytes` is a 148-byte type-1 message.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard MessageType.classify(bytes) == .initiation else { return nil }
        senderIndex = readLE32(bytes, 4)
        ephemeral = Bytes32(UnsafeRawBufferPointer(rebasing: bytes[8..<40]))!
        encryptedStatic = Array(bytes[40..<88])
        encryptedTimestamp = Array(bytes[88..<116])
        mac1 = Array(bytes[116..<132])
        mac2 = Array(bytes[132..<148])
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(MessageType.initiationSize)
        appendLE32(&out, MessageType.initiation.rawValue)
        appendLE32(&out, senderIndex)
        out += ephemeral.bytes + encryptedStatic + encryptedTimestamp + mac1 + mac2
        return out
    }
}

/// Handshake response, type 2, 92 bytes.
public struct HandshakeResponse: Sendable, Equatable {
    public var senderIndex: UInt32
    public var receiverIndex: UInt32
    public var ephemeral: Bytes32
    public var encryptedNothing: [UInt8]  // 16-byte tag
    public var mac1 = [UInt8](repeating: 0, count: 16)
    public var mac2 = [UInt8](repeating: 0, count: 16)

    public init(senderIndex: UInt32, receiverIndex: UInt32, ephemeral: Bytes32, encryptedNothing: [UInt8]) {
        self.senderIndex = senderIndex
        self.receiverIndex = receiverIndex
        self.ephemeral = ephemeral
        self.encryptedNothing = encryptedNothing
    }

    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard MessageType.classify(bytes) == .response else { return nil }
        senderIndex = readLE32(bytes, 4)
        receiverIndex = readLE32(bytes, 8)
        ephemeral = Bytes32(UnsafeRawBufferPointer(rebasing: bytes[12..<44]))!
        encryptedNothing = Array(bytes[44..<60])
        mac1 = Array(bytes[60..<76])
        mac2 = Array(bytes[76..<92])
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(MessageType.responseSize)
        appendLE32(&out, MessageType.response.rawValue)
        appendLE32(&out, senderIndex)
        appendLE32(&out, receiverIndex)
        out += ephemeral.bytes + encryptedNothing + mac1 + mac2
        return out
    }
}

/// Cookie reply, type 3, 64 bytes.
public struct CookieReply: Sendable, Equatable {
    public var receiverIndex: UInt32
    public var nonce: [UInt8]            // 24
    public var encryptedCookie: [UInt8]  // 16 + 16

    public init(receiverIndex: UInt32, nonce: [UInt8], encryptedCookie: [UInt8]) {
        self.receiverIndex = receiverIndex
        self.nonce = nonce
        self.encryptedCookie = encryptedCookie
    }

    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard MessageType.classify(bytes) == .cookieReply else { return nil }
        receiverIndex = readLE32(bytes, 4)
        nonce = Array(bytes[8..<32])
        encryptedCookie = Array(bytes[32..<64])
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(MessageType.cookieReplySize)
        appendLE32(&out, MessageType.cookieReply.rawValue)
        appendLE32(&out, receiverIndex)
        out += nonce + encryptedCookie
        return out
    }
}

/// Transport data header: type 4, receiver index, LE64 counter; ciphertext and tag follow.
public enum TransportHeader {
    public static let receiverOffset = 4
    public static let counterOffset = 8
    public static let contentOffset = 16

    @inline(__always)
    static func write(to p: UnsafeMutableRawPointer, receiverIndex: UInt32, counter: UInt64) {
        p.storeBytes(of: MessageType.transport.rawValue.littleEndian, toByteOffset: 0, as: UInt32.self)
        p.storeBytes(of: receiverIndex.littleEndian, toByteOffset: receiverOffset, as: UInt32.self)
        p.storeBytes(of: counter.littleEndian, toByteOffset: counterOffset, as: UInt64.self)
    }

    @inline(__always)
    static func receiverIndex(_ b: UnsafeRawBufferPointer) -> UInt32 { readLE32(b, receiverOffset) }

    @inline(__always)
    static func counter(_ b: UnsafeRawBufferPointer) -> UInt64 {
        UInt64(littleEndian: b.loadUnaligned(fromByteOffset: counterOffset, as: UInt64.self))
    }
}
