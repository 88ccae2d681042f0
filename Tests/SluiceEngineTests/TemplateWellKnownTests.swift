import Testing
@testable import SluiceEngine

/// Other families' published templates, embedded verbatim; expected prompts
/// written out by hand from each template's logic.
@Suite struct TemplateWellKnownTests {
    static let llama3 = """
        {% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}
        """

    static let mistral = """
        {{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}
        """

    static let qwen25 = #"""
        {%- if tools %}
            {{- '<|im_start|>system\n' }}
            {%- if messages[0]['role'] == 'system' %}
                {{- messages[0]['content'] }}
            {%- else %}
                {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
            {%- endif %}
            {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
            {%- for tool in tools %}
                {{- "\n" }}
                {{- tool | tojson }}
            {%- endfor %}
            {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
        {%- else %}
            {%- if messages[0]['role'] == 'system' %}
                {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
            {%- else %}
                {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
            {%- endif %}
        {%- endif %}
        {%- for message in messages %}
            {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
                {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
            {%- elif message.role == "assistant" %}
                {{- '<|im_start|>' + message.role }}
                {%- if message.content %}
                    {{- '\n' + message.content }}
                {%- endif %}
                {%- for tool_call in message.tool_calls %}
                    {%- if tool_call.function is defined %}
                        {%- set tool_call = tool_call.function %}
                    {%- endif %}
                    {{- '\n<tool_call>\n{"name": "' }}
                    {{- tool_call.name }}
                    {{- '", "arguments": ' }}
                    {{- tool_call.arguments | tojson }}
                    {{- '}\n</tool_call>' }}
                {%- endfor %}
                {{- '<|im_end|>\n' }}
            {%- elif message.role == "tool" %}
                {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
                    {{- '<|im_start|>user' }}
                {%- endif %}
                {{- '\n<tool_response>\n' }}
                {{- message.content }}
                {{- '\n</tool_response>' }}
                {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
                    {{- '<|im_end|>\n' }}
                {%- endif %}
            {%- endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}
            {{- '<|im_start|>assistant\n' }}
        {%- endif %}
        """#

    static let gemma = """
        {{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}
        """

    static let deepSeekR1Style = """
        {% set ns = namespace(system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{ bos_token }}{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == 'user' %}{{ '<｜User｜>' + message['content'] }}{%- endif %}{%- if message['role'] == 'assistant' %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{ '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>' }}{%- endif %}{%- endfor %}{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\n' }}{% endif %}
        """

    @Test func rendersGemmaWithModelRoleAndRejectsSystem() throws {
        let template = try ChatTemplate(source: Self.gemma, bosToken: "<bos>", eosToken: "<eos>")
        let prompt = try template.render(messages: [
            ChatMessage(role: "user", content: "Hi "), ChatMessage(role: "assistant", content: "Hello"),
            ChatMessage(role: "user", content: "Q"),
        ])
        #expect(prompt == "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n"
            + "<start_of_turn>user\nQ<end_of_turn>\n<start_of_turn>model\n")
        #expect(throws: ChatTemplateError(.raisedByTemplate, "System role not supported")) {
            try template.render(messages: [ChatMessage(role: "system", content: "S")])
        }
    }

    @Test func rendersNamespaceAndSplitBasedReasoningTemplate() throws {
        let template = try ChatTemplate(source: Self.deepSeekR1Style, bosToken: "<｜begin▁of▁sentence｜>")
        let prompt = try template.render(messages: [
            ChatMessage(role: "system", content: "S"), ChatMessage(role: "user", content: "U1"),
            ChatMessage(role: "assistant", content: "<think>x</think>A1"), ChatMessage(role: "user", content: "U2"),
        ])
        #expect(prompt == "<｜begin▁of▁sentence｜>S<｜User｜>U1<｜Assistant｜>A1<｜end▁of▁sentence｜><｜User｜>U2<｜Assistant｜><think>\n")
    }

    @Test func rendersLlama3WithBosAndTrimmedContent() throws {
        let template = try ChatTemplate(source: Self.llama3, bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>")
        let prompt = try template.render(messages: [
            ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "  Hi \n"),
        ])
        #expect(prompt == "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    }

    @Test func rendersMistralAlternatingConversation() throws {
        let template = try ChatTemplate(source: Self.mistral, bosToken: "<s>", eosToken: "</s>")
        let prompt = try template.render(messages: [
            ChatMessage(role: "user", content: "Hi"), ChatMessage(role: "assistant", content: "Hello"),
            ChatMessage(role: "user", content: "Bye"),
        ])
        #expect(prompt == "<s>[INST] Hi [/INST]Hello</s>[INST] Bye [/INST]")
    }

    @Test func mistralRejectsBadRoleOrderWithTemplateMessage() throws {
        let template = try ChatTemplate(source: Self.mistral, bosToken: "<s>", eosToken: "</s>")
        #expect(throws: ChatTemplateError(.raisedByTemplate,
                                          "Conversation roles must alternate user/assistant/user/assistant/...")) {
            try template.render(messages: [ChatMessage(role: "user", content: "a"), ChatMessage(role: "user", content: "b")])
        }
        #expect(throws: ChatTemplateError.self) {
            try template.render(messages: [ChatMessage(role: "system", content: "a")])
        }
    }

    @Test func rendersQwen25WithoutTools() throws {
        let template = try ChatTemplate(source: Self.qwen25)
        let prompt = try template.render(messages: [ChatMessage(role: "user", content: "Hi")])
        #expect(prompt == "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func rendersQwen25WithToolsAndToolCalls() throws {
        let template = try ChatTemplate(source: Self.qwen25)
        let tool: TemplateValue = .object([
            "type": "function",
            "function": .object(["name": "get_weather", "parameters": .object(["type": "object"])]),
        ])
        let call: TemplateValue = .object([
            "function": .object(["name": "get_weather", "arguments": .object(["city": "Paris"])]),
        ])
        let prompt = try template.render(messages: [
            ChatMessage(role: "system", content: "Sys."),
            ChatMessage(role: "user", content: "Weather?"),
            ChatMessage(role: "assistant", content: "", extra: [TemplateEntry(key: "tool_calls", value: [call])]),
            ChatMessage(role: "tool", content: "18C"),
        ], addGenerationPrompt: true, tools: [tool])
        let expected = "<|im_start|>system\nSys.\n\n# Tools\n\nYou may call one or more functions to assist with the user query."
            + "\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>"
            + "\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\"}}}"
            + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within"
            + " <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}"
            + "\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\nWeather?<|im_end|>\n"
            + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n"
        #expect(prompt == expected)
    }
}
