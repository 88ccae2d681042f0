// Data-only server-sent events as OpenAI streams them (openai_compat.md §1.4):
// `data: <json>\n\n` per chunk, `data: [DONE]\n\n` at the end. openai-python raises APIError for
// any event whose JSON has an "error" key, so a failure after the stream started is reported as
// `data: {"error":{...}}\n\n` followed by [DONE] and closing the stream.

public enum ServerSentEvents {
    public static let contentType = "text/event-stream"

    public static func event<T: Encodable>(_ value: T) -> [UInt8] {
        frame(WireJSON.encode(value))
    }

    /// `data: [DONE]\n\n`
    public static let done: [UInt8] = Array("data: [DONE]\n\n".utf8)

    /// A comment line: ignored by clients, keeps proxies from timing out during a long prefill.
    public static let keepAlive: [UInt8] = Array(": keep-alive\n\n".utf8)

    /// The error event for a failure after the first chunk was sent.
    public static func error(_ error: APIError) -> [UInt8] {
        frame(error.jsonBody)
    }

    private static func frame(_ json: [UInt8]) -> [UInt8] {
        // JSON text never contains a raw newline (RFC 8259 escapes them), so one `data:` line suffices.
        Array("data: ".utf8) + json + Array("\n\n".utf8)
    }
}
