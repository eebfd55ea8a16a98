// SPDX-License-Identifier: MIT
// The client side of UAPI: one connection per operation, as wg(8) does.

#if canImport(Glibc)
import Glibc
#endif

public enum UAPIClient {
    /// Sends `request` (which must end with its blank line) to the socket at `path` and returns the reply
    /// up to and including the blank line after `errno=`, or whatever arrived before the daemon closed.
    public static func exchange(path: String, request: String) throws(SystemError) -> String {
        let fd = try UnixSocket.connect(path: path)
        defer { close(fd) }
        var bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw in send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .last("write to UAPI socket")
            }
            sent += n
        }
        bytes.removeAll(keepingCapacity: true)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress!, raw.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .last("read from UAPI socket")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if UAPIClient.isComplete(bytes) { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True once the reply holds an `errno=` line followed by the blank line.
    static func isComplete(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 2, bytes[bytes.count - 1] == 0x0A, bytes[bytes.count - 2] == 0x0A else { return false }
        // The errno line is the last non-empty one.
        var i = bytes.count - 2
        while i > 0 && bytes[i - 1] != 0x0A { i -= 1 }
        return bytes[i...].starts(with: Array("errno=".utf8))
    }
}
