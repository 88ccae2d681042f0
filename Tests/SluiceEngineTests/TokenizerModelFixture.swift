import SluiceTesting
@testable import SluiceEngine

/// The default model's tokenizer and chat template, read once through the GGUF
/// reader (the model is required: tests fail loudly when it is missing).
enum TokenizerModelFixture {
    private static let loaded: Result<(Tokenizer, ChatTemplate), any Error> = Result {
        let file = try GGUFFile(path: try ModelFixture.requireDefaultModel())
        let tokenizer = try Tokenizer(vocabulary: try TokenizerVocabulary(gguf: file))
        return (tokenizer, try ChatTemplate.forModel(gguf: file, tokenizer: tokenizer))
    }

    static func tokenizer() throws -> Tokenizer { try loaded.get().0 }
    static func chatTemplate() throws -> ChatTemplate { try loaded.get().1 }
}
