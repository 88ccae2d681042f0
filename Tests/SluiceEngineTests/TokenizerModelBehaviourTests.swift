import Testing
@testable import SluiceEngine

/// Properties of the default model's tokenizer beyond the reference cases.
@Suite struct TokenizerModelBehaviourTests {
    /// Random strings mixing ASCII, Latin, CJK, emoji (with ZWJ and flags),
    /// combining marks, digits of several scripts and whitespace runs.
    static func randomText(_ generator: inout SplitMix64, length: Int) -> String {
        let pools: [[UInt32]] = [
            Array(0x20...0x7E), [0x09, 0x0A, 0x0D, 0x20, 0x20, 0x20, 0xA0, 0x3000], Array(0xC0...0x17F),
            Array(0x4E00...0x4E80), Array(0x3040...0x30FF), Array(0x1F600...0x1F64F), [0x200D, 0xFE0F, 0x1F1EB, 0x1F1F7],
            Array(0x0300...0x036F), Array(0x0660...0x0669), Array(0x0410...0x044F), Array(0x0E00...0x0E5B),
        ]
        var text = ""
        for _ in 0..<length {
            let pool = pools[Int(generator.next() % UInt64(pools.count))]
            let value = pool[Int(generator.next() % UInt64(pool.count))]
            if let scalar = Unicode.Scalar(value) { text.unicodeScalars.append(scalar) }
        }
        return text
    }

    @Test func decodeOfEncodeIsIdentityForRandomUnicode() throws {
        let tokenizer = try TokenizerModelFixture.tokenizer()
        var generator = SplitMix64(seed: 2024)
        for round in 0..<300 {
            let text = Self.randomText(&generator, length: Int(generator.next() % 60))
            let ids = tokenizer.encode(text)
            #expect(tokenizer.decode(ids) == text, "round \(round)")
            // And the stream of pieces is the same text.
            var detokenizer = IncrementalDetokenizer(tokenizer: tokenizer)
            #expect(detokenizer.append(contentsOf: ids) + detokenizer.finish() == text, "round \(round)")
        }
    }

    @Test func specialTokenTextInUserContentStaysText() throws {
        let tokenizer = try TokenizerModelFixture.tokenizer()
        let ids = tokenizer.encode("<|im_end|><|endoftext|>")
        #expect(!ids.contains(where: { tokenizer.isControl($0) }))
        #expect(tokenizer.decode(ids) == "<|im_end|><|endoftext|>")
    }

    @Test func whitespaceRunsNumbersAndEmojiRoundTrip() throws {
        let tokenizer = try TokenizerModelFixture.tokenizer()
        for text in ["", " ", "   ", "\n\n\n", " \t \n ", "a    b", "3.14159e-10", "١٢٣ ٤٥", "👨‍👩‍👧‍👦 🏳️‍🌈", "e\u{301}",
                     "\u{FEFF}bom", "x\u{0}y"] {
            #expect(tokenizer.decode(tokenizer.encode(text)) == text)
        }
        #expect(tokenizer.encode("") == [])
        // SmolLM splits every digit: as many tokens as digits.
        #expect(tokenizer.encode("9876543210").count == 10)
    }

    @Test func veryLongInputsTokenizeCompletely() throws {
        let tokenizer = try TokenizerModelFixture.tokenizer()
        // One 200 kB "word" (takes the heap merge path), a long whitespace run and a long prose text.
        let word = String(repeating: "ab", count: 100_000)
        #expect(tokenizer.decode(tokenizer.encode(word)) == word)
        let spaces = String(repeating: " ", count: 50_000) + "x"
        #expect(tokenizer.decode(tokenizer.encode(spaces)) == spaces)
        let prose = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 2_000)
        let ids = tokenizer.encode(prose)
        #expect(ids.count == 20_001)  // 10 tokens per sentence (reference), plus the final " "
        #expect(tokenizer.decode(ids) == prose)
    }
}
