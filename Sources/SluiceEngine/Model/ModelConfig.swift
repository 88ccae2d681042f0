/// Hyper-parameters of a `llama`-architecture model, read from GGUF metadata
/// (`<arch>.*` keys as written by llama.cpp's convert script).
public struct ModelConfig: Sendable, Equatable {
    public var architecture: String
    public var embeddingLength: Int  // nEmbd
    public var blockCount: Int  // nLayer
    public var headCount: Int  // nHead
    public var headCountKV: Int  // nHeadKV (grouped-query attention when < nHead)
    public var feedForwardLength: Int  // nFF
    public var contextLength: Int
    public var vocabSize: Int
    public var ropeFreqBase: Float
    public var ropeDimensionCount: Int
    public var rmsNormEpsilon: Float

    public var headDim: Int { embeddingLength / headCount }
    /// Width of one token's K (or V) row: nHeadKV * headDim.
    public var kvDim: Int { headCountKV * headDim }

    public init(architecture: String = "llama", embeddingLength: Int, blockCount: Int, headCount: Int,
                headCountKV: Int, feedForwardLength: Int, contextLength: Int, vocabSize: Int,
                ropeFreqBase: Float, ropeDimensionCount: Int, rmsNormEpsilon: Float) {
        self.architecture = architecture
        self.embeddingLength = embeddingLength
        self.blockCount = blockCount
        self.headCount = headCount
        self.headCountKV = headCountKV
        self.feedForwardLength = feedForwardLength
        self.contextLength = contextLength
        self.vocabSize = vocabSize
        self.ropeFreqBase = ropeFreqBase
        self.ropeDimensionCount = ropeDimensionCount
        self.rmsNormEpsilon = rmsNormEpsilon
    }

    /// Reads and validates the hyper-parameters. Optional keys take llama.cpp's
    /// defaults: head_count_kv = head_count, rope base 10000, rope dims = head
    /// dim, epsilon 1e-5; vocab size falls back to the token list length.
    public init(file: GGUFFile) throws(ModelError) {
        do {
            let arch = try file.string("general.architecture")
            guard arch == "llama" else { throw ModelError.unsupportedArchitecture(arch) }
            architecture = arch
            embeddingLength = try file.int("\(arch).embedding_length")
            blockCount = try file.int("\(arch).block_count")
            headCount = try file.int("\(arch).attention.head_count")
            headCountKV = try file.optionalInt("\(arch).attention.head_count_kv") ?? headCount
            feedForwardLength = try file.int("\(arch).feed_forward_length")
            contextLength = try file.int("\(arch).context_length")
            if let v = try file.optionalInt("\(arch).vocab_size") {
                vocabSize = v
            } else if case let .array(tokens)? = file.metadata["tokenizer.ggml.tokens"] {
                vocabSize = tokens.count
            } else {
                throw ModelError.file(.missingKey("\(arch).vocab_size"))
            }
            ropeFreqBase = try file.optionalFloat("\(arch).rope.freq_base") ?? 10000
            rmsNormEpsilon = try file.optionalFloat("\(arch).attention.layer_norm_rms_epsilon") ?? 1e-5
            let headDim = headCount > 0 ? embeddingLength / headCount : 0
            ropeDimensionCount = try file.optionalInt("\(arch).rope.dimension_count") ?? headDim
        } catch let e as GGUFError {
            throw .file(e)
        } catch let e as ModelError {
            throw e
        } catch {
            throw .invalidHyperParameter(key: "metadata", reason: "\(error)")
        }
        try validate()
    }

    func validate() throws(ModelError) {
        let a = architecture
        func check(_ ok: Bool, _ key: String, _ reason: String) throws(ModelError) {
            guard ok else { throw .invalidHyperParameter(key: "\(a).\(key)", reason: reason) }
        }
        // Upper bounds keep every derived buffer size far from overflow.
        try check((1...65536).contains(embeddingLength), "embedding_length", "\(embeddingLength) out of range")
        try check((1...1024).contains(blockCount), "block_count", "\(blockCount) out of range")
        try check((1...1024).contains(headCount) && embeddingLength % headCount == 0,
                  "attention.head_count", "\(headCount) must divide embedding_length \(embeddingLength)")
        try check((1...headCount).contains(headCountKV) && headCount % headCountKV == 0,
                  "attention.head_count_kv", "\(headCountKV) must divide head_count \(headCount)")
        try check((1...1 << 20).contains(feedForwardLength), "feed_forward_length", "\(feedForwardLength) out of range")
        try check((1...1 << 24).contains(contextLength), "context_length", "\(contextLength) out of range")
        try check((1...1 << 22).contains(vocabSize), "vocab_size", "\(vocabSize) out of range")
        try check(ropeFreqBase.isFinite && ropeFreqBase > 0, "rope.freq_base", "\(ropeFreqBase) not positive")
        try check(ropeDimensionCount > 0 && ropeDimensionCount <= headDim && ropeDimensionCount % 2 == 0,
                  "rope.dimension_count", "\(ropeDimensionCount) must be even and at most head dim \(headDim)")
        try check(rmsNormEpsilon.isFinite && rmsNormEpsilon > 0, "attention.layer_norm_rms_epsilon",
                  "\(rmsNormEpsilon) not positive")
    }
}
