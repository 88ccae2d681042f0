/// One forward pass over several sequences at once (continuous batching).
///
/// Each chunk is a run of consecutive tokens of one sequence: a prefill chunk
/// (any length) or a single decode token. The chunk's tokens take positions
/// `startPosition ..< startPosition + tokens.count`; positions before
/// `startPosition` must already be in the KV cache (written by earlier passes
/// through the same block table). All rows are computed together, so each
/// weight matrix is read once per pass for the whole batch.
public struct ForwardBatch: Sendable, Equatable {
    public struct Chunk: Sendable, Equatable {
        /// Caller's id, echoed nowhere; useful in error messages.
        public var sequenceID: Int
        public var tokens: [Int32]
        public var startPosition: Int
        /// KV blocks of the sequence in position order; must cover
        /// `startPosition + tokens.count` positions.
        public var blockTable: [Int32]
        /// Whether to return logits for the chunk's last token (the token the
        /// sequence samples from). Mid-prompt prefill chunks say false.
        public var wantsLogits: Bool

        public init(sequenceID: Int, tokens: [Int32], startPosition: Int, blockTable: [Int32],
                    wantsLogits: Bool = true) {
            self.sequenceID = sequenceID
            self.tokens = tokens
            self.startPosition = startPosition
            self.blockTable = blockTable
            self.wantsLogits = wantsLogits
        }
    }

    public var chunks: [Chunk]

    public init(chunks: [Chunk] = []) {
        self.chunks = chunks
    }

    public var tokenCount: Int { chunks.reduce(0) { $0 + $1.tokens.count } }
    public var logitRowCount: Int { chunks.reduce(0) { $0 + ($1.wantsLogits ? 1 : 0) } }
}

/// Logits produced by a forward pass: one row of `vocabSize` floats per chunk
/// that asked for them, in chunk order. The storage belongs to the runner and
/// is valid only inside the `forward` call's closure (no per-step allocation).
public struct LogitRows {
    let base: UnsafePointer<Float>
    public let count: Int
    public let vocabSize: Int
    /// Index of the chunk each row belongs to.
    public let chunkIndices: [Int]

    init(base: UnsafePointer<Float>, count: Int, vocabSize: Int, chunkIndices: [Int]) {
        self.base = base
        self.count = count
        self.vocabSize = vocabSize
        self.chunkIndices = chunkIndices
    }

    public subscript(row: Int) -> UnsafeBufferPointer<Float> {
        precondition(row >= 0 && row < count, "logit row out of range")
        return UnsafeBufferPointer(start: base + row * vocabSize, count: vocabSize)
    }
}
