import Testing
@testable import SluiceEngine

/// Streaming detokenization never splits a UTF-8 character.
@Suite struct TokenizerDetokenizerTests {
    /// Byte tokens only (id = byte), plus a control token 256.
    static let tokenizer: Tokenizer? = try? Tokenizer(vocabulary: TokenizerHandBuiltVocabularyTests.byteLevelVocabulary(
        extra: [("<|end|>", .control)], merges: []))

    @Test func holdsBackIncompleteCharactersUntilTheyComplete() throws {
        let tokenizer = try #require(Self.tokenizer)
        var detokenizer = IncrementalDetokenizer(tokenizer: tokenizer)
        let emoji = Array("😀".utf8)  // F0 9F 98 80
        #expect(detokenizer.append(Int(UInt8(ascii: "a"))) == "a")
        #expect(detokenizer.append(Int(emoji[0])) == "")
        #expect(detokenizer.append(Int(emoji[1])) == "")
        #expect(detokenizer.append(Int(emoji[2])) == "")
        #expect(detokenizer.pendingByteCount == 3)
        #expect(detokenizer.append(Int(emoji[3])) == "😀")
        #expect(detokenizer.finish() == "")
    }

    @Test func invalidBytesBecomeReplacementCharactersOnlyWhenDefinitelyInvalid() throws {
        let tokenizer = try #require(Self.tokenizer)
        var detokenizer = IncrementalDetokenizer(tokenizer: tokenizer)
        #expect(detokenizer.append(0x80) == "\u{FFFD}")  // a lone continuation byte can never be valid
        #expect(detokenizer.append(0xE2) == "")          // could start "€"
        #expect(detokenizer.append(0x41) == "\u{FFFD}A") // ... but 'A' proves it cannot
        #expect(detokenizer.append(0xED) == "")
        #expect(detokenizer.append(0xA0) == "\u{FFFD}\u{FFFD}")  // ED A0 would be a surrogate
        #expect(detokenizer.append(0xC3) == "")
        #expect(detokenizer.finish() == "\u{FFFD}")  // cut off at the end of the stream
    }

    @Test func controlTokensAreSkippedOrRendered() throws {
        let tokenizer = try #require(Self.tokenizer)
        var plain = IncrementalDetokenizer(tokenizer: tokenizer)
        #expect(plain.append(contentsOf: [104, 105, 256]) == "hi")
        var rendered = IncrementalDetokenizer(tokenizer: tokenizer, renderSpecial: true)
        #expect(rendered.append(contentsOf: [104, 105, 256]) == "hi<|end|>")
    }

    @Test func streamedPiecesConcatenateToTheFullDecode() throws {
        let tokenizer = try #require(Self.tokenizer)
        let text = "Ünïcödé 日本語 😀🚀 🇫🇷 done"
        let ids = tokenizer.encode(text)
        var detokenizer = IncrementalDetokenizer(tokenizer: tokenizer)
        var streamed = ""
        for id in ids {
            let piece = detokenizer.append(id)
            #expect(!piece.unicodeScalars.contains("\u{FFFD}"))
            streamed += piece
        }
        streamed += detokenizer.finish()
        #expect(streamed == text)
        #expect(tokenizer.decode(ids) == text)
    }

    @Test func completePrefixLengthFollowsRFC3629() {
        #expect(IncrementalDetokenizer.completePrefixLength([0x61, 0xC3]) == 1)
        #expect(IncrementalDetokenizer.completePrefixLength([0x61, 0xC3, 0xA9]) == 3)
        #expect(IncrementalDetokenizer.completePrefixLength([0xF0, 0x9F, 0x98]) == 0)
        #expect(IncrementalDetokenizer.completePrefixLength([0xF0, 0x80]) == 2)  // overlong: emit as invalid
        #expect(IncrementalDetokenizer.completePrefixLength([0xF5]) == 1)  // never a lead byte
        #expect(IncrementalDetokenizer.completePrefixLength([]) == 0)
    }

    @Test func sentencePieceStreamDropsTheLeadingSpace() throws {
        let tokenizer = try Tokenizer(vocabulary: TokenizerHandBuiltVocabularyTests.sentencePieceVocabulary())
        let ids = tokenizer.encode("hello world")
        var detokenizer = IncrementalDetokenizer(tokenizer: tokenizer)
        #expect(detokenizer.append(contentsOf: ids) + detokenizer.finish() == "hello world")
    }
}
