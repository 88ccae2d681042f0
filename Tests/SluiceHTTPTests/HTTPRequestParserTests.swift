import Testing
@testable import SluiceHTTP

@Suite struct HTTPRequestParserTests {
    @Test func parsesSimpleGet() throws {
        let events = try parseEvents(makeRequest("GET /v1/models?limit=2 HTTP/1.1", headers: ["Host: a", "Accept: */*", "X-Multi: 1", "x-multi: 2"]))
        #expect(events.count == 2)
        let head = try #require(events.first?.head)
        #expect(head.method == .get)
        #expect(head.target == "/v1/models?limit=2")
        #expect(head.path == "/v1/models")
        #expect(head.query == "limit=2")
        #expect(head.version == .http1_1)
        #expect(head.framing == .none)
        #expect(head.keepAlive)
        #expect(head.headers["accept"] == "*/*")
        #expect(head.headers.values("X-MULTI") == ["1", "2"])
        #expect(head.headers.fields.map(\.name) == ["Host", "Accept", "X-Multi", "x-multi"])
        #expect(events.last?.body == [])
    }

    @Test func acceptsAbsoluteFormTargets() throws {
        let head = try #require(try parseEvents(makeRequest("GET http://example.com:8080/v1/models?x=1 HTTP/1.1")).first?.head)
        #expect(head.path == "/v1/models")
        #expect(head.query == "x=1")
        let bare = try #require(try parseEvents(makeRequest("GET http://example.com HTTP/1.1")).first?.head)
        #expect(bare.path == "/")
        #expect(bare.query == nil)
    }

    @Test func trimsOptionalWhitespaceAroundValues() throws {
        let head = try #require(try parseEvents(makeRequest(headers: ["Host: a", "X-A: \t value with spaces \t "])).first?.head)
        #expect(head.headers["x-a"] == "value with spaces")
    }

    @Test func parsesContentLengthBody() throws {
        let events = try parseEvents(makeRequest("POST /x HTTP/1.1", headers: ["Host: a", "Content-Length: 5"], body: "hello"))
        #expect(events.first?.head?.framing == .contentLength(5))
        #expect(events.last?.body == Array("hello".utf8))
    }

    @Test func acceptsRepeatedIdenticalContentLength() throws {
        let events = try parseEvents(makeRequest("POST /x HTTP/1.1", headers: ["Host: a", "Content-Length: 3", "Content-Length: 3, 3"], body: "abc"))
        #expect(events.last?.body == Array("abc".utf8))
    }

    @Test func parsesChunkedBodyWithExtensionsAndTrailers() throws {
        let body = "5;name=value\r\nhello\r\n6 ; ext\r\n world\r\n0\r\nTrailer-Field: x\r\n\r\n"
        let events = try parseEvents(makeRequest("POST /x HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked"], body: body))
        #expect(events.first?.head?.framing == .chunked)
        #expect(events.last?.body == Array("hello world".utf8))
    }

    @Test func acceptsUppercaseHexChunkSizes() throws {
        let body = "A\r\n0123456789\r\n0\r\n\r\n"
        let events = try parseEvents(makeRequest("POST /x HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: Chunked"], body: body))
        #expect(events.last?.body == Array("0123456789".utf8))
    }

    @Test func parsesPipelinedRequestsInOrder() throws {
        let text = makeRequest("GET /a HTTP/1.1") + makeRequest("POST /b HTTP/1.1", headers: ["Host: a", "Content-Length: 2"], body: "hi")
            + makeRequest("GET /c HTTP/1.1")
        let events = try parseEvents(text)
        #expect(events.compactMap(\.head).map(\.target) == ["/a", "/b", "/c"])
        #expect(events.compactMap(\.body) == [[], Array("hi".utf8), []])
    }

    @Test func skipsEmptyLinesBeforeRequestLine() throws {
        let events = try parseEvents("\r\n\r\n" + makeRequest("GET /a HTTP/1.1"))
        #expect(events.first?.head?.target == "/a")
    }

    @Test func returnsNilUntilHeadIsComplete() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8))
        #expect(try parser.next() == nil)
        parser.append(Array("\r\n".utf8))
        #expect(try parser.next()?.head?.target == "/")
        #expect(try parser.next()?.body == [])
        #expect(parser.isAtMessageBoundary)
    }

    /// Every request, cut at every byte boundary (and fed one byte at a time),
    /// parses to exactly the events of the unsplit bytes.
    @Test(arguments: [
        makeRequest("GET /a?b=c HTTP/1.1", headers: ["Host: a", "Connection: keep-alive"]),
        makeRequest("POST /b HTTP/1.1", headers: ["Host: a", "Content-Length: 11"], body: "hello world"),
        makeRequest("POST /c HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked"], body: "3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n"),
        makeRequest("GET /1 HTTP/1.1") + makeRequest("POST /2 HTTP/1.1", headers: ["Host: a", "Content-Length: 1"], body: "x") + makeRequest("GET /3 HTTP/1.0", headers: []),
        "\r\n" + makeRequest("PUT /d HTTP/1.1", headers: ["Host: a", "Expect: 100-continue", "Content-Length: 2"], body: "ok"),
    ])
    func splitAtEveryByteBoundaryGivesSameEvents(_ text: String) throws {
        let bytes = Array(text.utf8)
        let whole = try parseEvents(bytes)
        #expect(!whole.isEmpty)
        for cut in 0...bytes.count {
            #expect(try parseEvents(bytes, pieces: [0..<cut, cut..<bytes.count]) == whole, "split at \(cut)")
        }
        #expect(try parseEvents(bytes, pieces: (0..<bytes.count).map { $0..<($0 + 1) }) == whole)
    }

    @Test func httpOneZeroDefaultsToClose() throws {
        #expect(try parseEvents(makeRequest("GET / HTTP/1.0", headers: [])).first?.head?.keepAlive == false)
        #expect(try parseEvents(makeRequest("GET / HTTP/1.0", headers: ["Connection: Keep-Alive"])).first?.head?.keepAlive == true)
        #expect(try parseEvents(makeRequest(headers: ["Host: a", "Connection: foo, close"])).first?.head?.keepAlive == false)
    }

    @Test func recognisesExpectContinue() throws {
        let head = try parseEvents(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Expect: 100-Continue", "Content-Length: 1"], body: "x")).first?.head
        #expect(head?.expectsContinue == true)
    }

    @Test func answersHigherMinorVersionAsOneOne() throws {
        #expect(try parseEvents(makeRequest("GET / HTTP/1.7")).first?.head?.version == .http1_1)
    }

    @Test func parserStaysFailedAfterAnError() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\nHost: a\r\n\r\n".utf8))
        #expect(throws: HTTPError.self) { try parser.next() }
        parser.append(Array(makeRequest().utf8))
        #expect(throws: HTTPError.self) { try parser.next() }
    }
}
