// SPDX-License-Identifier: MIT
import Testing
@testable import WireGuardOffload

@Suite struct VirtioNetHeaderTests {
    @Test func roundTripIsByteExact() {
        let h = VirtioNetHeader(flags: 1, gsoType: VirtioNetHeader.gsoTCPv4, headerLength: 52, gsoSize: 1368,
                                checksumStart: 20, checksumOffset: 16)
        var bytes = [UInt8](repeating: 0xEE, count: VirtioNetHeader.size)
        bytes.withUnsafeMutableBytes { h.write(to: $0.baseAddress!) }
        #expect(bytes == [1, 1, 52, 0, 0x58, 0x05, 20, 0, 16, 0])
        #expect(bytes.withUnsafeBytes { VirtioNetHeader(from: $0.baseAddress!) } == h)
    }
}
