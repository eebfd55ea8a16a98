// SPDX-License-Identifier: MIT
// Transport seal and open in place at one packet size, beside OpenSSL doing the same per-message AEAD by
// itself (apps/speed.c's AEAD loop, in process) and beside OpenSSL's streaming loop.

import WireGuardCrypto
import WireGuardProtocol

/// Transport figures in Gbit/s.
struct TransportFigures {
    var seal = 0.0, open = 0.0
    /// OpenSSL per message, as apps/speed.c's AEAD loop does it: IV, AAD, payload, Final.
    var referenceSeal = 0.0, referenceOpen = 0.0
    /// OpenSSL's plain EVP_EncryptUpdate loop: no per-message work at all.
    var referenceStream = 0.0
}

enum TransportBenchmark {
    /// Room for the 16-byte header, the payload and the tag.
    static func messageSize(_ payload: Int) -> Int { 16 + payload + 16 }

    static func pair() -> (Keypair, Keypair) {
        let key = Secret([UInt8](repeating: 0x5A, count: 32))
        let sealer = Keypair(sendingKey: key, receivingKey: key, isInitiator: true, localIndex: 1, remoteIndex: 2,
                             created: Instant(nanoseconds: 0))!
        let opener = Keypair(sendingKey: key, receivingKey: key, isInitiator: false, localIndex: 2, remoteIndex: 1,
                             created: Instant(nanoseconds: 0))!
        return (sealer, opener)
    }

    static func run(duration: Double, size: Int) -> TransportFigures {
        let (sealer, opener) = pair()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: messageSize(size), alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xAB, count: messageSize(size))
        var f = TransportFigures()
        let batch = 64

        f.seal = Measure.run(duration, batch: batch) {
            for _ in 0..<batch { _ = sealer.seal(packet: buffer, length: size) }
        }.gbps(bytes: size)

        // A genuine message opens; then, as `openssl speed -decrypt` does, the same buffer is opened again and
        // again: after the first pass the tag no longer matches, but every open still does all the work
        // (Poly1305 over the ciphertext, ChaCha20, the constant-time tag comparison), and no memcpy to
        // restore the message inflates the figure.
        _ = sealer.seal(packet: buffer, length: size)
        precondition(opener.open(message: buffer, length: size + 32) != nil, "a sealed message must open")
        f.open = Measure.run(duration, batch: batch) {
            for _ in 0..<batch { _ = opener.open(message: buffer, length: size + 32) }
        }.gbps(bytes: size)

        // Each reference call sets up its own EVP context: long batches make that cost vanish per message.
        let payload = buffer + 16, long = 4096
        f.referenceSeal = Measure.run(duration, batch: long) {
            _ = OpenSSLReference.aead(buffer: payload, count: size, iterations: long, decrypt: false)
        }.gbps(bytes: size)
        f.referenceOpen = Measure.run(duration, batch: long) {
            _ = OpenSSLReference.aead(buffer: payload, count: size, iterations: long, decrypt: true)
        }.gbps(bytes: size)
        f.referenceStream = Measure.run(duration, batch: long) {
            _ = OpenSSLReference.stream(buffer: payload, count: size, iterations: long)
        }.gbps(bytes: size)
        return f
    }

    /// `--alloc-check N`: N in-place seal and open pairs and nothing else, so that a heap profiler run with
    /// two values of N shows the allocations per packet (the difference divided by the extra packets), and
    /// callgrind the instructions per packet.
    static func allocationCheck(_ n: Int) {
        let (a, b) = pair()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: messageSize(1420), alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: 1, count: messageSize(1420))
        var ok = 0
        for _ in 0..<n {
            if let length = a.seal(packet: buffer, length: 1420), b.open(message: buffer, length: length) != nil { ok += 1 }
        }
        buffer.deallocate()
        print("sealed and opened \(ok) of \(n)")
    }
}
