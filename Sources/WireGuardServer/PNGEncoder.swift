// SPDX-License-Identifier: MIT
// Gray pixels → PNG bytes with libpng's simplified write API (png_image_write_to_memory: no setjmp, no
// callbacks), as wg-server writes NAME.png and `show --png`.

import CPNG

public enum PNGEncoder {
    /// A PNG of a `side`×`side` 8-bit gray image.
    public static func encode(side: Int, gray pixels: [UInt8]) throws(ServerError) -> [UInt8] {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(side)
        image.height = png_uint_32(side)
        image.format = png_uint_32(PNG_FORMAT_GRAY)
        var size = 0
        // The first call computes the size, the second writes.
        guard png_image_write_to_memory(&image, nil, &size, 0, pixels, 0, nil) != 0, size > 0 else {
            throw ServerError("libpng: \(message(image))")
        }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, pixels, 0, nil) }
        guard ok != 0 else { throw ServerError("libpng: \(message(image))") }
        return Array(out[0..<size])
    }

    private static func message(_ image: png_image) -> String {
        var copy = image.message
        return withUnsafeBytes(of: &copy) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
