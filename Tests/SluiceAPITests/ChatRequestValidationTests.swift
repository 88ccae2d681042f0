import Testing
@testable import SluiceAPI

@Suite struct ChatRequestValidationTests {
    @Test func minimalRequestGetsDefaults() throws {
        let request = try ValidatedChatRequest.validate(body: chatBody())
        #expect(request.model == "m")
        #expect(request.messages.map(\.role) == [.user])
        #expect(request.messages[0].content == "hi")
        #expect(request.maxTokens == nil)
        #expect(request.sampling == SamplingParameters())
        #expect(request.output == OutputOptions())
        #expect(!request.logprobs)
        #expect(request.topLogprobs == 0)
    }

    @Test func acceptsEveryRoleAndTextPartArrays() throws {
        let request = try ValidatedChatRequest.validate(body: body("""
            {'model':'m','messages':[
              {'role':'system','content':[{'type':'text','text':'s'}]},
              {'role':'developer','content':'d'},
              {'role':'user','content':[{'type':'text','text':'a'},{'type':'text','text':'b'}],'name':'bob'},
              {'role':'assistant','content':null,'tool_calls':[{'id':'call_1','type':'function','function':{'name':'f','arguments':'{}'}}]},
              {'role':'tool','content':'42','tool_call_id':'call_1'},
              {'role':'assistant','content':[{'type':'text','text':'x'}]}
            ]}
            """))
        #expect(request.messages.map(\.role) == [.system, .developer, .user, .assistant, .tool, .assistant])
        #expect(request.messages[0].content == "s")
        #expect(request.messages[2].contentParts == ["a", "b"])
        #expect(request.messages[2].content == "a\nb")
        #expect(request.messages[2].name == "bob")
        #expect(request.messages[3].contentParts == [])
        #expect(request.messages[3].toolCalls == [ValidatedToolCall(id: "call_1", name: "f", arguments: "{}")])
        #expect(request.messages[4].toolCallID == "call_1")
    }

    @Test func stringAndTextPartContentAreEquivalent() throws {
        let plain = try ValidatedChatRequest.validate(body: chatBody())
        let parts = try ValidatedChatRequest.validate(body: body("{'model':'m','messages':[{'role':'user','content':[{'type':'text','text':'hi'}]}]}"))
        #expect(plain == parts)
    }

    @Test(arguments: [
        ("image_url", "{'type':'image_url','image_url':{'url':'http://x'}}"),
        ("input_audio", "{'type':'input_audio','input_audio':{'data':'','format':'wav'}}"),
        ("file", "{'type':'file','file':{'file_id':'f'}}"),
    ])
    func nonTextContentPartsAreRejectedWithTheirPath(_ type: String, _ part: String) throws {
        let error = try #require(chatError(body("{'model':'m','messages':[{'role':'user','content':'x'},{'role':'user','content':[{'type':'text','text':'a'},\(part)]}]}")))
        #expect(error.status == 400)
        #expect(error.type == "invalid_request_error")
        #expect(error.param == "messages[1].content[1].type")
        #expect(error.message.contains(type))
    }

    @Test(arguments: [
        ("{'model':'m'}", "messages"),
        ("{'messages':[{'role':'user','content':'x'}]}", "model"),
        ("{'model':'m','messages':[]}", "messages"),
        ("{'model':'m','messages':{}}", "messages"),
        ("{'model':3,'messages':[{'role':'user','content':'x'}]}", "model"),
        ("{'model':'m','messages':['hi']}", "messages[0]"),
        ("{'model':'m','messages':[{'content':'x'}]}", "messages[0].role"),
        ("{'model':'m','messages':[{'role':'wizard','content':'x'}]}", "messages[0].role"),
        ("{'model':'m','messages':[{'role':'user'}]}", "messages[0].content"),
        ("{'model':'m','messages':[{'role':'user','content':null}]}", "messages[0].content"),
        ("{'model':'m','messages':[{'role':'user','content':7}]}", "messages[0].content"),
        ("{'model':'m','messages':[{'role':'user','content':[{'text':'a'}]}]}", "messages[0].content[0].type"),
        ("{'model':'m','messages':[{'role':'user','content':[{'type':'text'}]}]}", "messages[0].content[0].text"),
        ("{'model':'m','messages':[{'role':'tool','content':'x'}]}", "messages[0].tool_call_id"),
        ("{'model':'m','messages':[{'role':'user','content':'x','name':5}]}", "messages[0].name"),
    ])
    func malformedMessagesNameTheirPath(_ json: String, _ param: String) throws {
        let error = try #require(chatError(body(json)))
        #expect(error.status == 400)
        #expect(error.param == param)
    }

    @Test func invalidJSONIsAClear400() throws {
        let error = try #require(chatError(Array("{\"model\": ".utf8)))
        #expect(error.status == 400)
        #expect(error.code == "invalid_json")
        #expect(error.param == nil)
        #expect(error.message.contains("JSON"))
        let notObject = try #require(chatError(Array("[1,2]".utf8)))
        #expect(notObject.message.contains("JSON object"))
    }

    @Test func maxCompletionTokensWinsOverMaxTokens() throws {
        #expect(try ValidatedChatRequest.validate(body: chatBody("'max_tokens':5")).maxTokens == 5)
        #expect(try ValidatedChatRequest.validate(body: chatBody("'max_completion_tokens':7")).maxTokens == 7)
        #expect(try ValidatedChatRequest.validate(body: chatBody("'max_tokens':5,'max_completion_tokens':7")).maxTokens == 7)
        #expect(try ValidatedChatRequest.validate(body: chatBody("'max_tokens':null,'max_completion_tokens':null")).maxTokens == nil)
    }

    @Test func parsesEverySamplingParameter() throws {
        let request = try ValidatedChatRequest.validate(body: chatBody("""
            'temperature':0.5,'top_p':0.9,'top_k':40,'min_p':0.05,'presence_penalty':-1.5,'frequency_penalty':2,
            'seed':-9223372036854775808,'logit_bias':{'50256':-100,'7':3.5},'n':3,'stop':['a','','b','a'],
            'stream':true,'stream_options':{'include_usage':true},'logprobs':true,'top_logprobs':20,'user':'u-1',
            'unknown_field':{'anything':[1]},'tools':[],'response_format':{'type':'text'}
            """))
        var sampling = SamplingParameters()
        sampling.temperature = 0.5
        sampling.topP = 0.9
        sampling.topK = 40
        sampling.minP = 0.05
        sampling.presencePenalty = -1.5
        sampling.frequencyPenalty = 2
        sampling.seed = Int64.min
        sampling.logitBias = [50256: -100, 7: 3.5]
        #expect(request.sampling == sampling)
        #expect(request.output.choices == 3)
        #expect(request.output.stop == ["a", "b"])
        #expect(request.output.stream)
        #expect(request.output.includeUsage)
        #expect(request.output.user == "u-1")
        #expect(request.logprobs)
        #expect(request.topLogprobs == 20)
    }

    @Test func nullOptionalFieldsMeanDefaults() throws {
        let request = try ValidatedChatRequest.validate(body: chatBody("""
            'temperature':null,'top_p':null,'top_k':null,'min_p':null,'n':null,'stop':null,'seed':null,
            'presence_penalty':null,'frequency_penalty':null,'logit_bias':null,'logprobs':null,'top_logprobs':null,
            'stream':null,'stream_options':null,'user':null,'max_tokens':null,'max_completion_tokens':null
            """))
        #expect(request == (try ValidatedChatRequest.validate(body: chatBody())))
    }

    @Test func stopAsAPlainString() throws {
        #expect(try ValidatedChatRequest.validate(body: chatBody("'stop':'\\n'")).output.stop == ["\n"])
        #expect(try ValidatedChatRequest.validate(body: chatBody("'stop':''")).output.stop == [])
    }

    @Test func disabledTopKAndMinPBecomeNil() throws {
        let request = try ValidatedChatRequest.validate(body: chatBody("'top_k':-1,'min_p':0"))
        #expect(request.sampling.topK == nil)
        #expect(request.sampling.minP == nil)
        #expect(try ValidatedChatRequest.validate(body: chatBody("'top_k':0")).sampling.topK == nil)
    }

    @Test func integralFloatsAreAcceptedForIntegers() throws {
        #expect(try ValidatedChatRequest.validate(body: chatBody("'n':2.0")).output.choices == 2)
    }

    @Test(arguments: [
        ("'temperature':2.5", "temperature"), ("'temperature':-0.1", "temperature"), ("'temperature':'hot'", "temperature"),
        ("'top_p':1.5", "top_p"), ("'top_p':true", "top_p"),
        ("'top_k':-2", "top_k"), ("'top_k':1.5", "top_k"), ("'min_p':2", "min_p"),
        ("'n':0", "n"), ("'n':17", "n"), ("'n':'2'", "n"),
        ("'max_tokens':0", "max_tokens"), ("'max_tokens':'5'", "max_tokens"), ("'max_completion_tokens':-1", "max_completion_tokens"),
        ("'presence_penalty':2.1", "presence_penalty"), ("'frequency_penalty':-3", "frequency_penalty"),
        ("'seed':1.5", "seed"), ("'seed':'1'", "seed"), ("'seed':99999999999999999999", "seed"),
        ("'stop':['a','b','c','d','e']", "stop"), ("'stop':[1]", "stop[0]"), ("'stop':5", "stop"),
        ("'logit_bias':[1,2]", "logit_bias"), ("'logit_bias':{'abc':1}", "logit_bias"), ("'logit_bias':{'-5':1}", "logit_bias"),
        ("'logit_bias':{'5':101}", "logit_bias.5"), ("'logit_bias':{'5':'x'}", "logit_bias.5"),
        ("'logprobs':1", "logprobs"), ("'top_logprobs':21,'logprobs':true", "top_logprobs"),
        ("'top_logprobs':2", "top_logprobs"), ("'top_logprobs':2,'logprobs':false", "top_logprobs"),
        ("'stream':'yes'", "stream"), ("'stream_options':{'include_usage':true}", "stream_options"),
        ("'stream':false,'stream_options':{'include_usage':true}", "stream_options"),
        ("'stream':true,'stream_options':{'include_usage':1}", "stream_options.include_usage"),
        ("'stream':true,'stream_options':[]", "stream_options"), ("'user':1", "user"),
    ])
    func badParametersAre400WithTheirPath(_ extra: String, _ param: String) throws {
        let error = try #require(chatError(chatBody(extra)), "\(extra) was accepted")
        #expect(error.status == 400)
        #expect(error.type == "invalid_request_error")
        #expect(error.param == param, "\(extra): \(error.message)")
    }

    @Test func typeErrorsSayWhatWasExpected() throws {
        let error = try #require(chatError(chatBody("'temperature':'hot'")))
        #expect(error.message == "Invalid type for 'temperature': expected a number, but got a string instead.")
        let range = try #require(chatError(chatBody("'n':17")))
        #expect(range.message == "Invalid 'n': expected a value between 1 and 16, but got 17 instead.")
    }
}
