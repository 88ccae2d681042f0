import SluiceTesting
import Testing
@testable import SluiceAPI

@Suite struct StopStringMatcherTests {
    /// Feeds pieces and returns (streamed text, matched stop); flushes when no stop matched.
    private func run(_ stops: [String], _ pieces: [String]) -> (text: String, stop: String?, outputs: [String]) {
        var matcher = StopStringMatcher(stops: stops)
        var outputs: [String] = []
        for piece in pieces {
            let output = matcher.feed(piece)
            outputs.append(output.text)
            if let stop = output.stop { return (outputs.joined(), stop, outputs) }
        }
        outputs.append(matcher.flush())
        return (outputs.joined(), nil, outputs)
    }

    @Test func stopSpanningTokensNeverLeaks() {
        // vLLM #3574: with stop "DEFGHIJ" the pieces "DEF", "G", "HI" were streamed.
        let result = run(["DEFGHIJ"], ["ABC", "DEF", "G", "HI", "J", "KLM"])
        #expect(result.text == "ABC")
        #expect(result.stop == "DEFGHIJ")
        for output in result.outputs { #expect(!output.contains("D")) }
    }

    @Test func heldBackTextIsReleasedWhenTheMatchFails() {
        let result = run(["DEFGHIJ"], ["ABC", "DEF", "G", "X"])
        #expect(result.outputs == ["ABC", "", "", "DEFGX", ""])
        #expect(result.stop == nil)
    }

    @Test func streamedTextEqualsNonStreamedText() {
        let text = "The answer is 42.\nObservation: done"
        let stops = ["\nObservation:", "xyz"]
        let whole = run(stops, [text])
        for split in 1..<text.count {
            let index = text.index(text.startIndex, offsetBy: split)
            let pieces = run(stops, [String(text[..<index]), String(text[index...])])
            #expect(pieces.text == whole.text)
            #expect(pieces.stop == whole.stop)
        }
        #expect(whole.text == "The answer is 42.")
    }

    @Test func earliestOfSeveralStopsWins() {
        #expect(run(["cd", "b"], ["abcd"]).text == "a")
        #expect(run(["cd", "b"], ["abcd"]).stop == "b")
        #expect(run(["bc", "b"], ["abc"]).stop == "bc")  // same start: the longer one
    }

    @Test func overlappingPrefixesAreHeldAndResolved() {
        // "abab" then "c": the stop "abac" starts at index 2, not 0.
        let result = run(["abac"], ["ab", "ab", "ac"])
        #expect(result.text == "ab")
        #expect(result.stop == "abac")
        #expect(run(["aab"], ["a", "a", "a", "b"]).text == "a")
    }

    @Test func stopAtTheVeryStartEmitsNothing() {
        let result = run(["Hello"], ["Hel", "lo world"])
        #expect(result.text == "")
        #expect(result.stop == "Hello")
    }

    @Test func nothingIsEmittedAfterAStop() {
        var matcher = StopStringMatcher(stops: ["x"])
        #expect(matcher.feed("ax").text == "a")
        #expect(matcher.isStopped)
        #expect(matcher.feed("more") == StopStringMatcher.Output(text: "", stop: nil))
        #expect(matcher.flush() == "")
    }

    @Test func withoutStopsTextPassesStraightThrough() {
        var matcher = StopStringMatcher(stops: ["", ""])
        #expect(matcher.feed("abc").text == "abc")
        #expect(matcher.heldText == "")
    }

    @Test func emojiAndCJKPiecesPassIntactAndStopOnEmoji() {
        #expect(run(["END"], ["你好", "😀", "世界"]).text == "你好😀世界")
        let result = run(["😀!"], ["a😀", "!b"])
        #expect(result.text == "a")
        #expect(result.stop == "😀!")
    }

    @Test func zwjSequenceSplitAcrossPiecesIsReassembledExactly() {
        // 👨‍👩‍👧 is one grapheme of five scalars; the detokenizer may release it scalar by scalar.
        let family = "👨‍👩‍👧"
        let pieces = family.unicodeScalars.map { String($0) }
        let result = run(["👧x"], pieces + ["y"])
        #expect(result.text == family + "y")
        #expect(result.text.unicodeScalars.elementsEqual((family + "y").unicodeScalars))
    }

    @Test func stopInsideAGraphemeMatchesOnScalars() {
        // A stop on the ZWJ-joined woman scalar matches even though it sits inside one Character.
        let result = run(["\u{200D}👩"], ["👨", "\u{200D}", "👩", "\u{200D}👧"])
        #expect(result.text == "👨")
        #expect(result.stop == "\u{200D}👩")
    }

    @Test func combiningMarkAfterAHeldPrefixIsNotLost() {
        // "e" may start the stop "e!"; the next piece is a combining accent, so "e" + U+0301 is released whole.
        let result = run(["e!"], ["caf", "e", "\u{301}", " ok"])
        #expect(result.text == "cafe\u{301} ok")
        #expect(result.stop == nil)
    }

    @Test func randomSplitsMatchTheWholeStringReference() {
        var generator = SplitMix64(seed: 7)
        let alphabet = Array("ab😀\n")
        let stops = ["ab😀", "\n\n", "bb"]
        for _ in 0..<300 {
            let text = String((0..<Int.random(in: 0..<30, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
            var reference = StopStringMatcher(stops: stops)
            let whole = reference.feed(text)
            let expected = whole.stop == nil ? whole.text + reference.flush() : whole.text
            var pieces: [String] = []
            var rest = Substring(text)
            while !rest.isEmpty {
                let take = Int.random(in: 1...min(3, rest.count), using: &generator)
                pieces.append(String(rest.prefix(take)))
                rest = rest.dropFirst(take)
            }
            let streamed = run(stops, pieces)
            #expect(streamed.text == expected, "\(text.debugDescription) split as \(pieces)")
            #expect(streamed.stop == whole.stop)
            // The reference result never contains a stop string.
            for stop in stops { #expect(!expected.contains(stop) || whole.stop == nil) }
        }
    }
}
