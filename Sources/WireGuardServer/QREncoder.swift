// SPDX-License-Identifier: MIT
// Text → QR symbol with Debian's libqrencode (8-bit mode, the smallest version that fits, error correction L as
// `qrencode` uses by default).

import CQREncode

public enum QREncoder {
    /// The symbol for `text`; an error when it is too long for any QR version.
    public static func encode(_ text: String) throws(ServerError) -> QRMatrix {
        guard let code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_L) else {
            throw ServerError("cannot make a QR code of \(text.utf8.count) bytes")
        }
        defer { QRcode_free(code) }
        let size = Int(code.pointee.width)
        return QRMatrix(size: size, qrencodeData: Array(UnsafeBufferPointer(start: code.pointee.data, count: size * size)))
    }
}
