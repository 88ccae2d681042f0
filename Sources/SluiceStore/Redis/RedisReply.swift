import CHiredis

/// A Redis reply copied out of hiredis' `redisReply` tree (which is freed right after).
public enum RedisReply: Sendable, Hashable {
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case null
    case array([RedisReply])

    /// Copies `reply` recursively. Unknown types become `.error` so a future
    /// protocol addition is reported, not crashed on.
    init(copying reply: UnsafePointer<redisReply>) {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            self = .bulk(Self.bytes(value.str, value.len))
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: Self.bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            self = .integer(value.integer)
        case REDIS_REPLY_NIL:
            self = .null
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(value.elements)
            if let element = value.element {
                for index in 0..<value.elements {
                    if let child = element[index] {
                        elements.append(RedisReply(copying: child))
                    } else {
                        elements.append(.null)
                    }
                }
            }
            self = .array(elements)
        default:
            self = .error("unsupported reply type \(value.type)")
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    // MARK: Typed access (a reply of the wrong shape is a script or schema bug: `.unexpectedReply`)

    func integerValue(_ context: String) throws(StoreError) -> Int64 {
        switch self {
        case .integer(let value): return value
        case .bulk(let bytes):
            if let value = Int64(String(decoding: bytes, as: UTF8.self)) { return value }
        case .error(let message): throw StoreError(.unexpectedReply, "\(context): Redis error \(message)")
        default: break
        }
        throw StoreError(.unexpectedReply, "\(context): expected an integer, got \(self.summary)")
    }

    func optionalBytes(_ context: String) throws(StoreError) -> [UInt8]? {
        switch self {
        case .bulk(let bytes): return bytes
        case .null: return nil
        case .error(let message): throw StoreError(.unexpectedReply, "\(context): Redis error \(message)")
        default: throw StoreError(.unexpectedReply, "\(context): expected a string, got \(self.summary)")
        }
    }

    func arrayValue(_ context: String) throws(StoreError) -> [RedisReply] {
        switch self {
        case .array(let elements): return elements
        case .error(let message): throw StoreError(.unexpectedReply, "\(context): Redis error \(message)")
        default: throw StoreError(.unexpectedReply, "\(context): expected an array, got \(self.summary)")
        }
    }

    func expectOK(_ context: String) throws(StoreError) {
        if case .error(let message) = self {
            throw StoreError(.unexpectedReply, "\(context): Redis error \(message)")
        }
    }

    /// A short description for errors: never the payload (it may be a cached response).
    var summary: String {
        switch self {
        case .status(let text): return "status \(text.prefix(40))"
        case .error(let text): return "error \(text.prefix(80))"
        case .integer(let value): return "integer \(value)"
        case .bulk(let bytes): return "bulk of \(bytes.count) bytes"
        case .null: return "nil"
        case .array(let elements): return "array of \(elements.count)"
        }
    }
}

/// A command as RESP (the Redis protocol's array of bulk strings), built as arguments are added:
/// the connection hands the bytes to hiredis as they are (`redisAppendFormattedCommand`), so a
/// command costs one buffer instead of an array per argument plus hiredis re-formatting them.
struct RedisCommand: Sendable {
    /// Arguments so far.
    private(set) var count = 0
    /// `$<length>\r\n<bytes>\r\n` per argument (the `*<count>` header is added by `resp`).
    private(set) var body: [UInt8] = []

    init(_ name: String) { append(name) }

    init(_ arguments: [[UInt8]]) {
        for argument in arguments { append(bytes: argument) }
    }

    /// The complete RESP command.
    var resp: [UInt8] {
        var out: [UInt8] = [0x2A]  // "*"
        out.reserveCapacity(body.count + 16)
        Self.appendDecimal(Int64(count), to: &out)
        out += [0x0D, 0x0A]
        out += body
        return out
    }

    func adding(_ value: String) -> RedisCommand {
        var copy = self
        copy.append(value)
        return copy
    }

    func adding(_ value: some BinaryInteger) -> RedisCommand {
        var copy = self
        copy.append(integer: value)
        return copy
    }

    func adding(bytes: [UInt8]) -> RedisCommand {
        var copy = self
        copy.append(bytes: bytes)
        return copy
    }

    mutating func append(_ value: String) {
        var value = value
        value.withUTF8 { append(bytes: $0) }
    }

    mutating func append(bytes: some Collection<UInt8>) {
        count += 1
        body.append(0x24)  // "$"
        Self.appendDecimal(Int64(bytes.count), to: &body)
        body += [0x0D, 0x0A]
        body.append(contentsOf: bytes)
        body += [0x0D, 0x0A]
    }

    /// An integer argument in decimal, written without a `String`.
    mutating func append(integer value: some BinaryInteger) {
        var digits: [UInt8] = []
        Self.appendDecimal(Int64(clamping: value), to: &digits)
        append(bytes: digits)
    }

    /// Every argument of `other`, after this command's.
    mutating func append(contentsOf other: RedisCommand) {
        count += other.count
        body += other.body
    }

    static func appendDecimal(_ number: Int64, to out: inout [UInt8]) {
        if number < 0 { out.append(0x2D) }
        var magnitude = number.magnitude
        var reversed: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                       UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var length = 0
        withUnsafeMutableBytes(of: &reversed) { digits in
            repeat {
                digits[length] = UInt8(0x30 + magnitude % 10)
                magnitude /= 10
                length += 1
            } while magnitude > 0
            for index in stride(from: length - 1, through: 0, by: -1) { out.append(digits[index]) }
        }
    }
}
