import Testing
@testable import SluiceEngine

/// Word splitting per regex family, on inputs whose expected split follows
/// directly from each family's regex.
@Suite struct TokenizerPreTokenizerTests {
    func words(_ text: String, _ preTokenizer: PreTokenizer) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return preTokenizer.split(scalars).map { range in
            var word = ""
            word.unicodeScalars.append(contentsOf: scalars[range])
            return word
        }
    }

    @Test func mapsGGUFNamesToFamilies() {
        #expect(PreTokenizer(name: "smollm") == .digitsThenGPT2)
        #expect(PreTokenizer(name: "llama-bpe") == .llama3(maxDigits: 3))
        #expect(PreTokenizer(name: "qwen2") == .llama3(maxDigits: 1))
        #expect(PreTokenizer(name: "gpt-2") == .gpt2)
        #expect(PreTokenizer(name: nil) == .llamaCppDefault)
        #expect(PreTokenizer(name: "default") == .llamaCppDefault)
        #expect(PreTokenizer(name: "tekken") == nil)  // another regex family: refused, not guessed
    }

    @Test func gpt2SplitsContractionsLettersNumbersAndPunctuation() {
        #expect(words("I'll go, it's 2024!", .gpt2) == ["I", "'ll", " go", ",", " it", "'s", " 2024", "!"])
        #expect(words("don't 'VE", .gpt2) == ["don", "'t", " '", "VE"])
    }

    @Test func gpt2LeavesTheLastSpaceOfARunToTheNextWord() {
        #expect(words("a   b", .gpt2) == ["a", "  ", " b"])
        #expect(words("a  ", .gpt2) == ["a", "  "])
        #expect(words("x\n\n y", .gpt2) == ["x", "\n\n", " y"])
        #expect(words("\t\tz", .gpt2) == ["\t", "\t", "z"])
    }

    @Test func gpt2GroupsSymbolsAndEmoji() {
        #expect(words("hi 😀🚀 ok", .gpt2) == ["hi", " 😀🚀", " ok"])
        #expect(words("日本語のテキスト。", .gpt2) == ["日本語のテキスト", "。"])
    }

    @Test func smollmSplitsEveryDigit() {
        #expect(words("abc 123 4.5", .digitsThenGPT2) == ["abc", " ", "1", "2", "3", " ", "4", ".", "5"])
        #expect(words("x٣y", .digitsThenGPT2) == ["x", "٣", "y"])  // Arabic-Indic digit is \p{N}
    }

    @Test func llama3GroupsDigitsByThreeAndAttachesOnePrefixCharacter() {
        #expect(words("1234567", .llama3(maxDigits: 3)) == ["123", "456", "7"])
        #expect(words("(hello) world", .llama3(maxDigits: 3)) == ["(hello", ")", " world"])
        #expect(words("I'M here", .llama3(maxDigits: 3)) == ["I", "'M", " here"])
        #expect(words("end.\n\nNext", .llama3(maxDigits: 3)) == ["end", ".\n\n", "Next"])
        #expect(words("a  \n  b", .llama3(maxDigits: 3)) == ["a", "  \n", " ", " b"])
    }

    @Test func llamaCppDefaultSplitsPunctuationFirstAndDigitsByThree() {
        // "a+b, c" → "+" and "," are punctuation runs; " c" stays GPT-2 style.
        #expect(words("a+b, c", .llamaCppDefault) == ["a", "+", "b", ",", " c"])
        // " 12345" → GPT-2 gives " 12345"; \p{N}+ splits off the space; threes from the left.
        #expect(words("x 12345", .llamaCppDefault) == ["x", " ", "123", "45"])
        #expect(words("...hi!!", .llamaCppDefault) == ["...", "hi", "!!"])
    }

    @Test func qwen2SplitsSingleDigits() {
        #expect(words("x 2024", .llama3(maxDigits: 1)) == ["x", " ", "2", "0", "2", "4"])
    }
}
