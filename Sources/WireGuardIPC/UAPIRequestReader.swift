// SPDX-License-Identifier: MIT
// Splitting a UAPI connection's byte stream into requests (wireguard-go uapi.go `IpcHandle`). A connection
// may carry several operations; each is an operation line, key=value lines, and a blank line. Bytes are
// buffered until a request is complete, so a request is only acted on once it is whole: a truncated one
// changes nothing.

import WireGuardModel

public struct UAPIRequestReader {
    /// One complete request, or the reason the connection must answer with an error or close.
    public enum Request: Equatable {
        case get
        /// The `key=value` lines of a `set=1` request.
        case set([Substring])
        /// Reply with this error, then close the connection.
        case failed(UAPIError)
        /// Neither `get=1` nor `set=1`: close the connection without a reply.
        case unknownOperation(String)
    }

    /// Requests larger than this are refused (100,000 allowed IPs take about 3 MB).
    public static let maximumRequestSize = 256 << 20

    private var buffer: [UInt8] = []
    /// Where the search for the blank line resumes.
    private var scanned = 0

    public init() {}

    /// True when no partial request is buffered.
    public var isEmpty: Bool { buffer.isEmpty }

    /// Adds bytes read from the connection.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }

    /// The next complete request, if one is buffered. With `atEOF` (the peer closed its side), a partial
    /// request yields a failure instead of waiting for more.
    public mutating func next(atEOF: Bool = false) -> Request? {
        guard !buffer.isEmpty else { return nil }
        guard let lineEnd = buffer.firstIndex(of: 0x0A) else {
            if atEOF || buffer.count > 64 { return operationOrTruncated(buffer[...], atEOF: atEOF) }
            return nil
        }
        let operation = buffer[..<lineEnd]
        switch String(decoding: operation, as: UTF8.self) {
        case "get=1":
            guard buffer.count > lineEnd + 1 else { return atEOF ? truncated() : nil }
            let following = buffer[lineEnd + 1]
            consume(upTo: lineEnd + 2)
            return following == 0x0A ? .get : .failed(.invalid("trailing character in UAPI get"))
        case "set=1":
            guard let blank = blankLine(from: lineEnd) else {
                if atEOF { return truncated() }
                if buffer.count > Self.maximumRequestSize { return .failed(.invalid("UAPI request too large")) }
                return nil
            }
            let body = String(decoding: buffer[(lineEnd + 1)..<blank], as: UTF8.self)
            consume(upTo: blank + 1)
            return .set(Self.lines(body))
        default:
            let text = String(decoding: operation.prefix(64), as: UTF8.self)
            buffer.removeAll()
            return .unknownOperation(text)
        }
    }

    /// The `\n`-terminated lines of `body`, found in one pass over its bytes (a large `set` has 150,000).
    static func lines(_ body: String) -> [Substring] {
        var copy = body
        let ends: [Int] = copy.withUTF8 { bytes in bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") } }
        var lines: [Substring] = []
        lines.reserveCapacity(ends.count)
        let utf8 = body.utf8
        var start = utf8.startIndex, offset = 0
        for end in ends {
            let stop = utf8.index(start, offsetBy: end - offset)
            lines.append(body[start..<stop])
            start = utf8.index(after: stop)
            offset = end + 1
        }
        return lines
    }

    /// The index of the `\n` that ends the request (the second of two consecutive newlines), searching
    /// from the end of the operation line.
    private mutating func blankLine(from lineEnd: Int) -> Int? {
        var i = max(scanned, lineEnd)
        while i + 1 < buffer.count {
            if buffer[i] == 0x0A && buffer[i + 1] == 0x0A { return i + 1 }
            i += 1
        }
        scanned = max(lineEnd, buffer.count - 1)
        return nil
    }

    private mutating func consume(upTo end: Int) {
        // A consumed whole buffer gives its capacity back: a large `set` would otherwise keep megabytes
        // allocated for the connection while it is parsed and applied.
        if end == buffer.count { buffer = [] } else { buffer.removeFirst(end) }
        scanned = 0
    }

    private mutating func truncated() -> Request {
        buffer.removeAll()
        scanned = 0
        return .failed(.protocolError("UAPI request ended before its blank line"))
    }

    private mutating func operationOrTruncated(_ line: ArraySlice<UInt8>, atEOF: Bool) -> Request {
        let text = String(decoding: line.prefix(64), as: UTF8.self)
        if text == "get=1" || text == "set=1" { return truncated() }
        buffer.removeAll()
        return .unknownOperation(text)
    }
}
