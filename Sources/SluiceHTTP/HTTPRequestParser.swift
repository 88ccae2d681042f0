/// What the parser has found in the bytes it was given.
public enum HTTPParserEvent: Sendable, Hashable {
    /// A request line and header section, checked (framing decided).
    case head(HTTPRequestHead)
    /// The body of the request whose head came last, complete and decoded.
    case end(body: [UInt8])
}

/// An incremental, pure HTTP/1.1 request parser (RFC 9112): bytes go in with
/// `append`, `next()` returns the next event, or nil when it needs more bytes.
/// It does no I/O and keeps no clock, so tests feed it byte strings split at
/// any boundary.
///
/// Policy (strict, to leave no room for request smuggling):
/// - lines end in CRLF; a bare LF or bare CR is rejected (RFC 9112 §2.2 allows
///   either tolerance or rejection; front proxies may disagree with tolerance).
/// - obs-fold is rejected (RFC 9112 §5.2).
/// - Content-Length with Transfer-Encoding is rejected (RFC 9112 §6.1 allows it).
/// - Transfer-Encoding must end in exactly one `chunked` (RFC 9112 §6.3);
///   any other coding is not implemented (501).
public struct HTTPRequestParser: Sendable {
    enum State: Sendable {
        case head
        case fixedBody(remaining: Int)
        case chunkSizeLine
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(bytes: Int)
        case endOfMessage
        case failed(HTTPError)
    }

    public let limits: HTTPParserLimits
    var state: State = .head
    var buffer: [UInt8] = []
    /// First byte not yet consumed.
    var readIndex = 0
    /// Where the search for the next LF resumes (so byte-at-a-time input is linear).
    var scanIndex = 0
    var body: [UInt8] = []

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by an event.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True between messages with nothing buffered: the connection is idle.
    public var isAtMessageBoundary: Bool {
        if case .head = state { return readIndex == buffer.count }
        return false
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Drops consumed bytes: all of them cheaply when everything was consumed,
    /// otherwise only once they make up most of a large buffer.
    mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if readIndex >= 4096 && readIndex * 2 >= buffer.count {
            buffer.removeFirst(readIndex)
        } else {
            return
        }
        scanIndex -= readIndex
        readIndex = 0
    }

    /// The next event, nil when more bytes are needed. After an error the
    /// parser stays failed: the connection must answer and close.
    public mutating func next() throws(HTTPError) -> HTTPParserEvent? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    mutating func step() throws(HTTPError) -> HTTPParserEvent? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .head:
                guard let headEnd = try findHeadEnd() else { return nil }
                let head = try parseHead(upTo: headEnd)
                readIndex = headEnd
                scanIndex = headEnd
                body = []
                switch head.framing {
                case .none: state = .endOfMessage
                case .contentLength(let n): state = n == 0 ? .endOfMessage : .fixedBody(remaining: n)
                case .chunked: state = .chunkSizeLine
                }
                return .head(head)
            case .endOfMessage:
                state = .head
                let complete = body
                body = []
                return .end(body: complete)
            case .fixedBody(let remaining):
                let available = buffer.count - readIndex
                guard available > 0 else { return nil }
                let take = min(available, remaining)
                body.append(contentsOf: buffer[readIndex..<(readIndex + take)])
                readIndex += take
                scanIndex = readIndex
                state = take == remaining ? .endOfMessage : .fixedBody(remaining: remaining - take)
                if take < remaining { return nil }
            case .chunkSizeLine:
                guard let line = try nextLine(limit: limits.maxChunkLineBytes, tooLong: .malformed("chunk size line too long")) else { return nil }
                let size = try parseChunkSize(line)
                if size == 0 {
                    state = .trailers(bytes: 0)
                } else {
                    guard body.count + size <= limits.maxBodyBytes else {
                        throw HTTPError(.contentTooLarge, "request body exceeds \(limits.maxBodyBytes) bytes")
                    }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let available = buffer.count - readIndex
                guard available > 0 else { return nil }
                let take = min(available, remaining)
                body.append(contentsOf: buffer[readIndex..<(readIndex + take)])
                readIndex += take
                scanIndex = readIndex
                state = take == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - take)
                if take < remaining { return nil }
            case .chunkDataEnd:
                // RFC 9112 §7.1: chunk-data is followed by exactly CRLF.
                guard buffer.count - readIndex >= 2 else {
                    if buffer.count > readIndex && buffer[readIndex] != 0x0D { throw .malformed("chunk data not followed by CRLF") }
                    return nil
                }
                guard buffer[readIndex] == 0x0D && buffer[readIndex + 1] == 0x0A else {
                    throw .malformed("chunk data not followed by CRLF")
                }
                readIndex += 2
                scanIndex = readIndex
                state = .chunkSizeLine
            case .trailers(let bytes):
                // RFC 9112 §7.1.2: trailer fields are parsed like header fields, then discarded
                // (none of ours carries meaning for the handler).
                let budget = limits.maxHeaderSectionBytes - bytes
                guard let line = try nextLine(limit: budget, tooLong: HTTPError(.headerSectionTooLarge, "trailer section too large")) else { return nil }
                if line.isEmpty {
                    state = .endOfMessage
                } else {
                    try buffer.withUnsafeBufferPointer { all throws(HTTPError) in
                        _ = try HeaderLineSyntax.split(UnsafeBufferPointer(rebasing: all[line]))
                    }
                    state = .trailers(bytes: bytes + line.count + 2)
                }
            }
        }
    }

    /// The next CRLF-terminated line (without CRLF) as a range of `buffer`,
    /// consuming it; nil when incomplete.
    mutating func nextLine(limit: Int, tooLong: HTTPError) throws(HTTPError) -> Range<Int>? {
        let found: Int? = buffer.withUnsafeBufferPointer { all in
            var i = scanIndex
            while i < all.count {
                if all[i] == 0x0A { return i }
                i += 1
            }
            return nil
        }
        guard let lf = found else {
            scanIndex = buffer.count
            if buffer.count - readIndex > limit { throw tooLong }
            return nil
        }
        guard lf > readIndex, buffer[lf - 1] == 0x0D else { throw .malformed("bare LF") }
        if lf - 1 - readIndex > limit { throw tooLong }
        let line = readIndex..<(lf - 1)
        readIndex = lf + 1
        scanIndex = readIndex
        return line
    }

    /// RFC 9112 §7.1: chunk-size = 1*HEXDIG, then optional `;` extensions
    /// (with BWS before `;`), which are validated and ignored.
    func parseChunkSize(_ line: Range<Int>) throws(HTTPError) -> Int {
        var size = 0
        var digits = 0
        var i = line.lowerBound
        while i < line.upperBound, let value = hexValue(buffer[i]) {
            // 15 hex digits keep the size below 2^60: no overflow, and far past any limit.
            guard digits < 15 else { throw .malformed("chunk size too large") }
            size = size << 4 | value
            digits += 1
            i += 1
        }
        guard digits > 0 else { throw .malformed("invalid chunk size") }
        while i < line.upperBound, buffer[i] == 0x20 || buffer[i] == 0x09 { i += 1 }
        if i < line.upperBound {
            guard buffer[i] == UInt8(ascii: ";") else { throw .malformed("invalid chunk size") }
            while i < line.upperBound {
                let byte = buffer[i]
                guard byte == 0x09 || (byte >= 0x20 && byte != 0x7F) else { throw .malformed("invalid chunk extension") }
                i += 1
            }
        }
        return size
    }

    /// Index just past the CRLFCRLF ending the head, nil when incomplete.
    /// Leading empty lines before the request line are skipped (RFC 9112 §2.2).
    mutating func findHeadEnd() throws(HTTPError) -> Int? {
        let limit = limits.maxHeaderSectionBytes
        let result: Result<Int?, HTTPError> = buffer.withUnsafeBufferPointer { all in
            var i = scanIndex
            while i < all.count {
                guard all[i] == 0x0A else { i += 1; continue }
                // Every LF must follow a CR: bare LF is rejected.
                guard i > readIndex, all[i - 1] == 0x0D else { return .failure(.malformed("bare LF in header section")) }
                if i - 1 == readIndex {
                    // An empty line before the request line: skip it.
                    readIndex = i + 1
                } else if i >= readIndex + 3, all[i - 2] == 0x0A, all[i - 3] == 0x0D {
                    if i + 1 - readIndex > limit + 4 {
                        return .failure(HTTPError(.headerSectionTooLarge, "request header section exceeds \(limit) bytes"))
                    }
                    return .success(i + 1)
                }
                i += 1
            }
            scanIndex = i
            if all.count - readIndex > limit + 4 {
                return .failure(HTTPError(.headerSectionTooLarge, "request header section exceeds \(limit) bytes"))
            }
            return .success(nil)
        }
        return try result.get()
    }

    func parseHead(upTo headEnd: Int) throws(HTTPError) -> HTTPRequestHead {
        try buffer.withUnsafeBufferPointer { all throws(HTTPError) in
            try HeadParser.parse(UnsafeBufferPointer(rebasing: all[readIndex..<(headEnd - 4)]), limits: limits)
        }
    }
}

@inline(__always) func hexValue(_ byte: UInt8) -> Int? {
    switch byte {
    case 0x30...0x39: Int(byte - 0x30)
    case 0x41...0x46: Int(byte - 0x41 + 10)
    case 0x61...0x66: Int(byte - 0x61 + 10)
    default: nil
    }
}
