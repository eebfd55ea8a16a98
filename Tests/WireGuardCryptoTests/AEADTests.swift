// SPDX-License-Identifier: MIT

import Testing
import WireGuardCrypto
import WireGuardTestSupport

let sunscreen = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)

let draftPlaintext = [UInt8](hex: """
    496e7465726e65742d4472616674732061726520647261667420646f63756d65
    6e74732076616c696420666f722061206d6178696d756d206f6620736978206d
    6f6e74687320616e64206d617920626520757064617465642c207265706c6163
    65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65
    6e747320617420616e792074696d652e20497420697320696e617070726f7072
    6961746520746f2075736520496e7465726e65742d4472616674732061732072
    65666572656e6365206d6174657269616c206f7220746f206369746520746865
    6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67
    726573732e2fe2809d
    """)

let draftCiphertext = """
    64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2
    4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf
    332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855
    9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4
    b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e
    af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a
    0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10
    49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29
    a6ad5cb4022b02709beead9d67890cbb22392336fea1851f38
    """.filter { !$0.isWhitespace }

let kernelXChaChaCiphertext = """
    1a6e3ad9fd413f7754720a709aa029922eed93cf0f7188187a9d2d24e0f5ea3d
    5564d7ad2a1a1f7e866db0ce8041728626ee84d7ef829ee2609d5afcf0e41985
    ea09c6fbb3a95009ec5e1190a1c54e49ef50d88fe078d7fdb93bc9f291c825c8
    a76360ce10cdc67ff816f8e10ad9de795033f2160f17bab85dd8df4e51a839d0
    85ca466a10a7a388ef79b9f824f3e0717b7628463a3a1b91b6d43e23e54415bf
    60439da4bbd55f89ebef8efdddb40d46f0692363ae94f55ea5ad131c4176e690
    d66da28f974ca80bcf8d432b9c9bc558a5b6959abf81c654c9660ce54f6a53a1
    e50cba31de3464738a3bbd9201db7169f35899bcd1cb4a05e2589c2517cddc83
    b7fffb0961adbf135b5eed46826f22d893a6855b40395cc59c
    """.filter { !$0.isWhitespace }

@Suite struct ChaCha20Poly1305Tests {
    @Test func rfc8439Section282() {
        let key = [UInt8](hex: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        let nonce = [UInt8](hex: "070000004041424344454647")
        let ad = [UInt8](hex: "50515253c0c1c2c3c4c5c6c7")
        let sealed = nonce.withUnsafeBytes { ChaCha20Poly1305.seal(key: key, nonce: $0, plaintext: sunscreen, ad: ad) }
        #expect(sealed.hex == """
            d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36\
            92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116\
            1ae10b594f09e26a7e902ecbd0600691
            """)
        let opened = nonce.withUnsafeBytes { ChaCha20Poly1305.open(key: key, nonce: $0, ciphertext: sealed, ad: ad) }
        #expect(opened == sunscreen)
    }

    /// Kernel vector 001 (RFC 7539 A.5) through the WireGuard nonce layout: counter = LE64(01 02 .. 08).
    @Test func wireGuardNonceLayout() {
        let key = [UInt8](hex: "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0")
        let ad = [UInt8](hex: "f33388860000000000004e91")
        #expect(draftPlaintext.count == 265)
        let sealed = ChaCha20Poly1305.seal(key: key, counter: 0x0807_0605_0403_0201, plaintext: draftPlaintext, ad: ad)
        #expect(sealed.count == 281)
        #expect(sealed.hex == draftCiphertext)
        #expect(ChaCha20Poly1305.open(key: key, counter: 0x0807_0605_0403_0201, ciphertext: sealed, ad: ad) == draftPlaintext)
    }

    /// In-place seal/open into caller buffers; a flipped bit, wrong counter or wrong AD fails to open.
    @Test func inPlaceAndTamper() throws {
        let key = [UInt8](repeating: 0x42, count: 32)
        let sealer = try #require(ChaCha20Poly1305Context(key: key, sealing: true))
        let opener = try #require(ChaCha20Poly1305Context(key: key, sealing: false))
        var buf = [UInt8](sunscreen) + [UInt8](repeating: 0, count: 16)
        let n = sunscreen.count
        #expect(buf.withUnsafeMutableBytes { sealer.seal(counter: 9, buffer: $0.baseAddress!, count: n) })
        #expect(Array(buf[0..<n]) != sunscreen)
        #expect(Array(buf) == ChaCha20Poly1305.seal(key: key, counter: 9, plaintext: sunscreen, ad: [UInt8]()))
        var wrong = buf
        #expect(!wrong.withUnsafeMutableBytes { opener.open(counter: 8, buffer: $0.baseAddress!, count: n) })
        wrong = buf
        wrong[5] ^= 1
        #expect(!wrong.withUnsafeMutableBytes { opener.open(counter: 9, buffer: $0.baseAddress!, count: n) })
        #expect(buf.withUnsafeMutableBytes { opener.open(counter: 9, buffer: $0.baseAddress!, count: n) })
        #expect(Array(buf[0..<n]) == sunscreen)
        #expect(ChaCha20Poly1305Context(key: [UInt8](repeating: 0, count: 31), sealing: true) == nil)
    }

    @Test func emptyPlaintextIsJustATag() {
        let sealed = ChaCha20Poly1305.seal(key: [UInt8](repeating: 1, count: 32), plaintext: [UInt8](), ad: [UInt8](hex: "0102"))
        #expect(sealed.count == 16)
        #expect(ChaCha20Poly1305.open(key: [UInt8](repeating: 1, count: 32), ciphertext: sealed, ad: [UInt8](hex: "0102")) == [])
        #expect(ChaCha20Poly1305.open(key: [UInt8](repeating: 1, count: 32), ciphertext: sealed, ad: [UInt8](hex: "0103")) == nil)
    }
}

@Suite struct XChaCha20Poly1305Tests {
    @Test func hChaCha20Draft() {
        let key = [UInt8](hex: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
        let nonce = [UInt8](hex: "000000090000004a0000000031415927")
        let out = nonce.withUnsafeBytes { XChaCha20Poly1305.hChaCha20(key: key, nonce: $0) }
        #expect(out.bytes.hex == "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc")
    }

    @Test func draftAppendixA31() {
        let key = [UInt8](hex: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        let nonce = [UInt8](hex: "404142434445464748494a4b4c4d4e4f5051525354555657")
        let ad = [UInt8](hex: "50515253c0c1c2c3c4c5c6c7")
        let sealed = XChaCha20Poly1305.seal(key: key, nonce: nonce, plaintext: sunscreen, ad: ad)
        #expect(sealed.hex == """
            bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452\
            2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e\
            c0875924c1c7987947deafd8780acf49
            """)
        #expect(XChaCha20Poly1305.open(key: key, nonce: nonce, ciphertext: sealed, ad: ad) == sunscreen)
        #expect(XChaCha20Poly1305.open(key: key, nonce: nonce, ciphertext: sealed, ad: [UInt8]()) == nil)
    }

    @Test func kernelVector() {
        let key = [UInt8](hex: "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0")
        let ad = [UInt8](hex: "f33388860000000000004e91")
        let nonce = (0..<24).map { UInt8($0) }
        let sealed = XChaCha20Poly1305.seal(key: key, nonce: nonce, plaintext: draftPlaintext, ad: ad)
        #expect(sealed.hex == kernelXChaChaCiphertext)
        #expect(XChaCha20Poly1305.open(key: key, nonce: nonce, ciphertext: sealed, ad: ad) == draftPlaintext)
    }
}
