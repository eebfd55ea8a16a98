// SPDX-License-Identifier: MIT
// Fuzz target: the engine's datagram entry point with a configured peer (see EnginePair).
//
// Input: one header byte, then records `[op][length][length bytes]` (the last one cut short by the end).
// Header: bits 0–1 the scenario (EnginePair.Scenario), bit 2 a preshared key, bit 3 persistent keepalive,
// bit 4 under load (MAC2 and the rate limiter required). Record op: bits 0–2 the kind below, bits 3–6 how far
// the clock moves first (`delays`), bit 7 the datagram comes from another source than B's endpoint.
//   0 raw: the bytes as a datagram to A
//   1 shaped: a message of type (byte 0 % 4 + 1) with its exact length (transport: 32 + the rest), zero
//     reserved bytes, the rest from the record; byte 0 bit 7 puts one of A's own indices in the receiver
//     field, bit 6 leaves MAC1 as is (else it is made valid, so the message reaches the cryptography)
//   2 mutated: a pooled datagram (byte 0 picks it) with (position, xor) pairs applied, MAC1 re-made
//     unless byte 0 bit 7
//   3 replayed: a pooled datagram as it was
//   4–6 B sends the bytes through its session as an inner packet (4 as is, 5 as IPv4 and 6 as IPv6 from
//     B's inner address to A's unless byte 1 bit 7 keeps the source) and A gets the result
//   7 A reads the bytes from its TUN

import FuzzSupport
import WireGuardCrypto
import WireGuardModel
import WireGuardProtocol

@main
enum FuzzEngine {
    static let maxRecords = 48
    static let delays: [Duration] = [
        .zero, .milliseconds(1), .milliseconds(20), .milliseconds(100), .seconds(1), .seconds(3), .seconds(5),
        .seconds(10), .seconds(15), .seconds(26), .seconds(60), .seconds(90), .seconds(121), .seconds(180),
        .seconds(360), .seconds(540),
    ]
    static let initiationSize = 148, responseSize = 92, cookieReplySize = 64, transportMinimum = 32
    static let macsSize = 32, macSize = 16
    /// HASH("mac1----" || A's public key): the MAC1 key of messages sent to A.
    static let mac1Key: [UInt8] = {
        var hash = Blake2s()
        hash.update(Array("mac1----".utf8))
        hash.update(EnginePair.keyA.publicKey!.bytes)
        return hash.finalize()
    }()

    static func main() {
        FuzzDriver.main(run)
    }

    static func run(_ input: UnsafeRawBufferPointer) {
        guard let header = input.first else { return }
        let pair = EnginePair(scenario: EnginePair.Scenario(rawValue: header & 3)!, psk: header & 4 != 0,
                              keepalive: header & 8 != 0)
        if header & 16 != 0 { pair.a.reportHandshakeBacklog(Constants.underLoadQueueThreshold, now: pair.now.monotonic) }
        var position = 1
        var records = 0
        while position + 1 < input.count, records < maxRecords {
            let op = input[position]
            let length = min(Int(input[position + 1]), input.count - position - 2)
            let data = Array(input[(position + 2)..<(position + 2 + length)])
            position += 2 + length
            records += 1
            pair.advance(delays[Int(op >> 3) & 15])
            let source = op & 0x80 != 0 ? EnginePair.otherSources[length % EnginePair.otherSources.count] : EnginePair.endpointB
            perform(kind: op & 7, data: data, source: source, pair: pair)
        }
    }

    static func perform(kind: UInt8, data: [UInt8], source: Endpoint, pair: EnginePair) {
        switch kind {
        case 0:
            pair.receiveAtA(data, from: source)
        case 1:
            pair.receiveAtA(shaped(data, pair: pair), from: source)
        case 2:
            guard !pair.pool.isEmpty, let pick = data.first else { return }
            var message = pair.pool[Int(pick) % pair.pool.count]
            var pairs = data.dropFirst()
            while pairs.count >= 2 {
                message[Int(pairs.first!) % message.count] ^= pairs.dropFirst().first!
                pairs = pairs.dropFirst(2)
            }
            if pick & 0x80 == 0 { fixMAC1(&message) }
            pair.receiveAtA(message, from: source)
        case 3:
            guard !pair.pool.isEmpty, let pick = data.first else { return }
            pair.receiveAtA(pair.pool[Int(pick) % pair.pool.count], from: source)
        case 4:
            pair.sendFromB(data, deliver: true)
        case 5, 6:
            pair.sendFromB(addressed(data, v6: kind == 6), deliver: true)
        default:
            pair.sendFromA(data, deliver: true)
        }
    }

    /// A message of a well-formed type and length built around the fuzzer's bytes.
    static func shaped(_ data: [UInt8], pair: EnginePair) -> [UInt8] {
        let control = data.first ?? 0
        let type = control % 4 + 1
        let body = Array(data.dropFirst())
        let size: Int
        switch type {
        case 1: size = initiationSize
        case 2: size = responseSize
        case 3: size = cookieReplySize
        default: size = transportMinimum + max(0, body.count - 4)
        }
        var message = [type, 0, 0, 0] + body.prefix(size - 4)
        message += [UInt8](repeating: 0, count: size - message.count)
        // The receiver field: after the sender index in a response, first in a cookie reply or transport.
        let receiverOffset = type == 2 ? 8 : 4
        if control & 0x80 != 0, type != 1, let index = pair.indicesOfA.last {
            message.replaceSubrange(receiverOffset..<(receiverOffset + 4), with: index)
        }
        if control & 0x40 == 0 { fixMAC1(&message) }
        return message
    }

    /// Makes MAC1 valid for A if `message` has the size of an initiation or a response.
    static func fixMAC1(_ message: inout [UInt8]) {
        guard message.count == initiationSize || message.count == responseSize else { return }
        let macStart = message.count - macsSize
        var mac = Blake2s(outputLength: macSize, key: mac1Key)
        mac.update(Array(message[..<macStart]))
        message.replaceSubrange(macStart..<(macStart + macSize), with: mac.finalize())
    }

    /// An inner packet with the version nibble set and B's address to A's (the source kept if asked).
    static func addressed(_ data: [UInt8], v6: Bool) -> [UInt8] {
        var packet = data
        let (minimum, version, sourceAt, size) = v6 ? (40, UInt8(0x60), 8, 16) : (20, UInt8(0x40), 12, 4)
        guard packet.count >= minimum else { return packet }
        packet[0] = version | (packet[0] & 0x0F)
        let (source, destination) = v6 ? (EnginePair.innerB6, EnginePair.innerA6) : (EnginePair.innerB4, EnginePair.innerA4)
        if packet[1] & 0x80 == 0 { packet.replaceSubrange(sourceAt..<(sourceAt + size), with: source.bytes) }
        packet.replaceSubrange((sourceAt + size)..<(sourceAt + 2 * size), with: destination.bytes)
        return packet
    }
}
