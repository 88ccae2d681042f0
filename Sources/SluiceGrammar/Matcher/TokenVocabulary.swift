// The model's vocabulary as the grammar sees it: each token's bytes (nil for control tokens a
// grammar never allows), the end tokens, and the prefix tree every mask computation walks.
// Built once per model and shared by every grammar compiled for it, with the mask caches of
// rules whose content does not depend on the grammar around them (see SharedRuleCaches).

public final class TokenVocabulary: Sendable {
    let tokens: [[UInt8]?]
    let endTokens: Set<Int>
    let trie: TokenTrie
    let sharedCaches: SharedRuleCaches

    /// tokens[i] = the bytes token i decodes to; nil = a special/control token a grammar never allows.
    /// endTokens: ids that end the output (end-of-turn/eos); allowed only when the document is complete.
    public init(tokens: [[UInt8]?], endTokens: Set<Int>) {
        self.tokens = tokens
        self.endTokens = endTokens.filter { tokens.indices.contains($0) }
        var grammarTokens: [(id: Int, bytes: [UInt8])] = []
        grammarTokens.reserveCapacity(tokens.count)
        for (id, bytes) in tokens.enumerated() {
            // End tokens end the output: never consumed as text, whatever bytes they have.
            guard let bytes, !bytes.isEmpty, !endTokens.contains(id) else { continue }
            grammarTokens.append((id, bytes))
        }
        trie = TokenTrie(tokens: grammarTokens)
        sharedCaches = SharedRuleCaches()
    }

    public var count: Int { tokens.count }
    public var maskWordCount: Int { (tokens.count + 63) / 64 }
}
