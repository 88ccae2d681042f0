import Testing
@testable import SluiceHTTP

/// Request-smuggling vectors and malformed input: each must be refused with
/// the right error (and therefore status), never parsed leniently.
@Suite struct HTTPRequestParserRejectionTests {
    @Test func rejectsContentLengthWithChunked() {
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Content-Length: 4", "Transfer-Encoding: chunked"], body: "0\r\n\r\n")) == .malformedRequest)
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked", "Content-Length: 4"], body: "0\r\n\r\n")) == .malformedRequest)
    }

    @Test func rejectsConflictingContentLengths() {
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Content-Length: 4", "Content-Length: 5"], body: "abcde")) == .malformedRequest)
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Content-Length: 4, 5"], body: "abcde")) == .malformedRequest)
    }

    @Test(arguments: ["-1", "+4", "4 4", "0x4", "", "4a", "99999999999999999999"])
    func rejectsInvalidContentLength(_ value: String) {
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Content-Length: \(value)"], body: "abcd")) == .malformedRequest)
    }

    @Test func rejectsChunkedThatIsNotFinal() {
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked, identity"], body: "0\r\n\r\n")) == .malformedRequest)
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: identity"], body: "")) == .malformedRequest)
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip"], body: "")) == .malformedRequest)
    }

    @Test func rejectsChunkedTwice() {
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked, chunked"], body: "0\r\n\r\n")) == .malformedRequest)
    }

    @Test func refusesUnsupportedTransferCodingWith501() {
        let kind = parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: gzip, chunked"], body: "0\r\n\r\n"))
        #expect(kind == .unsupportedTransferCoding)
        #expect(HTTPError(.unsupportedTransferCoding, "").status.code == 501)
    }

    @Test func rejectsTransferEncodingInHTTP10() {
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.0", headers: ["Transfer-Encoding: chunked"], body: "0\r\n\r\n")) == .malformedRequest)
    }

    @Test(arguments: ["zz", "-1", "0x10", "", " 5", "1234567890abcdef0", "5 x", "5;\u{1}"])
    func rejectsBadChunkSizes(_ sizeLine: String) {
        let body = "\(sizeLine)\r\nhello\r\n0\r\n\r\n"
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked"], body: body)) == .malformedRequest)
    }

    @Test func rejectsChunkDataWithoutCRLF() {
        let body = "5\r\nhelloXX0\r\n\r\n"
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked"], body: body)) == .malformedRequest)
    }

    @Test func rejectsObsFold() {
        #expect(parseErrorKind(makeRequest(headers: ["Host: a", "X-Folded: one", " two"])) == .malformedRequest)
        #expect(parseErrorKind(makeRequest(headers: ["Host: a", "X-Folded: one", "\ttwo"])) == .malformedRequest)
    }

    @Test func rejectsBareLineFeed() {
        #expect(parseErrorKind("GET / HTTP/1.1\nHost: a\r\n\r\n") == .malformedRequest)
        #expect(parseErrorKind("GET / HTTP/1.1\r\nHost: a\n\r\n") == .malformedRequest)
        #expect(parseErrorKind("GET / HTTP/1.1\r\nHost: a\n\n") == .malformedRequest)
        let chunked = makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked"], body: "5\nhello\r\n0\r\n\r\n")
        #expect(parseErrorKind(chunked) == .malformedRequest)
    }

    @Test func rejectsBareCarriageReturn() {
        #expect(parseErrorKind("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n") == .malformedRequest)
        #expect(parseErrorKind("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n") == .malformedRequest)
    }

    @Test func rejectsControlAndNonASCIIBytesInRequestLine() {
        #expect(parseErrorKind(Array("GET /a\u{0}b HTTP/1.1\r\nHost: a\r\n\r\n".utf8)) == .malformedRequest)
        #expect(parseErrorKind(Array("GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n".utf8)) == .malformedRequest)
        #expect(parseErrorKind([0x47, 0x45, 0x54, 0x20, 0x2F, 0xFF, 0x20] + Array("HTTP/1.1\r\nHost: a\r\n\r\n".utf8)) == .malformedRequest)
        #expect(parseErrorKind("G\u{1}T / HTTP/1.1\r\nHost: a\r\n\r\n") == .malformedRequest)
    }

    @Test func rejectsNULInHeaderValue() {
        #expect(parseErrorKind(Array("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n".utf8)) == .malformedRequest)
    }

    @Test(arguments: ["GET  / HTTP/1.1", "GET / HTTP/1.1 ", "GET /", "GET / http/1.1", "GET / HTTP/1", "GET / HTTP/1.10", " GET / HTTP/1.1", "/ HTTP/1.1"])
    func rejectsMalformedRequestLines(_ line: String) {
        #expect(parseErrorKind(makeRequest(line)) == .malformedRequest)
    }

    @Test func refusesOtherMajorVersionsWith505() {
        #expect(parseErrorKind(makeRequest("GET / HTTP/2.0")) == .versionNotSupported)
    }

    @Test func rejectsWhitespaceBeforeColon() {
        #expect(parseErrorKind(makeRequest(headers: ["Host: a", "X-Bad : b"])) == .malformedRequest)
        #expect(parseErrorKind(makeRequest(headers: ["Host: a", ": novalue"])) == .malformedRequest)
    }

    @Test func requiresExactlyOneHostInHTTP11() {
        #expect(parseErrorKind(makeRequest(headers: [])) == .malformedRequest)
        #expect(parseErrorKind(makeRequest(headers: ["Host: a", "Host: b"])) == .malformedRequest)
        #expect(parseErrorKind(makeRequest("GET / HTTP/1.0", headers: [])) == nil)
    }

    @Test func refusesUnknownExpectationWith417() {
        #expect(parseErrorKind(makeRequest(headers: ["Host: a", "Expect: something"])) == .expectationFailed)
    }

    @Test func refusesHeaderSectionOverLimitWith431() {
        let limits = HTTPParserLimits(maxHeaderSectionBytes: 256)
        #expect(parseErrorKind(makeRequest(headers: ["Host: a", "X-Big: " + String(repeating: "a", count: 300)]), limits: limits) == .headerSectionTooLarge)
        // Without the terminating empty line too: the parser must not wait forever.
        #expect(parseErrorKind("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 400), limits: limits) == .headerSectionTooLarge)
        #expect(parseErrorKind("GET /" + String(repeating: "a", count: 400), limits: limits) == .headerSectionTooLarge)
    }

    @Test func refusesTooManyHeadersWith431() {
        let limits = HTTPParserLimits(maxHeaderCount: 5)
        #expect(parseErrorKind(makeRequest(headers: ["Host: a"] + (1...5).map { "X-\($0): v" }), limits: limits) == .tooManyHeaders)
        #expect(parseErrorKind(makeRequest(headers: ["Host: a"] + (1...4).map { "X-\($0): v" }), limits: limits) == nil)
    }

    @Test func refusesBodyOverLimitWith413() {
        let limits = HTTPParserLimits(maxBodyBytes: 10)
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Content-Length: 11"], body: "01234567890"), limits: limits) == .contentTooLarge)
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Content-Length: 10"], body: "0123456789"), limits: limits) == nil)
        let chunked = "6\r\n012345\r\n6\r\n012345\r\n0\r\n\r\n"
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked"], body: chunked), limits: limits) == .contentTooLarge)
    }

    @Test func refusesOversizedChunkLine() {
        let limits = HTTPParserLimits(maxChunkLineBytes: 32)
        let body = "1;" + String(repeating: "e", count: 64) + "\r\na\r\n0\r\n\r\n"
        #expect(parseErrorKind(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked"], body: body), limits: limits) == .malformedRequest)
    }

    @Test func statusesMatchErrorKinds() {
        #expect(HTTPError(.malformedRequest, "").status.code == 400)
        #expect(HTTPError(.headerSectionTooLarge, "").status.code == 431)
        #expect(HTTPError(.tooManyHeaders, "").status.code == 431)
        #expect(HTTPError(.contentTooLarge, "").status.code == 413)
        #expect(HTTPError(.serviceUnavailable, "").status.code == 503)
    }
}
