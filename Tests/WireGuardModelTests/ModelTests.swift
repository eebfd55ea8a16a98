// SPDX-License-Identifier: MIT

import Testing
import WireGuardModel

@Suite struct ModelTests {
    @Test func keyEncodings() throws {
        let key = try #require(PublicKey(base64: "AFVyiWhKHbXJtz0bUlaU0u0xX/hrevJx4jNuQU6mpGw="))
        #expect(key.hex == "00557289684a1db5c9b73d1b525694d2ed315ff86b7af271e2336e414ea6a46c")
        #expect(PublicKey(hex: key.hex) == key)
        #expect(key.shortDescription == "peer(AFVy…mpGw)")
        #expect(PublicKey(base64: "AFVyiWhKHbXJtz0bUlaU0u0xX/hrevJx4jNuQU6mpGw") == nil)
        #expect(PublicKey(base64: "AFVyiWhKHbXJtz0bUlaU0u0xX/hrevJx4jNuQU6mpGx=") == nil, "non-canonical bits")
        #expect(PublicKey(hex: String(key.hex.dropLast())) == nil)
        #expect(PublicKey(hex: "zz" + key.hex.dropFirst(2)) == nil)
        let priv = try #require(PrivateKey(hex: String(repeating: "ff", count: 32)))
        #expect(priv.hex.hasPrefix("f8") && priv.hex.hasSuffix("7f"), "private keys are clamped")
        #expect(PrivateKey(hex: String(repeating: "00", count: 32))?.isZero == true)
        #expect(PrivateKey(hex: String(repeating: "00", count: 32))?.publicKey == nil)
    }

    @Test func prefixesAndEndpoints() {
        #expect(IPPrefix("10.0.0.5/24")?.description == "10.0.0.0/24")
        #expect(IPPrefix("10.0.0.0/33") == nil)
        #expect(IPPrefix("fd00::/129") == nil)
        #expect(IPPrefix("10.0.0.0") == nil)
        #expect(IPPrefix("10.0.0.0/-1") == nil)
        #expect(IPPrefix("::/0")?.description == "::/0")
        #expect(Endpoint("192.0.2.1:51820")?.description == "192.0.2.1:51820")
        #expect(Endpoint("[fd00::1]:51820")?.description == "[fd00::1]:51820")
        #expect(Endpoint("fd00::1:51820") == nil)
        #expect(Endpoint("192.0.2.1:65536") == nil)
        #expect(Endpoint("192.0.2.1") == nil)
        #expect(Endpoint("host.example:1") == nil)
    }
}
