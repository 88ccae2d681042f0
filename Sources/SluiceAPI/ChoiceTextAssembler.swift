// Per-choice text assembly between the detokenizer and the response builders: applies stop
// strings (holding back possible partial matches), keeps logprobs with the text they belong to,
// and records the final text for non-streaming responses and the response cache.
//
// The detokenizer hands over only complete UTF-8 characters (its own hold-back); this type adds
// the stop-string hold-back on top, so nothing of a stop string ever reaches a client.

public struct ChoiceTextAssembler: Sendable {
    public struct Release: Hashable, Sendable {
        /// Text now final (may be empty while a partial stop match is held back).
        public var text: String
        /// Logprobs of the tokens whose text is released here (or that produced no text).
        public var logprobs: [TokenLogprob]
        /// A stop string matched: generation of this choice must end (`finish_reason: "stop"`).
        public var stopMatched: Bool
    }

    private var matcher: StopStringMatcher
    private var pendingLogprobs: [TokenLogprob] = []
    /// Everything released so far.
    public private(set) var text = ""
    /// Logprobs of every released token, for the non-streaming response.
    public private(set) var logprobs: [TokenLogprob] = []
    public private(set) var stopMatched = false
    public private(set) var isFinished = false

    public init(stops: [String]) { matcher = StopStringMatcher(stops: stops) }

    /// Adds the text of one or more new tokens.
    public mutating func append(_ piece: String, logprobs tokenLogprobs: [TokenLogprob] = []) -> Release {
        guard !isFinished, !stopMatched else { return Release(text: "", logprobs: [], stopMatched: false) }
        pendingLogprobs += tokenLogprobs
        let output = matcher.feed(piece)
        if output.stop != nil {
            // Tokens that formed the stop string are not part of the answer; drop their logprobs.
            stopMatched = true
            isFinished = true
            let released = output.text.isEmpty ? [] : pendingLogprobs
            pendingLogprobs = []
            return record(output.text, released, stop: true)
        }
        guard !output.text.isEmpty || matcher.heldText.isEmpty else {
            return Release(text: "", logprobs: [], stopMatched: false)
        }
        let released = pendingLogprobs
        pendingLogprobs = []
        return record(output.text, released, stop: false)
    }

    /// The choice ended for another reason (EOS, length): held-back text is real output.
    public mutating func finish() -> Release {
        guard !isFinished else { return Release(text: "", logprobs: [], stopMatched: false) }
        isFinished = true
        let released = pendingLogprobs
        pendingLogprobs = []
        return record(matcher.flush(), released, stop: false)
    }

    private mutating func record(_ piece: String, _ released: [TokenLogprob], stop: Bool) -> Release {
        text += piece
        logprobs += released
        return Release(text: piece, logprobs: released, stopMatched: stop)
    }
}
