// SPDX-License-Identifier: MIT
import Testing
import WireGuardIPC
import WireGuardModel

@Suite struct UAPIRequestReaderTests {
    private func feed(_ reader: inout UAPIRequestReader, _ text: String) {
        Array(text.utf8).withUnsafeBytes { reader.append($0) }
    }

    @Test func getAndSetOnOneConnection() {
        var reader = UAPIRequestReader()
        feed(&reader, "get=1\n\nset=1\nlisten_port=1\nfwmark=2\n\nget=1\n")
        #expect(reader.next() == .get)
        #expect(reader.next() == .set(["listen_port=1", "fwmark=2"]))
        #expect(reader.next() == nil)  // the second get has no blank line yet
        feed(&reader, "\n")
        #expect(reader.next() == .get)
        #expect(reader.isEmpty)
    }

    @Test func requestArrivingByteByByte() {
        var reader = UAPIRequestReader()
        let text = "set=1\nprivate_key=00\nreplace_peers=true\n\n"
        var results: [UAPIRequestReader.Request] = []
        for byte in text.utf8 {
            [byte].withUnsafeBytes { reader.append($0) }
            if let r = reader.next() { results.append(r) }
        }
        #expect(results == [.set(["private_key=00", "replace_peers=true"])])
    }

    @Test func emptySetBody() {
        var reader = UAPIRequestReader()
        feed(&reader, "set=1\n\n")
        #expect(reader.next() == .set([]))
    }

    @Test func truncatedSetFailsAtEOFWithoutApplying() {
        var reader = UAPIRequestReader()
        feed(&reader, "set=1\nlisten_port=5\n")
        #expect(reader.next() == nil)
        guard case .failed(let error)? = reader.next(atEOF: true) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == 71)
    }

    @Test func getWithTrailingGarbageIsInvalid() {
        var reader = UAPIRequestReader()
        feed(&reader, "get=1\nx\n")
        guard case .failed(let error)? = reader.next() else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == 22)
    }

    @Test func unknownOperationClosesWithoutReply() {
        var reader = UAPIRequestReader()
        feed(&reader, "hello=1\n\n")
        #expect(reader.next() == .unknownOperation("hello=1"))
        var other = UAPIRequestReader()
        feed(&other, String(repeating: "x", count: 100))
        #expect(other.next() == .unknownOperation(String(repeating: "x", count: 64)))
    }
}
