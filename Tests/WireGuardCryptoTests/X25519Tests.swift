// SPDX-License-Identifier: MIT

import Testing
import WireGuardCrypto
import WireGuardTestSupport

@Suite struct X25519Tests {
    /// RFC 7748 §5.2 (unclamped scalars: the curve operation clamps).
    @Test(arguments: [
        ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
         "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
         "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
        ("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
         "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
         "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
    ])
    func rfc7748(scalar: String, u: String, out: String) throws {
        let r = try #require(X25519.sharedSecret(privateKey: [UInt8](hex: scalar), publicKey: [UInt8](hex: u)))
        #expect(r.bytes.hex == out)
    }

    /// RFC 7748 §5.2 iterated: after 1 and 1,000 iterations.
    @Test func iterated() throws {
        var k = [UInt8](repeating: 0, count: 32)
        k[0] = 9
        var u = k
        for i in 1...1000 {
            let r = try #require(X25519.sharedSecret(privateKey: k, publicKey: u)).bytes
            u = k
            k = r
            if i == 1 { #expect(k.hex == "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079") }
        }
        #expect(k.hex == "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
    }

    /// RFC 7748 §6.1.
    @Test func diffieHellman() throws {
        let alice = [UInt8](hex: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        let bob = [UInt8](hex: "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
        let alicePub = try #require(X25519.publicKey(for: alice))
        let bobPub = try #require(X25519.publicKey(for: bob))
        #expect(alicePub.bytes.hex == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(bobPub.bytes.hex == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let s1 = try #require(X25519.sharedSecret(privateKey: alice, publicKey: bobPub))
        let s2 = try #require(X25519.sharedSecret(privateKey: bob, publicKey: alicePub))
        #expect(s1.bytes.hex == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        #expect(s1.bytes == s2.bytes)
    }

    /// Kernel curve25519 selftest pairs whose result is all zero: WireGuard must refuse them.
    @Test(arguments: [
        ("0102030400000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000"),
        ("0204060800000000000000000000000000000000000000000000000000000000", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        ("202e8972b61c7e61930eb9450b5070eae1c670475685541f0476217e4818cfab", "0100000000000000000000000000000000000000000000000000000000000000"),
        ("78f1e8edf14481b389448dac8f59c70b038e7cf92ef2c7eff57a72466e115296", "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
        ("a0a05a3e8f9f44204d5f8059a94ac7dfc39a49ac016dd743dbfa43c5d671fd88", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        ("d0dbb3ed1906663f15420af31f4eaf6509d9a9949723500605ad7c1c6e7450a9", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        ("480bf45f594942a8bc0f3353c6e8b8853d77f351f1c2ca6c2d1abf8a00b4229c", "0000000000000000000000000000000000000000000000000000000000000080"),
    ])
    func allZeroResultIsRefused(scalar: String, point: String) {
        #expect(X25519.sharedSecret(privateKey: [UInt8](hex: scalar), publicKey: [UInt8](hex: point)) == nil)
    }

    @Test func clampingAndGeneration() {
        var k = [UInt8](repeating: 0xFF, count: 32)
        k.withUnsafeMutableBytes { X25519.clamp($0) }
        #expect(k[0] == 0xF8 && k[31] == 0x7F)
        let random = SeededRandom(seed: 3)
        let a = X25519.generatePrivateKey(using: random).bytes
        #expect(a[0] & 7 == 0 && a[31] & 0x80 == 0 && a[31] & 0x40 != 0)
    }
}

@Suite struct SecretTests {
    @Test func secretsAndConstantTime() {
        let s = Secret([1, 2, 3] as [UInt8])
        #expect(s.bytes == [1, 2, 3])
        #expect(!s.isZero && Secret.zeros().isZero)
        #expect(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
        #expect(Bytes32([UInt8](repeating: 1, count: 31)) == nil)
    }

    /// The wipe used when a secret is released zeroes memory, and a copy is independent of its source.
    @Test func wipeZeroesMemory() {
        var bytes = [UInt8](repeating: 0xAB, count: 64)
        let copy = Secret(bytes)
        bytes.withUnsafeMutableBytes { Secret.wipe($0) }
        #expect(bytes.allSatisfy { $0 == 0 })
        #expect(copy.bytes.allSatisfy { $0 == 0xAB })
    }
}
