/// Character classes of RFC 9110 §5.6.2 (tchar) and §5.5 (field-vchar).
enum HTTPCharacterClass {
    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    static let token: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(byte)] = true }
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(byte)] = true }
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(byte)] = true }
        for char in "!#$%&'*+-.^_`|~".utf8 { table[Int(char)] = true }
        return table
    }()

    /// field-vchar / SP / HTAB, obs-text (0x80-0xFF) allowed: no CTLs, no DEL.
    @inline(__always) static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    /// Request-target bytes: visible ASCII only (RFC 3986 characters, RFC 9112 §3.2).
    @inline(__always) static func isTargetByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F
    }
}

/// Splits one `field-name ":" OWS field-value OWS` line (RFC 9112 §5).
enum HeaderLineSyntax {
    /// Returns the name and the trimmed value ranges within `line`.
    static func split(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPError) -> (name: Range<Int>, value: Range<Int>) {
        guard let first = line.first else { throw .malformed("empty header line") }
        // RFC 9112 §5.2: obs-fold (a line starting with whitespace) is rejected.
        if first == 0x20 || first == 0x09 { throw .malformed("obsolete line folding") }
        var i = 0
        while i < line.count, HTTPCharacterClass.token[Int(line[i])] { i += 1 }
        // RFC 9112 §5.1: no whitespace between field name and colon.
        guard i > 0, i < line.count, line[i] == UInt8(ascii: ":") else { throw .malformed("invalid header field name") }
        let name = 0..<i
        i += 1
        while i < line.count, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
        var end = line.count
        while end > i, line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
        var j = i
        while j < end {
            guard HTTPCharacterClass.isFieldValueByte(line[j]) else { throw .malformed("invalid character in header field value") }
            j += 1
        }
        return (name, i..<end)
    }
}

/// Parses a complete head (request line + header lines, CRLF-separated,
/// without the final empty line) into an `HTTPRequestHead` and decides its framing.
enum HeadParser {
    static func parse(_ head: UnsafeBufferPointer<UInt8>, limits: HTTPParserLimits) throws(HTTPError) -> HTTPRequestHead {
        var lineEnd = 0
        while lineEnd < head.count, head[lineEnd] != 0x0D { lineEnd += 1 }
        if lineEnd < head.count, lineEnd + 1 >= head.count || head[lineEnd + 1] != 0x0A {
            throw .malformed("bare CR in request line")
        }
        let (method, target, version) = try parseRequestLine(UnsafeBufferPointer(rebasing: head[0..<lineEnd]))

        var headers = HTTPHeaders()
        var contentLength: Int?
        var codings: [Substring] = []
        var sawTransferEncoding = false
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false
        var hostCount = 0

        var lineStart = lineEnd + 2
        while lineStart < head.count {
            var end = lineStart
            while end < head.count, head[end] != 0x0D { end += 1 }
            if end < head.count, end + 1 >= head.count || head[end + 1] != 0x0A { throw .malformed("bare CR in header section") }
            let line = UnsafeBufferPointer(rebasing: head[lineStart..<end])
            lineStart = end + 2
            guard headers.count < limits.maxHeaderCount else {
                throw HTTPError(.tooManyHeaders, "more than \(limits.maxHeaderCount) header fields")
            }
            let (nameRange, valueRange) = try HeaderLineSyntax.split(line)
            let nameBytes = UnsafeBufferPointer(rebasing: line[nameRange])
            let valueBytes = UnsafeBufferPointer(rebasing: line[valueRange])
            let name = String(decoding: nameBytes, as: UTF8.self)
            let value = String(decoding: valueBytes, as: UTF8.self)
            headers.add(name, value)

            switch nameBytes.count {
            case 4 where equalsLowercase(nameBytes, "host"):
                hostCount += 1
            case 6 where equalsLowercase(nameBytes, "expect"):
                // RFC 9110 §10.1.1: the only expectation defined is 100-continue.
                guard value.equalsASCIICaseInsensitive("100-continue") else {
                    throw HTTPError(.expectationFailed, "unsupported expectation")
                }
                expectsContinue = true
            case 10 where equalsLowercase(nameBytes, "connection"):
                for option in value.split(separator: ",") {
                    let token = option.trimmingASCIIWhitespace()
                    if token.equalsASCIICaseInsensitive("close") { connectionClose = true }
                    if token.equalsASCIICaseInsensitive("keep-alive") { connectionKeepAlive = true }
                }
            case 14 where equalsLowercase(nameBytes, "content-length"):
                // RFC 9112 §6.3 (5): a list of identical values is one length; differing values are fatal.
                for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let length = try parseContentLength(element.trimmingASCIIWhitespace())
                    if let existing = contentLength, existing != length {
                        throw .malformed("conflicting Content-Length values")
                    }
                    contentLength = length
                }
            case 17 where equalsLowercase(nameBytes, "transfer-encoding"):
                sawTransferEncoding = true
                for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                    codings.append(element.trimmingASCIIWhitespace())
                }
            default:
                break
            }
        }

        // RFC 9112 §3.2: exactly one Host in HTTP/1.1 requests; more than one is always an error.
        if hostCount > 1 || (hostCount == 0 && version.minor >= 1) {
            throw .malformed(hostCount > 1 ? "multiple Host header fields" : "missing Host header field")
        }

        let framing: HTTPBodyFraming
        if sawTransferEncoding {
            // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
            guard version.minor >= 1 else { throw .malformed("Transfer-Encoding in an HTTP/1.0 request") }
            // RFC 9112 §6.1: CL with TE is a smuggling vector; we reject instead of ignoring CL.
            guard contentLength == nil else { throw .malformed("Content-Length together with Transfer-Encoding") }
            // RFC 9112 §6.3 (4): chunked must be the final coding, and only once.
            guard let last = codings.last, last.equalsASCIICaseInsensitive("chunked") else {
                throw .malformed("chunked is not the final transfer coding")
            }
            let earlier = codings.dropLast()
            if earlier.contains(where: { $0.isEmpty || $0.equalsASCIICaseInsensitive("chunked") }) {
                throw .malformed("invalid Transfer-Encoding list")
            }
            // RFC 9112 §6.1: a coding we do not implement earns 501.
            if !earlier.isEmpty { throw HTTPError(.unsupportedTransferCoding, "unsupported transfer coding") }
            framing = .chunked
        } else if let length = contentLength {
            guard length <= limits.maxBodyBytes else {
                throw HTTPError(.contentTooLarge, "request body exceeds \(limits.maxBodyBytes) bytes")
            }
            framing = .contentLength(length)
        } else {
            framing = .none
        }

        // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
        let keepAlive = !connectionClose && (version.minor >= 1 || connectionKeepAlive)
        let hasBody = framing != .none && framing != .contentLength(0)
        return HTTPRequestHead(method: method, target: target, version: version, headers: headers, framing: framing,
                               keepAlive: keepAlive, expectsContinue: expectsContinue && hasBody && version.minor >= 1)
    }

    /// request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
    static func parseRequestLine(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPError) -> (HTTPMethod, String, HTTPVersion) {
        var i = 0
        while i < line.count, HTTPCharacterClass.token[Int(line[i])] { i += 1 }
        guard i > 0, i < line.count, line[i] == 0x20 else { throw .malformed("invalid request method") }
        let method = HTTPMethod(bytes: UnsafeBufferPointer(rebasing: line[0..<i]))
        i += 1
        let targetStart = i
        while i < line.count, HTTPCharacterClass.isTargetByte(line[i]) { i += 1 }
        guard i > targetStart, i < line.count, line[i] == 0x20 else { throw .malformed("invalid request target") }
        let target = String(decoding: UnsafeBufferPointer(rebasing: line[targetStart..<i]), as: UTF8.self)
        i += 1
        // HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3).
        guard line.count - i == 8,
              line[i] == 0x48, line[i + 1] == 0x54, line[i + 2] == 0x54, line[i + 3] == 0x50, line[i + 4] == 0x2F,
              line[i + 6] == 0x2E,
              let major = decimalDigit(line[i + 5]), let minor = decimalDigit(line[i + 7])
        else { throw .malformed("invalid HTTP version") }
        guard major == 1 else { throw HTTPError(.versionNotSupported, "only HTTP/1.x is supported") }
        // A higher 1.x minor is answered as 1.1 (RFC 9110 §6.2).
        return (method, target, HTTPVersion(major: 1, minor: min(minor, 1)))
    }

    /// Content-Length = 1*DIGIT (RFC 9110 §8.6); no sign, no whitespace inside.
    static func parseContentLength(_ text: Substring) throws(HTTPError) -> Int {
        guard !text.isEmpty, text.utf8.count <= 18 else { throw .malformed("invalid Content-Length") }
        var value = 0
        for byte in text.utf8 {
            guard let digit = decimalDigit(byte) else { throw .malformed("invalid Content-Length") }
            value = value * 10 + digit
        }
        return value
    }

    @inline(__always) static func decimalDigit(_ byte: UInt8) -> Int? {
        byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
    }

    /// Compares raw bytes case-insensitively against a lowercase ASCII literal.
    @inline(__always) static func equalsLowercase(_ bytes: UnsafeBufferPointer<UInt8>, _ lower: StaticString) -> Bool {
        guard bytes.count == lower.utf8CodeUnitCount else { return false }
        let expected = lower.utf8Start
        for i in 0..<bytes.count where asciiLower(bytes[i]) != expected[i] { return false }
        return true
    }
}
