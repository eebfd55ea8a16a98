// SPDX-License-Identifier: MIT
// What the metrics endpoint answers to the bytes a client has sent so far: pure, tested with bytes alone.
// Only `GET /metrics` (a query string is ignored) gets the exposition; the head must end within
// `maxHeadBytes`; nothing after the head is read (every response closes the connection).

/// The metrics endpoint's decision about one request.
enum MetricsRequest: Equatable {
    /// The head has not ended yet: read more.
    case incomplete
    case metrics
    case notFound
    case methodNotAllowed
    case badRequest
    /// No end of head within `maxHeadBytes`.
    case tooLarge

    /// The most a request head may take (request line and headers).
    static let maxHeadBytes = 4096

    /// The decision for the `bytes` received so far.
    static func judge(_ bytes: some Collection<UInt8>) -> MetricsRequest {
        let head = Array(bytes.prefix(maxHeadBytes))
        guard let end = headEnd(head) else { return bytes.count >= maxHeadBytes ? .tooLarge : .incomplete }
        let lineEnd = head[..<end].firstIndex(of: UInt8(ascii: "\n")) ?? end
        var line = head[..<lineEnd]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].starts(with: Array("HTTP/1.".utf8)), parts[2].count == 8,
              !parts[0].isEmpty, parts[0].allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }),
              parts[1].first == UInt8(ascii: "/") else { return .badRequest }
        let path = parts[1].split(separator: UInt8(ascii: "?"), maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard path.elementsEqual("/metrics".utf8) else { return .notFound }
        return parts[0].elementsEqual("GET".utf8) ? .metrics : .methodNotAllowed
    }

    /// The index just past the blank line ending the head (CRLF CRLF, or bare LF LF as servers accept).
    private static func headEnd(_ head: [UInt8]) -> Int? {
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var i = 0
        while i < head.count {
            if head[i] == lf {
                if i + 1 < head.count && head[i + 1] == lf { return i + 2 }
                if i + 2 < head.count && head[i + 1] == cr && head[i + 2] == lf { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    /// The complete response (status line, headers, body) for a decided request; `body` is the exposition.
    static func response(_ verdict: MetricsRequest, body: () -> String) -> [UInt8] {
        let (status, extra, text): (String, String, String)
        switch verdict {
        case .metrics: (status, extra, text) = ("200 OK", "Content-Type: \(MetricsExposition.contentType)\r\n", body())
        case .notFound: (status, extra, text) = ("404 Not Found", "Content-Type: text/plain\r\n", "not found: try /metrics\n")
        case .methodNotAllowed: (status, extra, text) = ("405 Method Not Allowed", "Allow: GET\r\nContent-Type: text/plain\r\n", "only GET\n")
        case .tooLarge: (status, extra, text) = ("431 Request Header Fields Too Large", "Content-Type: text/plain\r\n", "request too large\n")
        case .badRequest, .incomplete: (status, extra, text) = ("400 Bad Request", "Content-Type: text/plain\r\n", "bad request\n")
        }
        let payload = Array(text.utf8)
        let head = "HTTP/1.1 \(status)\r\n\(extra)Content-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + payload
    }
}
