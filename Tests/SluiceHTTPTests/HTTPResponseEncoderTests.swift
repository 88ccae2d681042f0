import Testing
@testable import SluiceHTTP

@Suite struct HTTPResponseEncoderTests {
    static let date = Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8)

    func encoded(_ status: HTTPStatus = .ok, headers: HTTPHeaders = [:], framing: ResponseFraming, keepAlive: Bool = true,
                 version: HTTPVersion = .http1_1) -> String {
        var out: [UInt8] = []
        HTTPResponseEncoder.encodeHead(into: &out, status: status, headers: headers, framing: framing, keepAlive: keepAlive,
                                       requestVersion: version, date: Self.date)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func encodesHeadWithContentLength() {
        #expect(encoded(headers: ["Content-Type": "text/plain"], framing: .contentLength(12)) ==
            "HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n")
    }

    @Test func marksCloseAndHTTP10KeepAlive() {
        #expect(encoded(framing: .contentLength(0), keepAlive: false).contains("\r\nConnection: close\r\n"))
        #expect(encoded(framing: .contentLength(0), version: .http1_0).contains("\r\nConnection: keep-alive\r\n"))
        #expect(!encoded(framing: .contentLength(0)).contains("Connection"))
    }

    @Test func encodesChunkedFraming() {
        #expect(encoded(framing: .chunked).contains("\r\nTransfer-Encoding: chunked\r\n"))
        var out: [UInt8] = []
        HTTPResponseEncoder.encodeChunk(into: &out, Array(String(repeating: "x", count: 26).utf8))
        #expect(String(decoding: out, as: UTF8.self) == "1a\r\n" + String(repeating: "x", count: 26) + "\r\n")
        var empty: [UInt8] = []
        HTTPResponseEncoder.encodeChunk(into: &empty, [])
        #expect(empty.isEmpty)
    }

    @Test func dropsServerOwnedAndInvalidHeaders() {
        let head = encoded(headers: HTTPHeaders([("Content-Length", "99"), ("Connection", "upgrade"), ("X-Split", "a\r\nInjected: yes"),
                                                 ("Bad Name", "v"), ("X-Ok", "fine")]), framing: .contentLength(1))
        #expect(!head.contains("99"))
        #expect(!head.contains("Injected"))
        #expect(!head.contains("Bad Name"))
        #expect(head.contains("X-Ok: fine"))
        #expect(!head.contains("upgrade"))
    }

    @Test func omitsContentLengthWhereNoContentIsAllowed() {
        #expect(!encoded(.noContent, framing: .contentLength(0)).contains("Content-Length"))
    }

    @Test func formatsIMFFixdate() {
        #expect(String(decoding: HTTPDateCache.format(epochSecond: 0), as: UTF8.self) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(String(decoding: HTTPDateCache.format(epochSecond: 784_111_777), as: UTF8.self) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(String(decoding: HTTPDateCache.format(epochSecond: 1_709_210_096), as: UTF8.self) == "Thu, 29 Feb 2024 12:34:56 GMT")
    }

    @Test func formatsDecimalAndHex() {
        for value in [0, 7, 10, 255, 123_456_789] {
            var decimal: [UInt8] = []
            HTTPResponseEncoder.appendDecimal(value, to: &decimal)
            #expect(String(decoding: decimal, as: UTF8.self) == String(value))
            var hex: [UInt8] = []
            HTTPResponseEncoder.appendHex(value, to: &hex)
            #expect(String(decoding: hex, as: UTF8.self) == String(value, radix: 16))
        }
    }

    @Test func encodesServerSentEvents() {
        let bytes = SSEWriter.encode(data: "line1\nline2", event: "update", id: "7")
        #expect(String(decoding: bytes, as: UTF8.self) == "event: update\nid: 7\ndata: line1\ndata: line2\n\n")
    }
}
