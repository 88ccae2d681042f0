@testable import SluiceHTTP

/// Feeds `bytes` to a fresh parser in the given pieces, collecting events
/// until it needs more; rethrows the parser's error.
func parseEvents(_ bytes: [UInt8], pieces: [Range<Int>]? = nil, limits: HTTPParserLimits = HTTPParserLimits()) throws -> [HTTPParserEvent] {
    var parser = HTTPRequestParser(limits: limits)
    var events: [HTTPParserEvent] = []
    for piece in pieces ?? [0..<bytes.count] {
        parser.append(bytes[piece])
        while let event = try parser.next() { events.append(event) }
    }
    return events
}

func parseEvents(_ text: String, limits: HTTPParserLimits = HTTPParserLimits()) throws -> [HTTPParserEvent] {
    try parseEvents(Array(text.utf8), limits: limits)
}

/// The error kind parsing `text` fails with, or nil when it parses.
func parseErrorKind(_ text: String, limits: HTTPParserLimits = HTTPParserLimits()) -> HTTPError.Kind? {
    parseErrorKind(Array(text.utf8), limits: limits)
}

func parseErrorKind(_ bytes: [UInt8], limits: HTTPParserLimits = HTTPParserLimits()) -> HTTPError.Kind? {
    do {
        _ = try parseEvents(bytes, limits: limits)
        return nil
    } catch let error as HTTPError {
        return error.kind
    } catch {
        return nil
    }
}

extension HTTPParserEvent {
    var head: HTTPRequestHead? {
        if case .head(let head) = self { return head }
        return nil
    }

    var body: [UInt8]? {
        if case .end(let body) = self { return body }
        return nil
    }
}

/// Builds a request text with CRLF line ends and a Host header by default.
func makeRequest(_ requestLine: String = "GET / HTTP/1.1", headers: [String] = ["Host: example"], body: String = "") -> String {
    ([requestLine] + headers).map { $0 + "\r\n" }.joined() + "\r\n" + body
}
