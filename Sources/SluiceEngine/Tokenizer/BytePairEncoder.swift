/// Byte-level BPE over one pre-tokenized word (GPT-2 family). Symbols are token
/// ids from the start (one per byte), and merges are looked up by id pair, so
/// the merge loop touches no strings.
struct BytePairEncoder: Sendable {
    struct Merge: Sendable {
        var rank: Int32
        var result: Int32
    }

    /// Token id of each byte's GPT-2 character (-1 when the vocabulary lacks it).
    let byteTokens: [Int32]
    /// (left id << 32 | right id) → rank and merged token id.
    let merges: [UInt64: Merge]

    init(tokenIds: [String: Int], merges mergeLines: [String]) throws(TokenizerError) {
        byteTokens = ByteLevelEncoding.byteToScalar.map { scalar in
            tokenIds[String(Character(scalar))].map { Int32($0) } ?? -1
        }
        var merges: [UInt64: Merge] = [:]
        merges.reserveCapacity(mergeLines.count)
        for (rank, line) in mergeLines.enumerated() {
            // Split at the first space after the first character: a token may start with a space.
            guard let first = line.unicodeScalars.first,
                let separator = line.unicodeScalars.dropFirst().firstIndex(of: " ")
            else { throw TokenizerError("malformed merge \(rank): '\(line)'") }
            _ = first
            let left = String(line.unicodeScalars[..<separator])
            let right = String(line.unicodeScalars[line.unicodeScalars.index(after: separator)...])
            // Merges whose parts are not tokens can never apply to id symbols; skip them.
            guard let leftId = tokenIds[left], let rightId = tokenIds[right], let resultId = tokenIds[left + right]
            else { continue }
            let key = UInt64(leftId) << 32 | UInt64(rightId)
            if merges[key] == nil { merges[key] = Merge(rank: Int32(rank), result: Int32(resultId)) }
        }
        self.merges = merges
    }

    /// Encodes one word's UTF-8 bytes, appending token ids.
    func encode(_ bytes: ArraySlice<UInt8>, into output: inout [Int]) {
        var symbols = bytes.map { byteTokens[Int($0)] }
        if symbols.count == 1 {
            if symbols[0] >= 0 { output.append(Int(symbols[0])) }
            return
        }
        if symbols.count <= 48 {
            mergeByScanning(&symbols)
        } else {
            mergeWithHeap(&symbols)
        }
        for symbol in symbols where symbol >= 0 { output.append(Int(symbol)) }
    }

    private func merge(_ left: Int32, _ right: Int32) -> Merge? {
        guard left >= 0, right >= 0 else { return nil }
        return merges[UInt64(left) << 32 | UInt64(right)]
    }

    /// Short words: repeatedly merge the lowest-rank adjacent pair (leftmost on ties).
    func mergeByScanning(_ symbols: inout [Int32]) {
        while symbols.count > 1 {
            var bestRank = Int32.max
            var bestIndex = -1
            var bestResult: Int32 = 0
            for index in 0..<(symbols.count - 1) {
                if let merge = merge(symbols[index], symbols[index + 1]), merge.rank < bestRank {
                    bestRank = merge.rank
                    bestIndex = index
                    bestResult = merge.result
                }
            }
            guard bestIndex >= 0 else { return }
            symbols[bestIndex] = bestResult
            symbols.remove(at: bestIndex + 1)
        }
    }

    /// Long words: a linked list of symbols and a min-heap of candidate pairs,
    /// O(n log n), so a hostile megabyte-long "word" cannot stall the server.
    func mergeWithHeap(_ symbols: inout [Int32]) {
        let count = symbols.count
        var next = Array(1...count)  // next[i] == count: end
        var previous = Array(-1..<(count - 1))
        var alive = [Bool](repeating: true, count: count)
        var heap = PairHeap()
        for index in 0..<(count - 1) {
            if let merge = merge(symbols[index], symbols[index + 1]) {
                heap.push(.init(rank: merge.rank, left: Int32(index), leftToken: symbols[index],
                                rightToken: symbols[index + 1]))
            }
        }
        while let candidate = heap.pop() {
            let left = Int(candidate.left)
            guard alive[left], symbols[left] == candidate.leftToken else { continue }
            let right = next[left]
            guard right < count, symbols[right] == candidate.rightToken,
                let merge = merge(candidate.leftToken, candidate.rightToken)
            else { continue }
            symbols[left] = merge.result
            alive[right] = false
            next[left] = next[right]
            if next[right] < count { previous[next[right]] = left }
            let before = previous[left]
            if before >= 0, let pair = self.merge(symbols[before], symbols[left]) {
                heap.push(.init(rank: pair.rank, left: Int32(before), leftToken: symbols[before], rightToken: symbols[left]))
            }
            let after = next[left]
            if after < count, let pair = self.merge(symbols[left], symbols[after]) {
                heap.push(.init(rank: pair.rank, left: Int32(left), leftToken: symbols[left], rightToken: symbols[after]))
            }
        }
        var result: [Int32] = []
        result.reserveCapacity(count)
        var index = 0
        while index < count {
            result.append(symbols[index])
            index = next[index]
        }
        symbols = result
    }
}

/// Binary min-heap of merge candidates ordered by (rank, left position).
struct PairHeap {
    struct Candidate {
        var rank: Int32
        var left: Int32
        var leftToken: Int32
        var rightToken: Int32
        func precedes(_ other: Candidate) -> Bool {
            rank != other.rank ? rank < other.rank : left < other.left
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
                var smallest = parent
                if left < items.count, items[left].precedes(items[smallest]) { smallest = left }
                if right < items.count, items[right].precedes(items[smallest]) { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
