/// Size limits the request parser enforces while it reads, so a hostile client
/// can never make it buffer more than these bounds.
public struct HTTPParserLimits: Sendable, Hashable {
    /// Request line plus header section (and chunked trailers), in bytes: over it, 431.
    public var maxHeaderSectionBytes: Int
    /// Header field lines: over it, 431.
    public var maxHeaderCount: Int
    /// Decoded body bytes: over it, 413.
    public var maxBodyBytes: Int
    /// One chunk-size line including extensions; chunk extensions are ignored
    /// but must not be an unbounded sink.
    public var maxChunkLineBytes: Int

    public init(maxHeaderSectionBytes: Int = 16 * 1024, maxHeaderCount: Int = 100,
                maxBodyBytes: Int = 8 * 1024 * 1024, maxChunkLineBytes: Int = 4096) {
        self.maxHeaderSectionBytes = maxHeaderSectionBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineBytes = maxChunkLineBytes
    }
}
