import Testing
@testable import SluiceEngine

/// The default model's tokenizer must give llama.cpp's ids exactly (shared/reference `tokenize`).
@Suite struct TokenizerReferenceTests {
    @Test func matchesLlamaCppWithoutParsingSpecialTokens() throws {
        let tokenizer = try TokenizerModelFixture.tokenizer()
        let fixture = try ReferenceFixture.load()
        #expect(fixture.tokenize.count == 16)
        for reference in fixture.tokenize {
            #expect(tokenizer.encode(reference.text, addSpecialTokens: true, parseSpecial: false) == reference.ids,
                    "\(reference.text)")
        }
    }

    @Test func matchesLlamaCppParsingSpecialTokens() throws {
        let tokenizer = try TokenizerModelFixture.tokenizer()
        for reference in try ReferenceFixture.load().tokenize {
            #expect(tokenizer.encode(reference.text, addSpecialTokens: true, parseSpecial: true) == reference.ids_parse_special,
                    "\(reference.text)")
        }
    }

    @Test func decodesReferenceIdsBackToTheText() throws {
        let tokenizer = try TokenizerModelFixture.tokenizer()
        for reference in try ReferenceFixture.load().tokenize {
            #expect(tokenizer.decode(reference.ids) == reference.text)
            #expect(tokenizer.decode(reference.ids_parse_special, renderSpecial: true) == reference.text)
        }
    }

    @Test func knowsTheDefaultModelsSpecialTokens() throws {
        let tokenizer = try TokenizerModelFixture.tokenizer()
        #expect(tokenizer.bosTokenId == 1)
        #expect(tokenizer.eosTokenId == 2)
        #expect(tokenizer.addsBOS == false)
        #expect(tokenizer.endOfGenerationIds == [0, 2])
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.decode([1, 2]) == "")
        #expect(tokenizer.decode([1, 2], renderSpecial: true) == "<|im_start|><|im_end|>")
    }
}
