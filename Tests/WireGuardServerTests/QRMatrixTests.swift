// SPDX-License-Identifier: MIT
// QR rendering from known module matrices: the half-block text (light modules drawn, quiet zone included, an
// odd last row), the gray pixels; libqrencode's symbol for a known text; a normal client config within 80
// columns; the PNG's signature and size.

import Foundation
import Testing
@testable import WireGuardServer

@Suite struct QRMatrixTests {
    // X . X
    // . X .
    // X X .
    static let matrix = QRMatrix(size: 3, dark: [true, false, true, false, true, false, true, true, false])

    @Test func halfBlocksWithoutQuietZone() {
        // Rows 0+1, then row 2 over the light row below the symbol.
        #expect(Self.matrix.halfBlockLines(quietZone: 0) == ["▄▀▄", "▄▄█"])
    }

    @Test func halfBlocksWithQuietZone() {
        // Rows -1..3 pair as (-1, 0), (1, 2), (3, light); columns -1..3.
        #expect(Self.matrix.halfBlockLines(quietZone: 1) == ["█▀█▀█", "█▀ ██", "█████"])
    }

    @Test func grayPixels() {
        let (side, pixels) = Self.matrix.grayPixels(scale: 2, quietZone: 1)
        #expect(side == 10)
        let row = { (y: Int) in pixels[(y * side)..<(y * side + side)].map { $0 == 0 ? "#" : "." }.joined() }
        #expect((0..<side).map(row) == [
            "..........", "..........",
            "..##..##..", "..##..##..",
            "....##....", "....##....",
            "..####....", "..####....",
            "..........", "..........",
        ])
    }

    @Test func libqrencodeSymbol() throws {
        let symbol = try QREncoder.encode("wg-server")
        #expect(symbol.size == 21)  // version 1
        // The three finder patterns: dark 7×7 rings with a dark 3×3 centre; the separator light.
        for (r0, c0) in [(0, 0), (0, 14), (14, 0)] {
            for r in 0..<7 {
                for c in 0..<7 {
                    let ring = r == 0 || r == 6 || c == 0 || c == 6
                    let centre = (2...4).contains(r) && (2...4).contains(c)
                    #expect(symbol.isDark(row: r0 + r, column: c0 + c) == (ring || centre))
                }
            }
        }
        #expect(!symbol.isDark(row: 7, column: 7))
        // The timing pattern alternates along row 6.
        #expect((8...12).map { symbol.isDark(row: 6, column: $0) } == [true, false, true, false, true])
    }

    @Test func normalClientConfigFitsEightyColumns() throws {
        let config = try fixture("phone.conf").replacingOccurrences(of: "vpn.example.org", with: "my-server.duckdns.org")
        let lines = try QREncoder.encode(config).halfBlockLines()
        #expect(lines.allSatisfy { $0.count == lines[0].count })
        #expect(lines[0].count <= 80)
        #expect(lines.count <= 40)
    }

    @Test func png() throws {
        let (side, pixels) = Self.matrix.grayPixels(scale: 2, quietZone: 1)
        let bytes = try PNGEncoder.encode(side: side, gray: pixels)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: width and height 10, 8-bit gray.
        #expect(Array(bytes[16..<26]) == [0, 0, 0, 10, 0, 0, 0, 10, 8, 0])
    }
}
