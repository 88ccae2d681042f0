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

/// Builds binary-safe argument vectors.
struct RedisCommand: Sendable {
    var arguments: [[UInt8]]

    init(_ name: String) { arguments = [Array(name.utf8)] }

    init(_ arguments: [[UInt8]]) { self.arguments = arguments }

    func adding(_ value: String) -> RedisCommand {
        var copy = self
        copy.arguments.append(Array(value.utf8))
        return copy
    }

    func adding(_ value: some BinaryInteger) -> RedisCommand { adding(String(value)) }

    func adding(bytes: [UInt8]) -> RedisCommand {
        var copy = self
        copy.arguments.append(bytes)
        return copy
    }
}
