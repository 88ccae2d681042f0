// Stop strings over streamed text (vLLM #3574 / PR #3672: a stop string split across tokens must
// not leak into the stream). Text is fed piece by piece as the detokenizer releases complete
// characters; the matcher emits what can no longer begin a stop string, holds back the longest
// tail that is still a prefix of one, and on a match returns only the text before it.
//
// Matching is on Unicode scalars, as Python's `str.find` in vLLM and the OpenAI API behave:
// a grapheme cluster split across pieces (an emoji ZWJ sequence, a letter plus a combining mark)
// is never merged or broken by the matcher, it only ever cuts between scalars. No normalisation:
// "é" precomposed does not match "e\u{301}".

public struct StopStringMatcher: Sendable {
    public struct Output: Hashable, Sendable {
        /// Text that is final: safe to send to the client.
        public var text: String
        /// The stop string that ended generation, if one matched in this piece.
        public var stop: String?
    }

    private let stops: [[Unicode.Scalar]]
    private let stopStrings: [String]
    private var held: [Unicode.Scalar] = []
    public private(set) var isStopped = false

    /// Empty stop strings are ignored (they would match everywhere).
    public init(stops: [String]) {
        stopStrings = stops.filter { !$0.isEmpty }
        self.stops = stopStrings.map { Array($0.unicodeScalars) }
    }

    /// Text held back because it may be the start of a stop string.
    public var heldText: String { String(String.UnicodeScalarView(held)) }

    public mutating func feed(_ piece: String) -> Output {
        guard !isStopped else { return Output(text: "", stop: nil) }
        held.append(contentsOf: piece.unicodeScalars)
        guard !stops.isEmpty else { return Output(text: drain(count: held.count), stop: nil) }

        // Earliest match wins; at the same start, the longest stop string.
        var best: (start: Int, stop: Int)?
        for (stopIndex, stop) in stops.enumerated() {
            guard let start = firstIndex(of: stop, in: held) else { continue }
            if let current = best,
               start > current.start || (start == current.start && stop.count <= stops[current.stop].count) {
                continue
            }
            best = (start, stopIndex)
        }
        if let best {
            let text = String(String.UnicodeScalarView(held[..<best.start]))
            held = []
            isStopped = true
            return Output(text: text, stop: stopStrings[best.stop])
        }
        return Output(text: drain(count: held.count - longestPartialMatch()), stop: nil)
    }

    /// Ends the stream without a stop: whatever was held back is real output.
    public mutating func flush() -> String {
        guard !isStopped else { return "" }
        return drain(count: held.count)
    }

    /// Length of the longest tail of `held` that is a proper prefix of some stop string.
    private func longestPartialMatch() -> Int {
        let longest = stops.map(\.count).max() ?? 0
        var length = min(held.count, longest - 1)
        while length > 0 {
            let tail = held[(held.count - length)...]
            if stops.contains(where: { $0.count > length && $0[..<length].elementsEqual(tail) }) { return length }
            length -= 1
        }
        return 0
    }

    private mutating func drain(count: Int) -> String {
        guard count > 0 else { return "" }
        let text = String(String.UnicodeScalarView(held[..<count]))
        held.removeFirst(count)
        return text
    }

    private func firstIndex(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
