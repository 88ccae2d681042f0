import Testing
@testable import SluiceAPI

@Suite struct CompletionRequestValidationTests {
    @Test func defaultsFollowTheSpec() throws {
        let request = try ValidatedCompletionRequest.validate(body: completionBody())
        #expect(request.prompts == [.text("hello")])
        #expect(request.maxTokens == 16)
        #expect(request.logprobs == nil)
        #expect(!request.echo)
    }

    @Test(arguments: [
        ("'a'", [PromptInput.text("a")]),
        ("['a','b']", [.text("a"), .text("b")]),
        ("[1,2,3]", [.tokens([1, 2, 3])]),
        ("[[1,2],[3]]", [.tokens([1, 2]), .tokens([3])]),
    ])
    func acceptsEveryPromptShape(_ prompt: String, _ expected: [PromptInput]) throws {
        let request = try ValidatedCompletionRequest.validate(body: body("{'model':'m','prompt':\(prompt)}"))
        #expect(request.prompts == expected)
    }

    @Test(arguments: [
        ("{'model':'m'}", "prompt"), ("{'model':'m','prompt':5}", "prompt"), ("{'model':'m','prompt':[]}", "prompt"),
        ("{'model':'m','prompt':['a',1]}", "prompt[1]"), ("{'model':'m','prompt':[1,'a']}", "prompt[1]"),
        ("{'model':'m','prompt':[1,-1]}", "prompt[1]"), ("{'model':'m','prompt':[[1],[]]}", "prompt[1]"),
        ("{'model':'m','prompt':[[1],2]}", "prompt[1]"), ("{'model':'m','prompt':[[1,'x']]}", "prompt[0][1]"),
        ("{'model':'m','prompt':[true]}", "prompt[0]"), ("{'model':'m','prompt':[3000000000]}", "prompt[0]"),
    ])
    func malformedPromptsNameTheirPath(_ json: String, _ param: String) throws {
        let error = try #require(completionError(body(json)))
        #expect(error.status == 400)
        #expect(error.param == param, "\(json): \(error.message)")
    }

    @Test func integerLogprobsAndEcho() throws {
        let request = try ValidatedCompletionRequest.validate(body: completionBody("'logprobs':5,'echo':true,'max_tokens':0"))
        #expect(request.logprobs == 5)
        #expect(request.echo)
        #expect(request.maxTokens == 0)
        #expect(try ValidatedCompletionRequest.validate(body: completionBody("'logprobs':null")).logprobs == nil)
    }

    @Test(arguments: [
        ("'logprobs':6", "logprobs"), ("'logprobs':true", "logprobs"), ("'logprobs':-1", "logprobs"),
        ("'max_tokens':0", "max_tokens"), ("'max_tokens':-3", "max_tokens"), ("'echo':1", "echo"),
        ("'n':20", "n"), ("'temperature':3", "temperature"), ("'stop':[null]", "stop[0]"),
        ("'stream_options':{'include_usage':true}", "stream_options"),
    ])
    func badParametersAre400WithTheirPath(_ extra: String, _ param: String) throws {
        let error = try #require(completionError(completionBody(extra)), "\(extra) was accepted")
        #expect(error.status == 400)
        #expect(error.param == param, "\(extra): \(error.message)")
    }

    @Test func sharedOptionsParseLikeChat() throws {
        let request = try ValidatedCompletionRequest.validate(body: completionBody("'n':2,'stop':'x','seed':7,'stream':true,'stream_options':{'include_usage':false},'suffix':null,'best_of':null"))
        #expect(request.output.choices == 2)
        #expect(request.output.stop == ["x"])
        #expect(request.sampling.seed == 7)
        #expect(request.output.stream)
        #expect(!request.output.includeUsage)
    }
}
