// SPDX-License-Identifier: MIT
// A QR symbol as a square of modules, and its two renderings: text of UTF-8 half blocks (two module rows per
// line) and 8-bit gray pixels for a PNG. Pure: the symbol comes from QREncoder (libqrencode).

public struct QRMatrix: Equatable, Sendable {
    /// Modules per side.
    public let size: Int
    /// Row-major, true for a dark module.
    public let dark: [Bool]

    public init(size: Int, dark: [Bool]) {
        precondition(dark.count == size * size, "a QR matrix is square")
        self.size = size
        self.dark = dark
    }

    /// From libqrencode's `data`: one byte per module, bit 0 set for dark.
    public init(size: Int, qrencodeData: [UInt8]) {
        self.init(size: size, dark: qrencodeData.map { $0 & 1 == 1 })
    }

    /// Whether the module at (`row`, `column`) is dark; the quiet zone outside the symbol is light.
    public func isDark(row: Int, column: Int) -> Bool {
        row >= 0 && column >= 0 && row < size && column < size && dark[row * size + column]
    }

    /// The quiet zone in the terminal: the standard asks for 4 modules, scanners read 2, and 2 keep a normal
    /// client config's symbol (version 10 or 11, 57 or 61 modules) within 80 columns.
    public static let terminalQuietZone = 2
    /// The quiet zone in the PNG (the standard's).
    public static let imageQuietZone = 4
    /// Pixels per module in the PNG.
    public static let imageScale = 8

    /// The symbol as lines of half blocks, `quietZone` modules of margin all round. The characters draw the
    /// light modules (the terminal's background shows the dark ones), so the caller gives the lines a light
    /// foreground on a dark background (or relies on a dark terminal): `█` both light, `▀` top light, `▄`
    /// bottom light, space both dark. A last odd row pairs with a light row below.
    public func halfBlockLines(quietZone: Int = terminalQuietZone) -> [String] {
        let first = -quietZone, end = size + quietZone
        return stride(from: first, to: end, by: 2).map { top in
            String((first..<end).map { column -> Character in
                let upper = !isDark(row: top, column: column)
                let lower = top + 1 >= end || !isDark(row: top + 1, column: column)
                switch (upper, lower) {
                case (true, true): return "█"
                case (true, false): return "▀"
                case (false, true): return "▄"
                case (false, false): return " "
                }
            })
        }
    }

    /// 8-bit gray pixels (0 dark, 255 light), row-major, `scale` pixels per module and `quietZone` modules of
    /// margin; `side` is the image's width and height.
    public func grayPixels(scale: Int = imageScale, quietZone: Int = imageQuietZone) -> (side: Int, pixels: [UInt8]) {
        let side = (size + 2 * quietZone) * scale
        var pixels = [UInt8](repeating: 255, count: side * side)
        for row in 0..<size {
            for column in 0..<size where dark[row * size + column] {
                let y0 = (row + quietZone) * scale, x0 = (column + quietZone) * scale
                for y in y0..<(y0 + scale) {
                    for x in x0..<(x0 + scale) { pixels[y * side + x] = 0 }
                }
            }
        }
        return (side, pixels)
    }
}
