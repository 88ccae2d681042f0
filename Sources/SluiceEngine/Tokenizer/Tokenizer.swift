/// A model's tokenizer: text ⇄ token ids, matching llama.cpp for the same GGUF.
/// Immutable after construction, so one instance serves every thread.
public final class Tokenizer: Sendable {
    enum Algorithm: Sendable {
        case byteLevelBPE(BytePairEncoder, PreTokenizer)
        case sentencePiece(SentencePieceEncoder, addSpacePrefix: Bool)
    }

    /// A special token that the encoder matches as a whole in the text.
    struct SpecialToken: Sendable {
        var id: Int
        var bytes: [UInt8]
        /// Control and unknown tokens match only with `parseSpecial`; user-defined
        /// tokens always do (llama.cpp `tokenizer_st_partition`, as HF tokenizers do).
        var requiresParseSpecial: Bool
    }

    let algorithm: Algorithm
    let tokens: [String]
    let tokenTypes: [TokenizerVocabulary.TokenType]
    let tokenIds: [String: Int]
    /// What each token decodes to; control tokens' entry is their text (shown only on request).
    let pieces: [[UInt8]]
    let specialTokens: [SpecialToken]

    public let bosTokenId: Int?
    public let eosTokenId: Int?
    /// Whether `encode(addSpecialTokens: true)` prepends BOS / appends EOS.
    public let addsBOS: Bool
    public let addsEOS: Bool
    /// Tokens that end a generation: EOS, EOT, EOM and the well-known end-of-turn
    /// control tokens present in the vocabulary (`<|im_end|>`, `<|eot_id|>`, ...).
    public let endOfGenerationIds: Set<Int>

    public var vocabularySize: Int { tokens.count }

    public init(vocabulary: TokenizerVocabulary) throws(TokenizerError) {
        let tokens = vocabulary.tokens
        guard !tokens.isEmpty else { throw TokenizerError("empty vocabulary") }
        if !vocabulary.tokenTypes.isEmpty && vocabulary.tokenTypes.count != tokens.count {
            throw TokenizerError("token_type has \(vocabulary.tokenTypes.count) entries for \(tokens.count) tokens")
        }
        for (name, id) in [("bos", vocabulary.bosTokenId), ("eos", vocabulary.eosTokenId), ("eot", vocabulary.eotTokenId),
                           ("eom", vocabulary.eomTokenId), ("unknown", vocabulary.unknownTokenId)] {
            if let id, !tokens.indices.contains(id) { throw TokenizerError("\(name) token id \(id) out of range") }
        }
        let types = vocabulary.tokenTypes.isEmpty
            ? [TokenizerVocabulary.TokenType](repeating: .normal, count: tokens.count) : vocabulary.tokenTypes
        var tokenIds: [String: Int] = [:]
        tokenIds.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where tokenIds[token] == nil { tokenIds[token] = id }
        self.tokens = tokens
        self.tokenTypes = types
        self.tokenIds = tokenIds

        let isSentencePiece: Bool
        switch vocabulary.model {
        case "gpt2":
            isSentencePiece = false
            guard let preTokenizer = PreTokenizer(name: vocabulary.preTokenizer) else {
                throw TokenizerError("unsupported pre-tokenizer '\(vocabulary.preTokenizer ?? "")'")
            }
            algorithm = .byteLevelBPE(try BytePairEncoder(tokenIds: tokenIds, merges: vocabulary.merges), preTokenizer)
            // llama.cpp: Llama 3 vocabularies add BOS unless the file says otherwise.
            addsBOS = vocabulary.addBOS ?? (preTokenizer == .llama3(maxDigits: 3))
        case "llama":
            isSentencePiece = true
            algorithm = .sentencePiece(
                SentencePieceEncoder(tokens: tokens, tokenIds: tokenIds, scores: vocabulary.scores,
                                     unknownTokenId: vocabulary.unknownTokenId),
                addSpacePrefix: vocabulary.addSpacePrefix ?? true)
            addsBOS = vocabulary.addBOS ?? true
        default:
            throw TokenizerError("unsupported tokenizer model '\(vocabulary.model)' (expected gpt2 or llama)")
        }
        addsEOS = vocabulary.addEOS ?? false
        bosTokenId = vocabulary.bosTokenId
        eosTokenId = vocabulary.eosTokenId

        pieces = zip(tokens, types).map { token, type in
            switch type {
            case .normal, .undefined:
                if isSentencePiece {
                    return Array(token.replacingSpaceMarkers().utf8)
                }
                return ByteLevelEncoding.bytes(ofTokenText: token)
            case .byte:
                if let byte = Self.parseByteToken(token) { return [byte] }
                return Array(token.utf8)
            case .unused:
                return []
            case .control, .unknown, .userDefined:
                return Array(token.utf8)
            }
        }

        specialTokens = zip(tokens, types).enumerated().compactMap { id, entry -> SpecialToken? in
            let (token, type) = entry
            guard type == .control || type == .userDefined || type == .unknown, !token.isEmpty else { return nil }
            return SpecialToken(id: id, bytes: Array(token.utf8), requiresParseSpecial: type != .userDefined)
        }.sorted { $0.bytes.count > $1.bytes.count }

        var endOfGeneration = Set([vocabulary.eosTokenId, vocabulary.eotTokenId, vocabulary.eomTokenId].compactMap { $0 })
        for text in Self.endOfTurnTexts {
            if let id = tokenIds[text], types[id] == .control || types[id] == .userDefined { endOfGeneration.insert(id) }
        }
        endOfGenerationIds = endOfGeneration
    }

    /// llama.cpp's list of texts that end a turn in common chat formats.
    static let endOfTurnTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>",
        "<|end_of_text|>", "<end_of_utterance>", "<|return|>", "<|call|>",
    ]

    private static func parseByteToken(_ token: String) -> UInt8? {
        guard token.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">") else { return nil }
        return UInt8(token.dropFirst(3).prefix(2), radix: 16)
    }

    // MARK: - Queries

    public func isEndOfGeneration(_ id: Int) -> Bool { endOfGenerationIds.contains(id) }

    /// The vocabulary string of a token (byte-level form, e.g. "Ġworld"), nil when out of range.
    public func tokenText(_ id: Int) -> String? { tokens.indices.contains(id) ? tokens[id] : nil }

    /// Whether a token is a control token (rendered only when asked for).
    public func isControl(_ id: Int) -> Bool {
        guard tokenTypes.indices.contains(id) else { return false }
        return tokenTypes[id] == .control || tokenTypes[id] == .unknown
    }

    // MARK: - Encoding

    /// Text → token ids. `parseSpecial` turns special-token text (e.g. `<|im_start|>`)
    /// into the special token, for rendered chat templates; without it, such text
    /// is tokenized as ordinary characters (user content cannot inject control tokens).
    public func encode(_ text: String, addSpecialTokens: Bool = true, parseSpecial: Bool = false) -> [Int] {
        var output: [Int] = []
        output.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecialTokens, addsBOS, let bosTokenId { output.append(bosTokenId) }
        let bytes = Array(text.utf8)
        var previousWasSpecial = true
        for fragment in partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                output.append(id)
                previousWasSpecial = true
            case .text(let range):
                encodeText(bytes[range], afterSpecial: previousWasSpecial, into: &output)
                previousWasSpecial = false
            }
        }
        if addSpecialTokens, addsEOS, let eosTokenId { output.append(eosTokenId) }
        return output
    }

    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int)
    }

    /// Splits the text at special tokens, longest tokens first (llama.cpp's order).
    func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = bytes.isEmpty ? [] : [.text(0..<bytes.count)]
        for special in specialTokens where parseSpecial || !special.requiresParseSpecial {
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count)
            for fragment in fragments {
                guard case .text(let range) = fragment else {
                    next.append(fragment)
                    continue
                }
                var start = range.lowerBound
                var position = range.lowerBound
                let needle = special.bytes
                let last = range.upperBound - needle.count
                while position <= last {
                    if bytes[position] == needle[0], bytes[position..<(position + needle.count)].elementsEqual(needle) {
                        if start < position { next.append(.text(start..<position)) }
                        next.append(.token(special.id))
                        position += needle.count
                        start = position
                    } else {
                        position += 1
                    }
                }
                if start < range.upperBound { next.append(.text(start..<range.upperBound)) }
            }
            fragments = next
        }
        return fragments
    }

    private func encodeText(_ bytes: ArraySlice<UInt8>, afterSpecial: Bool, into output: inout [Int]) {
        let text = String(decoding: bytes, as: UTF8.self)
        switch algorithm {
        case .byteLevelBPE(let encoder, let preTokenizer):
            let scalars = Array(text.unicodeScalars)
            // UTF-8 offset of each scalar, so words are sliced from the byte array directly.
            var offsets = [Int](repeating: 0, count: scalars.count + 1)
            for (index, scalar) in scalars.enumerated() { offsets[index + 1] = offsets[index] + UTF8.width(scalar) }
            let utf8 = Array(text.utf8)
            // Llama 3 (`ignore_merges` in llama.cpp, HF `ignore_merges: true`): a word that is
            // itself a token is emitted whole, even where the merges would not build it.
            let wordsMayBeTokens = preTokenizer == .llama3(maxDigits: 3)
            for word in preTokenizer.split(scalars) {
                let bytes = utf8[offsets[word.lowerBound]..<offsets[word.upperBound]]
                if wordsMayBeTokens, bytes.count > 1, let id = tokenIds[ByteLevelEncoding.tokenText(of: bytes)] {
                    output.append(id)
                    continue
                }
                encoder.encode(bytes, into: &output)
            }
        case .sentencePiece(let encoder, let addSpacePrefix):
            var escaped = addSpacePrefix && afterSpecial ? String(SentencePieceEncoder.spaceMarker) : ""
            for scalar in text.unicodeScalars {
                escaped.unicodeScalars.append(scalar == " " ? SentencePieceEncoder.spaceMarker : scalar)
            }
            encoder.encode(escaped, into: &output)
        }
    }

    // MARK: - Decoding

    /// The bytes a token stands for. Control tokens give their text only when
    /// `renderSpecial` is true; user-defined tokens always give their text.
    public func bytes(of id: Int, renderSpecial: Bool = false) -> [UInt8] {
        guard pieces.indices.contains(id) else { return [] }
        if !renderSpecial && isControl(id) { return [] }
        return pieces[id]
    }

    /// Token ids → text. Invalid UTF-8 (a sequence cut mid-character) becomes U+FFFD.
    /// SentencePiece models drop the space the encoder added in front.
    public func decode(_ ids: [Int], renderSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids { bytes.append(contentsOf: self.bytes(of: id, renderSpecial: renderSpecial)) }
        if case .sentencePiece(_, true) = algorithm, let firstNonSpecial = ids.first(where: { !isControl($0) }),
            pieces.indices.contains(firstNonSpecial), pieces[firstNonSpecial].first == 0x20, bytes.first == 0x20
        {
            bytes.removeFirst()
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    /// SentencePiece's "▁" back to spaces.
    func replacingSpaceMarkers() -> String {
        var result = ""
        result.unicodeScalars.append(contentsOf: unicodeScalars.map { $0 == SentencePieceEncoder.spaceMarker ? " " : $0 })
        return result
    }
}
