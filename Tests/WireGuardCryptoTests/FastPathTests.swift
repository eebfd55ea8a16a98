// SPDX-License-Identifier: MIT
// Guards for the fast paths: AEAD contexts that only change the nonce between packets (provider functions
// called directly), per-thread one-shot contexts, X25519 keys loaded once with a per-thread peer object,
// and the allocation-free HMAC/KDF/Noise forms. Each is compared with an independent way to the same bytes.

import Dispatch
import Testing
@testable import WireGuardCrypto
import WireGuardTestSupport

/// One result slot per concurrent iteration; each slot is written by exactly one thread.
private struct Slots: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Bool>
    init(_ count: Int) { buffer = .allocate(capacity: count); buffer.initialize(repeating: false) }
    func set(_ i: Int, _ value: Bool) { buffer[i] = value }
    var all: Bool { buffer.allSatisfy { $0 } }
    func release() { buffer.deallocate() }
}

/// Counters that exercise every nonce byte: small, around 2^32, large, and the last ones.
private let counters: [UInt64] = Array(0..<40) + [255, 256, 65_535, 65_536, 0xFFFF_FFFF, 0x1_0000_0000, 0x1_0000_0001,
                                                  0x0807_0605_0403_0201, 0x7FFF_FFFF_FFFF_FFFF, .max - 1, .max]

@Suite struct AEADContextReuseTests {
    /// Many packets of changing length and counter through one sealing and one opening context: each
    /// equals the one-shot seal (a fresh key per call) and the same packet sealed through EVP, and opens.
    @Test func manyPacketsThroughOneContextMatchOneShotAndEVP() throws {
        let key = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) }
        let sealer = try #require(ChaCha20Poly1305Context(key: key, sealing: true))
        let opener = try #require(ChaCha20Poly1305Context(key: key, sealing: false))
        let evpSealer = try #require(ChaCha20Poly1305Context(key: key, sealing: true, throughEVP: true))
        let evpOpener = try #require(ChaCha20Poly1305Context(key: key, sealing: false, throughEVP: true))
        for (i, counter) in counters.enumerated() {
            let length = (i * 97) % 1500
            let plain = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }
            var fast = plain + [UInt8](repeating: 0, count: 16)
            var evp = fast
            #expect(fast.withUnsafeMutableBytes { sealer.seal(counter: counter, buffer: $0.baseAddress!, count: length) })
            #expect(evp.withUnsafeMutableBytes { evpSealer.seal(counter: counter, buffer: $0.baseAddress!, count: length) })
            let oneShot = ChaCha20Poly1305.seal(key: key, counter: counter, plaintext: plain, ad: [UInt8]())
            #expect(fast == oneShot, "counter \(counter), length \(length)")
            #expect(evp == oneShot, "counter \(counter), length \(length)")
            var viaEVP = fast
            #expect(fast.withUnsafeMutableBytes { opener.open(counter: counter, buffer: $0.baseAddress!, count: length) })
            #expect(viaEVP.withUnsafeMutableBytes { evpOpener.open(counter: counter, buffer: $0.baseAddress!, count: length) })
            #expect(Array(fast[0..<length]) == plain && Array(viaEVP[0..<length]) == plain)
        }
    }

    /// A packet that fails to open (wrong counter, flipped bit, flipped tag) leaves the context usable: the
    /// next genuine packet opens.
    @Test func failedOpenDoesNotPoisonTheContext() throws {
        let key = [UInt8](repeating: 0x24, count: 32)
        let sealer = try #require(ChaCha20Poly1305Context(key: key, sealing: true))
        let opener = try #require(ChaCha20Poly1305Context(key: key, sealing: false))
        for counter in counters.prefix(12) {
            var packet = sunscreen + [UInt8](repeating: 0, count: 16)
            let n = sunscreen.count
            #expect(packet.withUnsafeMutableBytes { sealer.seal(counter: counter, buffer: $0.baseAddress!, count: n) })
            for tamper in [0, n - 1, n + 15] {
                var bad = packet
                bad[tamper] ^= 0x80
                #expect(!bad.withUnsafeMutableBytes { opener.open(counter: counter, buffer: $0.baseAddress!, count: n) })
            }
            var wrong = packet
            #expect(!wrong.withUnsafeMutableBytes { opener.open(counter: counter &+ 1, buffer: $0.baseAddress!, count: n) })
            #expect(packet.withUnsafeMutableBytes { opener.open(counter: counter, buffer: $0.baseAddress!, count: n) })
            #expect(Array(packet[0..<n]) == sunscreen)
        }
    }

    /// Additional data through a context matches the one-shot form and the EVP calls.
    @Test func additionalDataThroughAContext() throws {
        let key = [UInt8](repeating: 0x11, count: 32), ad = [UInt8](hex: "50515253c0c1c2c3c4c5c6c7")
        let sealer = try #require(ChaCha20Poly1305Context(key: key, sealing: true))
        let evpSealer = try #require(ChaCha20Poly1305Context(key: key, sealing: true, throughEVP: true))
        let opener = try #require(ChaCha20Poly1305Context(key: key, sealing: false))
        for counter in counters.prefix(8) {
            var buf = sunscreen + [UInt8](repeating: 0, count: 16), evp = buf
            let n = sunscreen.count
            let sealed = ad.withUnsafeBytes { a in
                buf.withUnsafeMutableBytes { sealer.seal(counter: counter, buffer: $0.baseAddress!, count: n, ad: a) }
            }
            let sealedEVP = ad.withUnsafeBytes { a in
                evp.withUnsafeMutableBytes { evpSealer.seal(counter: counter, buffer: $0.baseAddress!, count: n, ad: a) }
            }
            #expect(sealed && buf == ChaCha20Poly1305.seal(key: key, counter: counter, plaintext: sunscreen, ad: ad))
            #expect(sealedEVP && evp == buf)
            let opened = ad.withUnsafeBytes { a in
                buf.withUnsafeMutableBytes { opener.open(counter: counter, buffer: $0.baseAddress!, count: n, ad: a) }
            }
            #expect(opened && Array(buf[0..<n]) == sunscreen)
        }
    }

    /// One-shot calls on many threads at once (each thread keeps its own wiped context) agree with a
    /// context used on one thread.
    @Test func oneShotsOnManyThreads() throws {
        let key = [UInt8](repeating: 0x5C, count: 32)
        let sealer = try #require(ChaCha20Poly1305Context(key: key, sealing: true))
        let expected: [[UInt8]] = (0..<64).map { i in
            var b = [UInt8](repeating: UInt8(i), count: 100 + i) + [UInt8](repeating: 0, count: 16)
            _ = b.withUnsafeMutableBytes { sealer.seal(counter: UInt64(i), buffer: $0.baseAddress!, count: 100 + i) }
            return b
        }
        let results = Slots(64)
        defer { results.release() }
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let plain = [UInt8](repeating: UInt8(i), count: 100 + i)
            let sealed = ChaCha20Poly1305.seal(key: key, counter: UInt64(i), plaintext: plain, ad: [UInt8]())
            let opened = ChaCha20Poly1305.open(key: key, counter: UInt64(i), ciphertext: sealed, ad: [UInt8]())
            results.set(i, sealed == expected[i] && opened == plain)
        }
        #expect(results.all)
    }
}

@Suite struct X25519KeyPairTests {
    /// RFC 7748 §6.1 through loaded keys, and one key used with many points agrees with the one-shot DH.
    @Test func loadedKeysMatchRFCAndOneShot() throws {
        let alice = [UInt8](hex: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        let bob = [UInt8](hex: "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
        let a = try #require(X25519.KeyPair(privateKey: alice)), b = try #require(X25519.KeyPair(privateKey: bob))
        #expect(a.publicKey.bytes.hex == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(b.publicKey.bytes.hex == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(a.sharedSecret(with: b.publicKey)?.bytes.hex == shared)
        #expect(b.sharedSecret(with: a.publicKey)?.bytes.hex == shared)
        let random = SeededRandom(seed: 9)
        for _ in 0..<16 {
            let other = X25519.generatePrivateKey(using: random)
            let point = try #require(X25519.publicKey(for: other))
            let viaKey = try #require(a.sharedSecret(with: point))
            #expect(viaKey.bytes == X25519.sharedSecret(privateKey: alice, publicKey: point)?.bytes)
            #expect(viaKey.bytes == X25519.sharedSecret(privateKey: other, publicKey: a.publicKey)?.bytes)
        }
    }

    /// Low-order points give nil (and a zeroed output buffer); the key still works afterwards.
    @Test func lowOrderPointsAreRefusedAndTheKeyStillWorks() throws {
        let key = try #require(X25519.KeyPair(privateKey: [UInt8](repeating: 0x42, count: 32)))
        let peer = try #require(X25519.KeyPair(privateKey: [UInt8](repeating: 0x17, count: 32)))
        let expected = try #require(key.sharedSecret(with: peer.publicKey)).bytes
        for low in ["0000000000000000000000000000000000000000000000000000000000000000",
                    "0100000000000000000000000000000000000000000000000000000000000000",
                    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"] {
            var out = [UInt8](repeating: 0xEE, count: 32)
            #expect(!out.withUnsafeMutableBytes { key.sharedSecret(with: [UInt8](hex: low), into: $0) })
            #expect(out == [UInt8](repeating: 0, count: 32))
            #expect(key.sharedSecret(with: peer.publicKey)?.bytes == expected)
        }
        #expect(key.sharedSecret(with: [UInt8](repeating: 9, count: 31)) == nil)
        #expect(X25519.KeyPair(privateKey: [UInt8](repeating: 1, count: 33)) == nil)
    }

    /// Keys used on many threads (each thread has its own peer object) give the same secrets.
    @Test func keysOnManyThreads() throws {
        let random = SeededRandom(seed: 4)
        let privates = (0..<16).map { _ in X25519.generatePrivateKey(using: random).bytes }
        let publics = try privates.map { try #require(X25519.publicKey(for: $0)) }
        let results = Slots(16)
        defer { results.release() }
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            let j = (i + 5) % 16
            let mine = X25519.KeyPair(privateKey: privates[i])
            let other = X25519.sharedSecret(privateKey: privates[j], publicKey: publics[i])?.bytes
            results.set(i, other != nil && mine?.sharedSecret(with: publics[j])?.bytes == other)
        }
        #expect(results.all)
    }
}

@Suite struct AllocationFreeFormsTests {
    /// KDF into buffers equals the `Secret` form, also with the first output overwriting the key.
    @Test func kdfIntoBuffersMatchesSecrets() {
        let key = (0..<32).map { UInt8($0) }, input = [UInt8](hex: "746573742d696e707574")
        let (s1, s2, s3) = KDF.kdf3(key: key, input: input)
        var chain = key, t2 = [UInt8](repeating: 0, count: 32), t3 = t2
        chain.withUnsafeMutableBytes { c in
            t2.withUnsafeMutableBytes { b in
                t3.withUnsafeMutableBytes { d in
                    input.withUnsafeBytes { KDF.derive(key: UnsafeRawBufferPointer(c), input: $0, into: c, b, d) }
                }
            }
        }
        #expect([chain, t2, t3] == [s1.bytes, s2.bytes, s3.bytes])
    }

    /// The symmetric state encrypts and decrypts in step, and a failed decryption changes nothing.
    @Test func noiseStateRoundTripAndFailure() throws {
        let random = SeededRandom(seed: 12)
        let a = try #require(X25519.KeyPair(privateKey: X25519.generatePrivateKey(using: random)))
        let b = try #require(X25519.KeyPair(privateKey: X25519.generatePrivateKey(using: random)))
        let start = NoiseSymmetricState(chainingKey: Blake2s.hash([1] as [UInt8]), hash: Blake2s.hash([2] as [UInt8]))
        var x = start, y = start
        #expect(x.mixDH(a, b.publicKey, andKey: true) && y.mixDH(b, a.publicKey, andKey: true))
        var sealed = [UInt8](repeating: 0, count: sunscreen.count + 16)
        #expect(sealed.withUnsafeMutableBytes { x.encryptAndHash(sunscreen, into: $0) })
        var tampered = sealed
        tampered[3] ^= 1
        let before = y.hash
        var out = [UInt8](repeating: 0, count: sealed.count)
        #expect(!out.withUnsafeMutableBytes { y.decryptAndHash(tampered, into: $0) })
        #expect(y.hash == before)
        #expect(out.withUnsafeMutableBytes { y.decryptAndHash(sealed, into: $0) })
        #expect(Array(out[0..<sunscreen.count]) == sunscreen && x.hash == y.hash)
        x.mixPresharedKey([UInt8](repeating: 3, count: 32))
        y.mixPresharedKey([UInt8](repeating: 3, count: 32))
        let (i1, i2) = x.split(), (r1, r2) = y.split()
        #expect(i1.bytes == r1.bytes && i2.bytes == r2.bytes && i1.bytes != i2.bytes)
        x.wipe()
        #expect(x.hash.isZero && x.withChainingKey { ConstantTime.isZero($0) } && x.withKey { ConstantTime.isZero($0) })
    }
}
