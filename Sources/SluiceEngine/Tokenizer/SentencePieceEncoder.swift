/// SentencePiece-style BPE (GGUF `tokenizer.ggml.model = "llama"`): start from
/// single characters and repeatedly merge the adjacent pair whose concatenation
/// is the vocabulary token with the highest score. Spaces are "▁" (U+2581);
/// characters missing from the vocabulary fall back to `<0xXX>` byte tokens.
struct SentencePieceEncoder: Sendable {
    static let spaceMarker: Unicode.Scalar = "\u{2581}"

    let tokenIds: [String: Int]
    let scores: [Float]
    /// Id of `<0xXX>` for each byte (-1 when missing).
    let byteTokens: [Int]
    let unknownTokenId: Int?

    init(tokens: [String], tokenIds: [String: Int], scores: [Float], unknownTokenId: Int?) {
        self.tokenIds = tokenIds
        self.scores = scores.count == tokens.count ? scores : [Float](repeating: 0, count: tokens.count)
        self.byteTokens = (0..<256).map { byte in
            tokenIds[Self.byteTokenText(UInt8(byte))] ?? -1
        }
        self.unknownTokenId = unknownTokenId
    }

    /// "<0x0A>" for byte 10: SentencePiece's byte-fallback token names.
    static func byteTokenText(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "<0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 15)]) + ">"
    }

    /// Text with spaces already replaced by "▁".
    func encode(_ text: String, into output: inout [Int]) {
        // Symbols are substrings (one character each at first) kept in a linked list.
        var pieces = text.unicodeScalars.map { String($0) }
        let count = pieces.count
        guard count > 0 else { return }
        var next = Array(1...count)
        var previous = Array(-1..<(count - 1))
        var alive = [Bool](repeating: true, count: count)
        var heap = ScoredPairHeap()

        func consider(_ left: Int, _ right: Int) {
            guard left >= 0, right < count else { return }
            let merged = pieces[left] + pieces[right]
            guard let id = tokenIds[merged] else { return }
            heap.push(.init(score: scores[id], left: left, length: merged.utf8.count))
        }

        for index in 0..<(count - 1) { consider(index, index + 1) }
        while let candidate = heap.pop() {
            let left = candidate.left
            let right = next[left]
            // Stale if either side changed since the candidate was pushed.
            guard alive[left], right < count,
                pieces[left].utf8.count + pieces[right].utf8.count == candidate.length
            else { continue }
            pieces[left] += pieces[right]
            alive[right] = false
            next[left] = next[right]
            if next[right] < count { previous[next[right]] = left }
            consider(previous[left], left)
            consider(left, next[left])
        }

        var index = 0
        while index < count {
            emit(pieces[index], into: &output)
            index = next[index]
        }
    }

    private func emit(_ piece: String, into output: inout [Int]) {
        if let id = tokenIds[piece] {
            output.append(id)
            return
        }
        for byte in piece.utf8 {
            if byteTokens[Int(byte)] >= 0 {
                output.append(byteTokens[Int(byte)])
            } else if let unknownTokenId {
                output.append(unknownTokenId)
            }
        }
    }
}

/// Max-heap by score; ties go to the leftmost pair (llama.cpp's `llm_bigram_spm` order).
struct ScoredPairHeap {
    struct Candidate {
        var score: Float
        var left: Int
        var length: Int
        func precedes(_ other: Candidate) -> Bool {
            score != other.score ? score > other.score : left < other.left
        }
    }

    private var items: [Candidate] = []

    mutating func push(_ candidate: Candidate) {
        items.append(candidate)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var best = parent
                if left < items.count, items[left].precedes(items[best]) { best = left }
                if right < items.count, items[right].precedes(items[best]) { best = right }
                if best == parent { break }
                items.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
