/// Turns a stream of generated token ids into text pieces for streaming. A
/// token may end in the middle of a UTF-8 character (byte-level BPE splits
/// emoji and CJK across tokens), so the tail of an incomplete character is held
/// back until the next token completes it. Bytes that can never become valid
/// UTF-8 are emitted as U+FFFD at once; an incomplete tail becomes U+FFFD only
/// at `finish()`.
public struct IncrementalDetokenizer: Sendable {
    public let tokenizer: Tokenizer
    public let renderSpecial: Bool
    private var pending: [UInt8] = []
    private var emittedAny = false

    public init(tokenizer: Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Bytes held back waiting for the rest of a character.
    public var pendingByteCount: Int { pending.count }

    /// Adds one token; returns the text that is now complete (often "", never half a character).
    public mutating func append(_ id: Int) -> String {
        var bytes = tokenizer.bytes(of: id, renderSpecial: renderSpecial)
        if !emittedAny, !bytes.isEmpty {
            // SentencePiece: the space the encoder put in front of the text is not output.
            if case .sentencePiece(_, true) = tokenizer.algorithm, !tokenizer.isControl(id), bytes.first == 0x20 {
                bytes.removeFirst()
            }
            emittedAny = true
        }
        pending.append(contentsOf: bytes)
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Adds several tokens; returns the text now complete.
    public mutating func append(contentsOf ids: [Int]) -> String {
        ids.map { append($0) }.joined()
    }

    /// Ends the stream: whatever is held back is emitted (as U+FFFD if incomplete).
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the prefix that can be emitted now: everything except a trailing
    /// sequence that is a valid *beginning* of a UTF-8 character (RFC 3629 §4).
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        // A character is at most 4 bytes: its lead byte is within the last 3.
        var lead = count - 1
        while lead >= 0, lead >= count - 3, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        guard lead >= 0, lead >= count - 3 else { return count }
        let first = bytes[lead]
        let needed: Int
        switch first {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return count  // ASCII or a byte that never starts a character
        }
        let have = count - lead
        guard have < needed else { return count }
        // The second byte's range depends on the lead (no overlongs, surrogates or > U+10FFFF).
        if have >= 2 {
            let second = bytes[lead + 1]
            let valid: ClosedRange<UInt8>
            switch first {
            case 0xE0: valid = 0xA0...0xBF
            case 0xED: valid = 0x80...0x9F
            case 0xF0: valid = 0x90...0xBF
            case 0xF4: valid = 0x80...0x8F
            default: valid = 0x80...0xBF
            }
            if !valid.contains(second) { return count }
        }
        return lead
    }
}
