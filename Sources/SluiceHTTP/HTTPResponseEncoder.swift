/// How a response body is delimited on the wire (RFC 9112 §6).
enum ResponseFraming: Equatable {
    case contentLength(Int)
    case chunked
    /// HTTP/1.0 streaming: the end of the body is the end of the connection.
    case closeDelimited
}

/// Pure response serialisation: appends wire bytes to a buffer. Constant
/// header lines are pre-encoded; values from handlers are checked so a CR or
/// LF can never split the response (RFC 9110 §5.5).
enum HTTPResponseEncoder {
    static let crlf: [UInt8] = [0x0D, 0x0A]
    static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    static let lastChunk = Array("0\r\n\r\n".utf8)
    static let contentLengthPrefix = Array("\r\nContent-Length: ".utf8)
    static let chunkedLine = Array("\r\nTransfer-Encoding: chunked".utf8)
    static let closeLine = Array("\r\nConnection: close".utf8)
    static let keepAliveLine = Array("\r\nConnection: keep-alive".utf8)
    static let datePrefix = Array("\r\nDate: ".utf8)

    static func statusLine(_ status: HTTPStatus) -> [UInt8] {
        switch status.code {
        case 200 where status.reasonPhrase == "OK": return status200
        default: return Array("HTTP/1.1 \(status.code) \(status.reasonPhrase)".utf8)
        }
    }
    static let status200 = Array("HTTP/1.1 200 OK".utf8)

    /// Appends the status line and header section (ending in the empty line).
    static func encodeHead(into out: inout [UInt8], status: HTTPStatus, headers: HTTPHeaders, framing: ResponseFraming,
                           keepAlive: Bool, requestVersion: HTTPVersion, date: [UInt8]) {
        out.append(contentsOf: statusLine(status))
        out.append(contentsOf: datePrefix)
        out.append(contentsOf: date)
        for field in headers.fields where isUserHeaderAllowed(field) {
            out.append(0x0D); out.append(0x0A)
            out.append(contentsOf: field.name.utf8)
            out.append(0x3A); out.append(0x20)
            out.append(contentsOf: field.value.utf8)
        }
        switch framing {
        case .contentLength(let length):
            if status.mayHaveBody {
                out.append(contentsOf: contentLengthPrefix)
                appendDecimal(length, to: &out)
            }
        case .chunked:
            out.append(contentsOf: chunkedLine)
        case .closeDelimited:
            break
        }
        if !keepAlive {
            out.append(contentsOf: closeLine)
        } else if requestVersion.minor == 0 {
            out.append(contentsOf: keepAliveLine)
        }
        out.append(contentsOf: [0x0D, 0x0A, 0x0D, 0x0A])
    }

    /// Drops fields the server owns and fields that are not valid tokens/values.
    static func isUserHeaderAllowed(_ field: HTTPField) -> Bool {
        let name = field.name
        if name.equalsASCIICaseInsensitive("content-length") || name.equalsASCIICaseInsensitive("transfer-encoding")
            || name.equalsASCIICaseInsensitive("connection") || name.equalsASCIICaseInsensitive("date") {
            return false
        }
        guard !name.isEmpty, name.utf8.allSatisfy({ HTTPCharacterClass.token[Int($0)] }) else { return false }
        return field.value.utf8.allSatisfy { HTTPCharacterClass.isFieldValueByte($0) }
    }

    /// One chunk (RFC 9112 §7.1): hex size CRLF data CRLF. Empty data is
    /// skipped because a zero-size chunk would end the body.
    static func encodeChunk(into out: inout [UInt8], _ data: [UInt8]) {
        guard !data.isEmpty else { return }
        appendHex(data.count, to: &out)
        out.append(contentsOf: crlf)
        out.append(contentsOf: data)
        out.append(contentsOf: crlf)
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 { out.append(UInt8(0x30 + value)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while v > 0 { raw[count] = UInt8(0x30 + v % 10); v /= 10; count += 1 }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(raw[i]) }
        }
    }

    static func appendHex(_ value: Int, to out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        if shift < 0 { shift = 0 }
        while shift >= 0 {
            out.append(hex.utf8Start[(value >> shift) & 0xF])
            shift -= 4
        }
    }
}

/// The IMF-fixdate for the Date header (RFC 9110 §5.6.7), recomputed only
/// when the second changes.
struct HTTPDateCache {
    private var second: Int64 = .min
    private(set) var bytes: [UInt8] = []

    mutating func date(atEpochSecond now: Int64) -> [UInt8] {
        if now != second {
            second = now
            bytes = Self.format(epochSecond: now)
        }
        return bytes
    }

    static func format(epochSecond: Int64) -> [UInt8] {
        let days = Int(epochSecond >= 0 ? epochSecond / 86400 : (epochSecond - 86399) / 86400)
        let secondsOfDay = Int(epochSecond - Int64(days) * 86400)
        // Civil-from-days (H. Hinnant's algorithm); 1970-01-01 was a Thursday.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = ((days % 7) + 11) % 7  // 0 = Sunday
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let text = "\(names[weekday]), \(two(day)) \(months[month - 1]) \(year) \(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60)) GMT"
        return Array(text.utf8)
    }
}
