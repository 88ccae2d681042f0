import Testing
@testable import SluiceAPI

/// Fields OpenAI defines that we do not implement get a 400 naming them, never a silent 200 with
/// plain text; their default values, and fields OpenAI does not define, are accepted.
@Suite struct UnsupportedParameterTests {
    static let refusedChat: [(String, String)] = [
        ("'functions':[{'name':'f'}]", "functions"),
        ("'function_call':{'name':'f'}", "function_call"),
        ("'audio':{'voice':'alloy','format':'wav'}", "audio"),
        ("'modalities':['text','audio']", "modalities"),
        ("'prediction':{'type':'content','content':'x'}", "prediction"),
        ("'web_search_options':{}", "web_search_options"),
        ("'reasoning_effort':'low'", "reasoning_effort"),
        ("'verbosity':'low'", "verbosity"),
        ("'store':true", "store"),
        ("'service_tier':'flex'", "service_tier"),
        ("'prompt_cache_retention':'24h'", "prompt_cache_retention"),
    ]

    @Test(arguments: refusedChat)
    func chatRefusesUnimplementedFields(_ extra: String, _ param: String) throws {
        let error = try #require(chatError(chatBody(extra)))
        #expect(error.status == 400)
        #expect(error.type == "invalid_request_error")
        #expect(error.code == "unsupported_parameter")
        #expect(error.param == param)
        #expect(error.message.contains("'\(param)'"))
    }

    @Test(arguments: [
        "'response_format':{'type':'text'}", "'tools':[]", "'tool_choice':'none'", "'modalities':['text']",
        "'store':false", "'service_tier':'auto'", "'metadata':{'team':'a'}", "'user':'u1'", "'safety_identifier':'s'",
        "'prompt_cache_key':'k'", "'tools':null", "'response_format':null", "'vendor_extension':{'anything':1}",
    ])
    func chatAcceptsDefaultsBookkeepingAndUnknownFields(_ extra: String) {
        #expect(chatError(chatBody(extra)) == nil)
    }

    @Test func bookkeepingFieldsAreTypeChecked() throws {
        let error = try #require(chatError(chatBody("'metadata':{'team':3}")))
        #expect(error.param == "metadata.team")
        #expect(chatError(chatBody("'safety_identifier':5"))?.param == "safety_identifier")
    }

    @Test func completionsRefuseBestOfAndSuffix() throws {
        let bestOf = try #require(completionError(completionBody("'best_of':3")))
        #expect(bestOf.param == "best_of" && bestOf.code == "unsupported_parameter" && bestOf.status == 400)
        #expect(completionError(completionBody("'suffix':' end'"))?.param == "suffix")
        #expect(completionError(completionBody("'best_of':1")) == nil)
        #expect(completionError(completionBody("'suffix':null")) == nil)
        #expect(completionError(completionBody("'vendor_extension':true")) == nil)
    }

    /// Every field of OpenAI's request schemas is either implemented by the validator or listed
    /// here: a field added to the spec cannot slip through as silently ignored.
    @Test func everyFieldOpenAIDefinesIsHandled() {
        let implementedChat: Set = ["messages", "model", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs",
                                    "max_tokens", "max_completion_tokens", "n", "presence_penalty", "seed", "stop", "stream",
                                    "stream_options", "temperature", "top_p", "user", "tools", "tool_choice",
                                    "parallel_tool_calls", "response_format"]
        let bookkeeping: Set = ["metadata", "safety_identifier", "prompt_cache_key"]
        let specChat: Set = ["audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
                             "max_completion_tokens", "max_tokens", "messages", "metadata", "modalities", "model", "moderation",
                             "n", "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key",
                             "prompt_cache_options", "prompt_cache_retention", "reasoning_effort", "response_format",
                             "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options",
                             "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity",
                             "web_search_options"]
        let refused = Set(UnsupportedParameters.chat.map(\.name))
        #expect(specChat.subtracting(implementedChat).subtracting(bookkeeping) == refused)
        let specCompletions: Set = ["best_of", "echo", "frequency_penalty", "logit_bias", "logprobs", "max_tokens", "model",
                                    "n", "presence_penalty", "prompt", "seed", "stop", "stream", "stream_options", "suffix",
                                    "temperature", "top_p", "user"]
        let implementedCompletions: Set = ["echo", "frequency_penalty", "logit_bias", "logprobs", "max_tokens", "model", "n",
                                           "presence_penalty", "prompt", "seed", "stop", "stream", "stream_options",
                                           "temperature", "top_p", "user"]
        #expect(specCompletions.subtracting(implementedCompletions) == Set(UnsupportedParameters.completions.map(\.name)))
    }
}
