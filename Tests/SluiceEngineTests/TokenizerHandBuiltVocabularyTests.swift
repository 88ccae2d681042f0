import Testing
@testable import SluiceEngine

/// Tokenizer algorithms over tiny hand-built vocabularies, where every
/// expected id follows from the merge ranks or scores written here.
@Suite struct TokenizerHandBuiltVocabularyTests {
    /// Ids 0...255 are the byte tokens (GPT-2 byte characters, so byte b has id b),
    /// then the extra tokens in order.
    static func byteLevelVocabulary(extra: [(String, TokenizerVocabulary.TokenType)], merges: [String],
                                    pre: String = "gpt-2") -> TokenizerVocabulary {
        var tokens = ByteLevelEncoding.byteToScalar.map { String(Character($0)) }
        var types = [TokenizerVocabulary.TokenType](repeating: .normal, count: 256)
        for (token, type) in extra {
            tokens.append(token)
            types.append(type)
        }
        return TokenizerVocabulary(model: "gpt2", preTokenizer: pre, tokens: tokens, tokenTypes: types, merges: merges)
    }

    // he=256 Ġt=257 Ġthe=258 ll=259 llo=260 <tool>=261 <|ctl|>=262
    static let smallByteLevel = byteLevelVocabulary(
        extra: [("he", .normal), ("Ġt", .normal), ("Ġthe", .normal), ("ll", .normal), ("llo", .normal),
                ("<tool>", .userDefined), ("<|ctl|>", .control)],
        merges: ["h e", "Ġ t", "Ġt he", "l l", "ll o"])

    func ascii(_ text: String) -> [Int] { text.utf8.map(Int.init) }

    @Test func appliesMergesInRankOrder() throws {
        let tokenizer = try Tokenizer(vocabulary: Self.smallByteLevel)
        // " the" → Ġ t h e → (h e) → (Ġ t) → (Ġt he); " hello" → Ġ h e l l o → (h e), (l l), (ll o).
        #expect(tokenizer.encode(" the hello") == [258, 32, 256, 260])
        #expect(tokenizer.decode([258, 32, 256, 260]) == " the hello")
    }

    @Test func longWordsTakeTheHeapPathWithTheSameResult() throws {
        let tokenizer = try Tokenizer(vocabulary: Self.smallByteLevel)
        guard case .byteLevelBPE(let encoder, _) = tokenizer.algorithm else { return }
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let length = Int(generator.next() % 120) + 2
            let letters: [UInt8] = Array("hello".utf8) + [32]
            let bytes = (0..<length).map { _ in letters[Int(generator.next() % UInt64(letters.count))] }
            var scanned = bytes.map { encoder.byteTokens[Int($0)] }
            var heaped = scanned
            encoder.mergeByScanning(&scanned)
            encoder.mergeWithHeap(&heaped)
            #expect(scanned == heaped)
        }
    }

    @Test func userDefinedTokensAlwaysMatchControlTokensOnlyWhenParsingSpecial() throws {
        let tokenizer = try Tokenizer(vocabulary: Self.smallByteLevel)
        #expect(tokenizer.encode("a<tool>b<|ctl|>", parseSpecial: false) == [97, 261, 98] + ascii("<|ctl|>"))
        #expect(tokenizer.encode("a<tool>b<|ctl|>", parseSpecial: true) == [97, 261, 98, 262])
        #expect(tokenizer.decode([262, 261]) == "<tool>")
        #expect(tokenizer.decode([262, 261], renderSpecial: true) == "<|ctl|><tool>")
    }

    @Test func llama3EmitsWholeWordTokensWithoutMerging() throws {
        // "llo" is a token but no merge builds "ll" + "o" here: only Llama 3 (ignore_merges) uses it whole.
        let vocabulary = Self.byteLevelVocabulary(extra: [("llo", .normal), ("ll", .normal)], merges: ["l l"],
                                                  pre: "llama-bpe")
        #expect(try Tokenizer(vocabulary: vocabulary).encode("llo", addSpecialTokens: false) == [256])
        var gpt2 = vocabulary
        gpt2.preTokenizer = "gpt-2"
        #expect(try Tokenizer(vocabulary: gpt2).encode("llo") == [257, 111])
        #expect(try Tokenizer(vocabulary: vocabulary).addsBOS == true)
        #expect(try Tokenizer(vocabulary: gpt2).addsBOS == false)
    }

    @Test func addsBosOnlyWhenTheVocabularySaysSo() throws {
        var vocabulary = Self.smallByteLevel
        vocabulary.bosTokenId = 262
        vocabulary.addBOS = true
        let tokenizer = try Tokenizer(vocabulary: vocabulary)
        #expect(tokenizer.encode("a") == [262, 97])
        #expect(tokenizer.encode("a", addSpecialTokens: false) == [97])
    }

    @Test func rejectsInconsistentVocabularies() {
        #expect(throws: TokenizerError.self) { try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", tokens: [])) }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "wordpiece", tokens: ["a"]))
        }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", tokens: ["a"], tokenTypes: [.normal, .normal]))
        }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", tokens: ["a"], eosTokenId: 5))
        }
        #expect(throws: TokenizerError("unsupported pre-tokenizer 'tekken'")) {
            try Tokenizer(vocabulary: TokenizerVocabulary(model: "gpt2", preTokenizer: "tekken", tokens: ["a"]))
        }
    }

    // MARK: - SentencePiece

    /// <unk>=0 <s>=1 </s>=2, <0x00>...<0xFF>=3...258, then the pieces below from 259.
    static let pieces: [(String, Float)] = [
        ("▁", -1), ("h", -2), ("e", -2), ("l", -2), ("o", -2), ("w", -2), ("r", -2), ("d", -2),
        ("ll", -3), ("he", -4), ("▁he", -5), ("llo", -6), ("▁hello", -7), ("▁w", -8), ("or", -9), ("▁wor", -10),
        ("ld", -11), ("▁world", -12),
    ]

    static func sentencePieceVocabulary() -> TokenizerVocabulary {
        var tokens = ["<unk>", "<s>", "</s>"]
        var types: [TokenizerVocabulary.TokenType] = [.unknown, .control, .control]
        var scores: [Float] = [0, 0, 0]
        for byte in 0..<256 {
            tokens.append(SentencePieceEncoder.byteTokenText(UInt8(byte)))
            types.append(.byte)
            scores.append(0)
        }
        for (piece, score) in pieces {
            tokens.append(piece)
            types.append(.normal)
            scores.append(score)
        }
        return TokenizerVocabulary(model: "llama", tokens: tokens, tokenTypes: types, scores: scores, bosTokenId: 1,
                                   eosTokenId: 2, unknownTokenId: 0, addBOS: true, addSpacePrefix: true)
    }

    func piece(_ text: String) -> Int { 259 + (Self.pieces.firstIndex { $0.0 == text } ?? -1000) }

    @Test func sentencePieceMergesByScoreWithSpacePrefixAndBos() throws {
        let tokenizer = try Tokenizer(vocabulary: Self.sentencePieceVocabulary())
        #expect(tokenizer.encode("hello world") == [1, piece("▁hello"), piece("▁world")])
        #expect(tokenizer.decode([1, piece("▁hello"), piece("▁world")]) == "hello world")
    }

    @Test func sentencePieceFallsBackToByteTokens() throws {
        let tokenizer = try Tokenizer(vocabulary: Self.sentencePieceVocabulary())
        // "i", "!" and "é" are not pieces: <0x69>, <0x21>, <0xC3><0xA9>.
        let ids = tokenizer.encode("hi!é", addSpecialTokens: false)
        #expect(ids == [piece("▁"), piece("h"), 3 + 0x69, 3 + 0x21, 3 + 0xC3, 3 + 0xA9])
        #expect(tokenizer.decode(ids) == "hi!é")
    }

    @Test func sentencePieceAddsTheSpacePrefixAfterSpecialTokens() throws {
        let tokenizer = try Tokenizer(vocabulary: Self.sentencePieceVocabulary())
        #expect(tokenizer.encode("<s>hello", addSpecialTokens: false, parseSpecial: true) == [1, piece("▁hello")])
    }
}
