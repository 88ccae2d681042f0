import Testing
@testable import SluiceEngine

/// SmolLM2's own template must render exactly what llama.cpp rendered
/// (shared/reference, `chat_template` section).
@Suite struct TemplateReferenceTests {
    /// `tokenizer.chat_template` of SmolLM2-135M-Instruct, as stored in the GGUF.
    static let smolLM2Template = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
        You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
        ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
        ' + message['content'] + '<|im_end|>' + '
        '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
        ' }}{% endif %}
        """

    @Test func rendersSmolLM2ReferenceConversationsExactly() throws {
        let fixture = try ReferenceFixture.load()
        #expect(fixture.chat_template.count == 4)
        let template = try ChatTemplate(source: Self.smolLM2Template, bosToken: "<|im_start|>", eosToken: "<|im_end|>")
        for reference in fixture.chat_template {
            let messages = reference.messages.map { ChatMessage(role: $0.role, content: $0.content) }
            let prompt = try template.render(messages: messages, addGenerationPrompt: true)
            #expect(prompt == reference.prompt)
        }
    }

    @Test func rendersTheTemplateReadFromTheModelFile() throws {
        let template = try TokenizerModelFixture.chatTemplate()
        #expect(template.source == Self.smolLM2Template)
        #expect(template.bosToken == "<|im_start|>")
        #expect(template.eosToken == "<|im_end|>")
        for reference in try ReferenceFixture.load().chat_template {
            let messages = reference.messages.map { ChatMessage(role: $0.role, content: $0.content) }
            #expect(try template.render(messages: messages, addGenerationPrompt: true) == reference.prompt)
        }
    }

    @Test func renderedPromptTokenizesIntoSpecialTokens() throws {
        let tokenizer = try TokenizerModelFixture.tokenizer()
        let prompt = try TokenizerModelFixture.chatTemplate().render(messages: [ChatMessage(role: "user", content: "Hi")])
        let ids = tokenizer.encode(prompt, parseSpecial: true)
        #expect(ids.first == 1)  // <|im_start|>
        #expect(ids.filter { $0 == 1 }.count == 3)  // system, user, assistant turns
        #expect(ids.filter { $0 == 2 }.count == 2)  // <|im_end|> after system and user
        #expect(tokenizer.decode(ids, renderSpecial: true) == prompt)
    }

    @Test func omitsGenerationPromptWhenNotAsked() throws {
        let template = try ChatTemplate(source: Self.smolLM2Template)
        let prompt = try template.render(messages: [ChatMessage(role: "system", content: "S")], addGenerationPrompt: false)
        #expect(prompt == "<|im_start|>system\nS<|im_end|>\n")
    }

    @Test func fallsBackToChatMLWithoutTemplate() throws {
        let template = try ChatTemplate.forModel(source: nil, bosToken: "", eosToken: "")
        let prompt = try template.render(messages: [
            ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi"),
        ])
        #expect(prompt == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }
}
