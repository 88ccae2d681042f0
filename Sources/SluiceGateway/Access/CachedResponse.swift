/// One cached answer in both shapes, so a streaming request can be served from an entry a
/// non-streaming request filled and the other way round:
///  - `body`: the complete non-streaming JSON body;
///  - `chunks`: the SSE events (`data: {...}\n\n`) exactly as streamed, without the usage
///    chunk and `[DONE]`, so a replay sends the same chunks the original stream did;
///  - `usageChunk`: the `stream_options.include_usage` event, sent only when the replaying
///    request asks for it.
/// The route fills both: streaming misses keep their real chunks and build the body from the
/// collected choices; non-streaming misses build the chunks with the same response builder.
///
/// Encoded as `SLC1` + length-prefixed fields (big-endian u32), checked on decode (a corrupt or
/// foreign Redis value is a miss, never a crash).
public struct CachedResponse: Sendable, Hashable {
    public var body: [UInt8]
    public var chunks: [[UInt8]]
    public var usageChunk: [UInt8]?
    public var promptTokens: Int
    public var completionTokens: Int

    public init(body: [UInt8], chunks: [[UInt8]], usageChunk: [UInt8]?, promptTokens: Int, completionTokens: Int) {
        self.body = body
        self.chunks = chunks
        self.usageChunk = usageChunk
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    static let magic: [UInt8] = Array("SLC1".utf8)
    static let maxChunks = 1 << 20

    /// The SSE bytes of a replay: the chunks, the usage chunk when asked, `data: [DONE]`.
    public func serverSentEvents(includeUsage: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(chunks.reduce(16) { $0 + $1.count } + (usageChunk?.count ?? 0))
        for chunk in chunks { out += chunk }
        if includeUsage, let usageChunk { out += usageChunk }
        out += Array("data: [DONE]\n\n".utf8)
        return out
    }

    public func encoded() -> [UInt8] {
        var out = Self.magic
        Self.put(UInt32(clamping: promptTokens), into: &out)
        Self.put(UInt32(clamping: completionTokens), into: &out)
        Self.putField(body, into: &out)
        out.append(usageChunk == nil ? 0 : 1)
        if let usageChunk { Self.putField(usageChunk, into: &out) }
        Self.put(UInt32(chunks.count), into: &out)
        for chunk in chunks { Self.putField(chunk, into: &out) }
        return out
    }

    /// nil for anything that is not a complete, well-formed entry.
    public static func decode(_ bytes: [UInt8]) -> CachedResponse? {
        var reader = Reader(bytes: bytes)
        guard reader.take(4) == magic,
              let prompt = reader.u32(), let completion = reader.u32(),
              let body = reader.field(), let hasUsage = reader.take(1) else { return nil }
        var usage: [UInt8]?
        if hasUsage == [1] {
            guard let chunk = reader.field() else { return nil }
            usage = chunk
        } else if hasUsage != [0] {
            return nil
        }
        guard let count = reader.u32(), count <= maxChunks else { return nil }
        var chunks: [[UInt8]] = []
        chunks.reserveCapacity(Int(min(count, 4096)))
        for _ in 0..<count {
            guard let chunk = reader.field() else { return nil }
            chunks.append(chunk)
        }
        guard reader.atEnd else { return nil }
        return CachedResponse(body: body, chunks: chunks, usageChunk: usage, promptTokens: Int(prompt),
                              completionTokens: Int(completion))
    }

    static func put(_ value: UInt32, into out: inout [UInt8]) {
        out += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
                UInt8(truncatingIfNeeded: value)]
    }

    static func putField(_ field: [UInt8], into out: inout [UInt8]) {
        put(UInt32(field.count), into: &out)
        out += field
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func take(_ count: Int) -> [UInt8]? {
            guard count >= 0, bytes.count - offset >= count else { return nil }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        mutating func u32() -> UInt32? {
            guard let raw = take(4) else { return nil }
            return raw.reduce(0) { $0 << 8 | UInt32($1) }
        }

        mutating func field() -> [UInt8]? {
            guard let count = u32() else { return nil }
            return take(Int(count))
        }
    }
}
