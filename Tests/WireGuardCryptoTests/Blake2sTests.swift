// SPDX-License-Identifier: MIT

import Testing
import WireGuardCrypto
import WireGuardTestSupport

@Suite struct Blake2sTests {
    @Test func abcRFC7693() {
        #expect(Blake2s.hash(Array("abc".utf8)).bytes.hex == "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982")
    }

    /// Kernel selftest / BLAKE2 reference KATs: input 00 01 .. (len-1), key 00..1f for the keyed column.
    @Test(arguments: [
        (0, "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9", "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"),
        (1, "e34d74dbaf4ff4c6abd871cc220451d2ea2648846c7757fbaac82fe51ad64bea", "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"),
        (2, "ddad9ab15dac4549ba42f49d262496bef6c0bae1dd342a8808f8ea267c6e210c", "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803"),
        (64, "56f34e8b96557e90c1f24b52d0c89d51086acf1b00f634cf1dde9233b8eaaa3e", "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4"),
        (255, "f03f5789d3336b80d002d59fdf918bdb775b00956ed5528e86aa994acb38fe2d", "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd"),
    ])
    func referenceVectors(length: Int, unkeyed: String, keyed: String) {
        let input = (0..<length).map { UInt8($0) }
        #expect(Blake2s.hash(input).bytes.hex == unkeyed)
        var s = Blake2s(key: (0..<32).map { UInt8($0) })
        s.update(input)
        #expect(s.finalize().hex == keyed)
    }

    /// Feeding the input in odd-sized pieces gives the same digest as one call.
    @Test func incrementalMatchesOneShot() {
        let input = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var s = Blake2s()
        var i = 0
        for step in [1, 63, 64, 65, 3, 200, 128] where i < input.count {
            s.update(Array(input[i..<min(input.count, i + step)]))
            i += step
        }
        s.update(Array(input[min(i, input.count)...]))
        #expect(s.finalize() == Blake2s.hash(input).bytes)
    }

    /// RFC 7693 Appendix E self-test: digest lengths 16/20/28/32, input lengths 0/3/64/65/255/1024, unkeyed
    /// and keyed, all fed into one BLAKE2s-256.
    @Test func rfc7693SelfTest() {
        func sequence(_ length: Int, seed: UInt32) -> [UInt8] {
            var a = 0xDEAD_4BAD &* seed
            var b: UInt32 = 1
            var out: [UInt8] = []
            for _ in 0..<length {
                let t = a &+ b
                a = b
                b = t
                out.append(UInt8(truncatingIfNeeded: t >> 24))
            }
            return out
        }
        var total = Blake2s()
        for outlen in [16, 20, 28, 32] {
            for inlen in [0, 3, 64, 65, 255, 1024] {
                let input = sequence(inlen, seed: UInt32(inlen))
                var plain = Blake2s(outputLength: outlen)
                plain.update(input)
                total.update(plain.finalize())
                var keyed = Blake2s(outputLength: outlen, key: sequence(outlen, seed: UInt32(outlen)))
                keyed.update(input)
                total.update(keyed.finalize())
            }
        }
        #expect(total.finalize().hex == "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe")
    }

    /// MAC is BLAKE2s with a 16-byte digest parameter, not a truncated 32-byte hash.
    @Test func macIsNotTruncation() {
        let key = [UInt8](repeating: 0x6B, count: 32)
        #expect(Blake2s.mac(key: key, Array("x".utf8)).hex == "a5ee80d192128b85369c25344d5ada2f")
        var full = Blake2s(key: key)
        full.update(Array("x".utf8))
        #expect(full.finalize().prefix(16).map { $0 }.hex == "943f1c914db52e2247f734e28b0c5cb7")
    }

    @Test func wireGuardInitialValues() {
        let ci = Blake2s.hash(Array("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".utf8))
        #expect(ci.bytes.hex == "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36")
        let hi = Blake2s.hash(ci, Array("WireGuard v1 zx2c4 Jason@zx2c4.com".utf8))
        #expect(hi.bytes.hex == "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3")
    }
}

@Suite struct KDFTests {
    /// wireguard-go kdf_test.go vectors.
    @Test(arguments: [
        ("746573742d6b6579", "746573742d696e707574",
         "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
         "df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
         "fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24"),
        ("776972656775617264", "776972656775617264",
         "491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8",
         "1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f",
         "31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160"),
        ("", "",
         "8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
         "58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
         "0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e"),
    ])
    func vectors(key: String, input: String, t1: String, t2: String, t3: String) {
        let k = [UInt8](hex: key), i = [UInt8](hex: input)
        #expect(KDF.kdf1(key: k, input: i).bytes.hex == t1)
        let (a, b) = KDF.kdf2(key: k, input: i)
        #expect([a.bytes.hex, b.bytes.hex] == [t1, t2])
        let (x, y, z) = KDF.kdf3(key: k, input: i)
        #expect([x.bytes.hex, y.bytes.hex, z.bytes.hex] == [t1, t2, t3])
    }

    /// A key longer than the 64-byte block is hashed first (RFC 2104).
    @Test func longKeyIsHashed() {
        let long = [UInt8](repeating: 7, count: 100)
        let hashed = Blake2s.hash(long).bytes
        #expect(HMACBlake2s.authenticate(key: long, [1, 2, 3] as [UInt8]).bytes ==
                HMACBlake2s.authenticate(key: hashed, [1, 2, 3] as [UInt8]).bytes)
    }
}
