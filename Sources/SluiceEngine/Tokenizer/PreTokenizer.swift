/// Splits text into words before byte-level BPE, as the model's `tokenizer.json`
/// regex does. Hand-written matchers (one per regex family, as llama.cpp's
/// unicode.cpp does) instead of a regex engine: linear time, and the `\p{..}`
/// classes come from the standard library's Unicode tables.
enum PreTokenizer: Sendable, Equatable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// llama.cpp's "default" (no `tokenizer.ggml.pre` in the file): four regexes in turn,
    /// `[\p{P}\$\+<=>\^~\|]+`, then GPT-2, then `\p{N}+`, then `[0-9][0-9][0-9]`.
    case llamaCppDefault
    /// SmolLM / StarCoder: every `\p{N}` is its own word, then the GPT-2 regex.
    case digitsThenGPT2
    /// Llama 3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3(maxDigits: Int)

    /// Maps GGUF `tokenizer.ggml.pre` names (as llama.cpp does) to a family. A
    /// missing name or "default" means GPT-2's regex; a name from another regex
    /// family gives nil, because tokenizing with the wrong regex silently
    /// changes every prompt (llama.cpp refuses unknown names too).
    init?(name: String?) {
        switch name ?? "default" {
        case "default":
            self = .llamaCppDefault
        case "gpt-2", "phi-2", "jina-es", "jina-de", "jina-v1-en", "jina-v2-es", "jina-v2-de",
            "jina-v2-code", "roberta-bpe", "gigachat":
            self = .gpt2
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b":
            self = .digitsThenGPT2
        case "llama3", "llama-v3", "llama-bpe", "falcon3":
            self = .llama3(maxDigits: 3)
        case "qwen2", "deepseek-r1-qwen", "megrez":
            self = .llama3(maxDigits: 1)
        default:
            return nil
        }
    }

    /// Word boundaries as ranges of indices into `scalars`.
    func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let classes = scalars.map(CharacterClass.of)
        var words: [Range<Int>] = []
        words.reserveCapacity(scalars.count / 3 + 1)
        switch self {
        case .gpt2:
            Self.splitGPT2(scalars, classes, 0, scalars.count, into: &words)
        case .digitsThenGPT2:
            var start = 0
            for index in scalars.indices where classes[index].contains(.number) {
                if start < index { Self.splitGPT2(scalars, classes, start, index, into: &words) }
                words.append(index..<(index + 1))
                start = index + 1
            }
            if start < scalars.count { Self.splitGPT2(scalars, classes, start, scalars.count, into: &words) }
        case .llama3(let maxDigits):
            Self.splitLlama3(scalars, classes, maxDigits: maxDigits, into: &words)
        case .llamaCppDefault:
            Self.splitDefault(scalars, classes, into: &words)
        }
        return words
    }

    /// `[\p{P}\$\+<=>\^~\|]+`: punctuation and these ASCII symbols.
    private static func isDefaultPunctuation(_ scalar: Unicode.Scalar, _ classes: CharacterClass) -> Bool {
        classes.contains(.punctuation) || "$+<=>^~|".unicodeScalars.contains(scalar)
    }

    private static func splitDefault(_ scalars: [Unicode.Scalar], _ classes: [CharacterClass],
                                     into words: inout [Range<Int>]) {
        // 1. Punctuation runs are words; the text between them goes through GPT-2.
        var pieces: [Range<Int>] = []
        var start = 0
        var index = 0
        while index < scalars.count {
            guard isDefaultPunctuation(scalars[index], classes[index]) else { index += 1; continue }
            if start < index { splitGPT2(scalars, classes, start, index, into: &pieces) }
            let runStart = index
            while index < scalars.count, isDefaultPunctuation(scalars[index], classes[index]) { index += 1 }
            pieces.append(runStart..<index)
            start = index
        }
        if start < scalars.count { splitGPT2(scalars, classes, start, scalars.count, into: &pieces) }
        // 2. `\p{N}+` separates a number from the space GPT-2 put in front of it;
        // 3. `[0-9][0-9][0-9]` cuts ASCII digit runs into threes from the left.
        for piece in pieces {
            var position = piece.lowerBound
            while position < piece.upperBound {
                guard classes[position].contains(.number) else {
                    let gapStart = position
                    while position < piece.upperBound, !classes[position].contains(.number) { position += 1 }
                    words.append(gapStart..<position)
                    continue
                }
                let runStart = position
                while position < piece.upperBound, classes[position].contains(.number) { position += 1 }
                var cursor = runStart
                while cursor < position {
                    // Only three ASCII digits in a row form a match; anything else is left as a gap.
                    let isTriple = cursor + 3 <= position && (cursor..<(cursor + 3)).allSatisfy {
                        scalars[$0].value >= 0x30 && scalars[$0].value <= 0x39
                    }
                    if isTriple {
                        words.append(cursor..<(cursor + 3))
                        cursor += 3
                    } else {
                        let gapStart = cursor
                        cursor += 1
                        while cursor < position, !(cursor + 3 <= position && (cursor..<(cursor + 3)).allSatisfy {
                            scalars[$0].value >= 0x30 && scalars[$0].value <= 0x39
                        }) { cursor += 1 }
                        words.append(gapStart..<cursor)
                    }
                }
            }
        }
    }

    private static let apostrophe: Unicode.Scalar = "'"
    private static let space: Unicode.Scalar = " "

    /// Length of a contraction (`'s`, `'ll`, ...) starting at `position`, or 0.
    private static func contractionLength(_ scalars: [Unicode.Scalar], _ position: Int, _ end: Int,
                                          caseInsensitive: Bool) -> Int {
        guard scalars[position] == apostrophe, position + 1 < end else { return 0 }
        func lower(_ scalar: Unicode.Scalar) -> UInt32 {
            caseInsensitive && scalar.value >= 65 && scalar.value <= 90 ? scalar.value + 32 : scalar.value
        }
        let next = lower(scalars[position + 1])
        if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 { return 2 }  // s t m d
        if position + 2 < end {
            let third = lower(scalars[position + 2])
            if (next == 0x72 && third == 0x65) || (next == 0x76 && third == 0x65) || (next == 0x6C && third == 0x6C) {
                return 3  // re ve ll
            }
        }
        return 0
    }

    private static func splitGPT2(_ scalars: [Unicode.Scalar], _ classes: [CharacterClass], _ start: Int, _ end: Int,
                                  into words: inout [Range<Int>]) {
        func classAt(_ index: Int) -> CharacterClass? { index < end ? classes[index] : nil }
        var position = start
        while position < end {
            let wordStart = position
            let contraction = contractionLength(scalars, position, end, caseInsensitive: false)
            if contraction > 0 {
                position += contraction
                words.append(wordStart..<position)
                continue
            }
            // ` ?X+`: an optional single space, then a run of one class.
            let leadingSpace = scalars[position] == space
            if let classed = classAt(leadingSpace ? position + 1 : position) {
                let body = leadingSpace ? position + 1 : position
                if classed.contains(.letter) || classed.contains(.number) {
                    let kind: CharacterClass = classed.contains(.letter) ? .letter : .number
                    position = body
                    while let next = classAt(position), next.contains(kind) { position += 1 }
                    words.append(wordStart..<position)
                    continue
                }
                if classed.isOther {  // [^\s\p{L}\p{N}]+
                    position = body
                    while let next = classAt(position), next.isOther { position += 1 }
                    words.append(wordStart..<position)
                    continue
                }
            }
            // `\s+(?!\S)|\s+`: a whitespace run leaves its last space to the next word.
            var whitespaceEnd = position
            while let next = classAt(whitespaceEnd), next.contains(.whitespace) { whitespaceEnd += 1 }
            let count = whitespaceEnd - position
            if count > 1 && whitespaceEnd < end {
                position = whitespaceEnd - 1
            } else if count > 0 {
                position = whitespaceEnd
            } else {
                position += 1
            }
            words.append(wordStart..<position)
        }
    }

    private static func splitLlama3(_ scalars: [Unicode.Scalar], _ classes: [CharacterClass], maxDigits: Int,
                                    into words: inout [Range<Int>]) {
        let end = scalars.count
        func classAt(_ index: Int) -> CharacterClass? { index < end ? classes[index] : nil }
        func isNewline(_ index: Int) -> Bool {
            index < end && (scalars[index].value == 0x0D || scalars[index].value == 0x0A)
        }
        var position = 0
        while position < end {
            let wordStart = position
            let classes0 = classes[position]
            let contraction = contractionLength(scalars, position, end, caseInsensitive: true)
            if contraction > 0 {
                position += contraction
                words.append(wordStart..<position)
                continue
            }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if !isNewline(position), !classes0.contains(.number) {
                if classes0.contains(.letter) || (classAt(position + 1)?.contains(.letter) ?? false) {
                    position += 1
                    while let next = classAt(position), next.contains(.letter) { position += 1 }
                    words.append(wordStart..<position)
                    continue
                }
            }
            // `\p{N}{1,maxDigits}`
            if classes0.contains(.number) {
                while let next = classAt(position), next.contains(.number), position - wordStart < maxDigits {
                    position += 1
                }
                words.append(wordStart..<position)
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let leadingSpace = scalars[position] == space
            if let classed = classAt(leadingSpace ? position + 1 : position), classed.isOther {
                position += leadingSpace ? 1 : 0
                while let next = classAt(position), next.isOther { position += 1 }
                while isNewline(position) { position += 1 }
                words.append(wordStart..<position)
                continue
            }
            // `\s*[\r\n]+|\s+(?!\S)|\s+`
            var whitespaceEnd = position
            var lastNewlineEnd = 0
            while let next = classAt(whitespaceEnd), next.contains(.whitespace) {
                if isNewline(whitespaceEnd) { lastNewlineEnd = whitespaceEnd + 1 }
                whitespaceEnd += 1
            }
            let count = whitespaceEnd - position
            if lastNewlineEnd > 0 {
                position = lastNewlineEnd
            } else if count > 1 && whitespaceEnd < end {
                position = whitespaceEnd - 1
            } else if count > 0 {
                position = whitespaceEnd
            } else {
                position += 1
            }
            words.append(wordStart..<position)
        }
    }
}
