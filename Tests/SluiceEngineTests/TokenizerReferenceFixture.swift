import Foundation

/// llama.cpp's reference outputs for the default model (shared/reference/README.md),
/// copied into the test bundle. Used by the tokenizer and template tests.
struct ReferenceFixture: Decodable {
    struct TokenizeCase: Decodable {
        var text: String
        var ids: [Int]
        var ids_parse_special: [Int]
    }

    struct Message: Decodable {
        var role: String
        var content: String
    }

    struct TemplateCase: Decodable {
        var messages: [Message]
        var prompt: String
    }

    var tokenize: [TokenizeCase]
    var chat_template: [TemplateCase]

    static func load() throws -> ReferenceFixture {
        guard let url = Bundle.module.url(forResource: "smollm2-135m-q4_1.llamacpp", withExtension: "json",
                                          subdirectory: "Fixtures")
        else { throw MissingFixture() }
        return try JSONDecoder().decode(ReferenceFixture.self, from: Data(contentsOf: url))
    }

    struct MissingFixture: Error {}
}
