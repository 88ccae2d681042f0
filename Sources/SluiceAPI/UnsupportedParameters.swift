// Request fields OpenAI defines that Sluice does not implement (yet). Silently dropping one is
// the worst answer: a client that sent `tools` or `response_format` gets plain text with a 200
// and no hint why (LiteLLM and llama.cpp's server both did this). Each field listed here is
// refused with a 400 naming it, unless its value asks for exactly what we do anyway (the
// default), so SDKs that always send a default (`response_format: {"type":"text"}`,
// `modalities: ["text"]`, `tools: []`) keep working. Fields OpenAI does not define (vendor
// extensions) are not listed and stay ignored, as vLLM does.
//
// Fields that only label a request for the provider's own bookkeeping and cannot change the
// answer (`user`, `metadata`, `safety_identifier`, `prompt_cache_key`) are accepted after their
// type is checked: ignoring them is what honouring them means for a server that keeps no logs
// of completions.

public enum OpenAIEndpoint: Sendable {
    case chatCompletions
    case completions
}

/// One defined-but-unimplemented field and the values that mean "nothing asked".
struct UnsupportedParameter: Sendable {
    let name: String
    /// Why it is refused, completing "'name' is not supported by this server: …".
    let reason: String
    /// True when the value asks for the default behaviour, which we do provide.
    let isDefault: @Sendable (JSONValue) -> Bool

    init(_ name: String, _ reason: String, isDefault: @escaping @Sendable (JSONValue) -> Bool = { _ in false }) {
        self.name = name
        self.reason = reason
        self.isDefault = isDefault
    }
}

enum UnsupportedParameters {
    static let chat: [UnsupportedParameter] = [
        UnsupportedParameter("functions", "the deprecated 'functions' parameter is not implemented; use 'tools'", isDefault: isEmptyArray),
        UnsupportedParameter("function_call", "the deprecated 'function_call' parameter is not implemented; use 'tool_choice'",
                             isDefault: { $0 == .string("none") || $0 == .string("auto") }),
        UnsupportedParameter("audio", "audio output is not available for these models"),
        UnsupportedParameter("modalities", "these models produce text only", isDefault: { $0 == .array([.string("text")]) }),
        UnsupportedParameter("prediction", "predicted outputs are not implemented"),
        UnsupportedParameter("web_search_options", "web search is not available"),
        UnsupportedParameter("reasoning_effort", "these models do not reason in a separate phase"),
        UnsupportedParameter("verbosity", "verbosity control is not implemented"),
        UnsupportedParameter("store", "completions are not stored by this server", isDefault: { $0 == .bool(false) }),
        UnsupportedParameter("service_tier", "service tiers are not implemented",
                             isDefault: { $0 == .string("auto") || $0 == .string("default") }),
        UnsupportedParameter("prompt_cache_retention", "prompt cache retention is not configurable per request"),
        UnsupportedParameter("prompt_cache_options", "prompt cache options are not configurable per request"),
        UnsupportedParameter("moderation", "moderation is not available"),
    ]

    static let completions: [UnsupportedParameter] = [
        UnsupportedParameter("best_of", "server-side best-of ranking is not implemented; use 'n'",
                             isDefault: { $0 == .integer(1) || $0 == .number(1) }),
        UnsupportedParameter("suffix", "insertion (text after the completion) is not implemented", isDefault: { $0 == .string("") }),
    ]

    static let chatByName = Dictionary(uniqueKeysWithValues: chat.enumerated().map { ($1.name, $0) })
    static let completionsByName = Dictionary(uniqueKeysWithValues: completions.enumerated().map { ($1.name, $0) })

    /// Throws the 400 for a defined-but-unimplemented field with a non-default value (the first in
    /// table order when there are several, so the answer does not depend on hashing). Null counts
    /// as absent (SDKs send explicit nulls for unset options). One pass over the request's own
    /// members: a request sends a handful, the table has many.
    static func check(_ body: JSONObjectReader, endpoint: OpenAIEndpoint) throws(APIError) {
        let (table, byName) = endpoint == .chatCompletions ? (chat, chatByName) : (completions, completionsByName)
        var first: Int?
        for (name, value) in body.members {
            guard let index = byName[name], value != .null, !table[index].isDefault(value) else { continue }
            first = min(first ?? index, index)
        }
        if let first { throw APIError.unsupportedParameter(table[first].name, reason: table[first].reason) }
    }

    /// Types of the accepted bookkeeping-only fields are still checked: a malformed value is a
    /// client bug worth reporting.
    static func checkBookkeeping(_ body: JSONObjectReader, endpoint: OpenAIEndpoint) throws(APIError) {
        guard endpoint == .chatCompletions else { return }
        _ = try body.string("safety_identifier")
        _ = try body.string("prompt_cache_key")
        if let metadata = body.value("metadata") {
            let reader = try JSONObjectReader(metadata, path: "metadata")
            for key in reader.members.keys.sorted() { _ = try reader.string(key) }
        }
    }

    private static func isEmptyArray(_ value: JSONValue) -> Bool { value == .array([]) }
}

extension APIError {
    /// 400 for a field OpenAI defines but this server does not implement (OpenAI's own wording and
    /// code for parameters a model does not support).
    public static func unsupportedParameter(_ name: String, reason: String) -> APIError {
        invalidRequest("Unsupported parameter: '\(name)' is not supported by this server: \(reason).",
                       param: name, code: "unsupported_parameter")
    }
}
