/// Jinja lexer: splits a template into text and tags, applies whitespace
/// control, then tokenizes the inside of each `{{ }}` / `{% %}` tag.
///
/// Whitespace rules follow Jinja2's lexer with the options Hugging Face uses
/// for chat templates (`trim_blocks=True, lstrip_blocks=True`):
/// - `{%-` / `{{-` / `{#-` strip all whitespace before the tag, `-%}` etc. after it;
/// - trim_blocks: the first `\n` after a block or comment tag is removed (`+%}` keeps it);
/// - lstrip_blocks: spaces and tabs between the start of a line and a block or
///   comment tag are removed (`{%+` keeps them). Variable tags are never lstripped.
struct JinjaLexer {
    struct Options: Sendable {
        var trimBlocks = true
        var lstripBlocks = true
    }

    enum TokenKind: Equatable {
        case text(String)
        case expressionOpen, expressionClose
        case statementOpen, statementClose
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case symbol(String)
        case end
    }

    struct Token {
        var kind: TokenKind
        var offset: Int
    }

    private enum TagKind { case expression, statement, comment }

    private struct Segment {
        var isTag: Bool
        var tagKind: TagKind = .expression
        var start: Int  // text: range in source; tag: inner range (without delimiters and marks)
        var end: Int
        var leftMark: UInt8 = 0  // '-', '+' or 0
        var rightMark: UInt8 = 0
        var rawText = false  // text produced by {% raw %}: no whitespace control inside
    }

    let source: [UInt8]
    let options: Options

    init(source: String, options: Options = Options()) {
        self.source = Self.normalizeNewlines(Array(source.utf8))
        self.options = options
    }

    /// Jinja2 defaults (`newline_sequence="\n"`, `keep_trailing_newline=False`):
    /// "\r\n" and "\r" become "\n", and one newline at the very end is dropped.
    private static func normalizeNewlines(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0D {
                result.append(0x0A)
                index += index + 1 < bytes.count && bytes[index + 1] == 0x0A ? 2 : 1
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        if result.last == 0x0A { result.removeLast() }
        return result
    }

    func lineNumber(at offset: Int) -> Int {
        var line = 1
        for index in 0..<min(offset, source.count) where source[index] == UInt8(ascii: "\n") { line += 1 }
        return line
    }

    func tokenize() throws -> [Token] {
        var segments = try split()
        applyWhitespaceControl(&segments)
        var tokens: [Token] = []
        tokens.reserveCapacity(segments.count * 4)
        for segment in segments {
            if !segment.isTag {
                if segment.end > segment.start {
                    tokens.append(Token(kind: .text(string(segment.start, segment.end)), offset: segment.start))
                }
                continue
            }
            switch segment.tagKind {
            case .comment: continue
            case .expression:
                tokens.append(Token(kind: .expressionOpen, offset: segment.start))
                try lexInside(segment.start, segment.end, into: &tokens)
                tokens.append(Token(kind: .expressionClose, offset: segment.end))
            case .statement:
                tokens.append(Token(kind: .statementOpen, offset: segment.start))
                try lexInside(segment.start, segment.end, into: &tokens)
                tokens.append(Token(kind: .statementClose, offset: segment.end))
            }
        }
        tokens.append(Token(kind: .end, offset: source.count))
        return tokens
    }

    // MARK: - Splitting into text and tags

    private func string(_ start: Int, _ end: Int) -> String {
        String(decoding: source[start..<end], as: UTF8.self)
    }

    private func byte(_ index: Int) -> UInt8 { index < source.count ? source[index] : 0 }

    private func split() throws -> [Segment] {
        var segments: [Segment] = []
        var textStart = 0
        var index = 0
        let open = UInt8(ascii: "{")
        while index + 1 < source.count {
            guard source[index] == open else { index += 1; continue }
            let next = source[index + 1]
            let kind: TagKind
            switch next {
            case UInt8(ascii: "{"): kind = .expression
            case UInt8(ascii: "%"): kind = .statement
            case UInt8(ascii: "#"): kind = .comment
            default: index += 1; continue
            }
            segments.append(Segment(isTag: false, start: textStart, end: index))
            var innerStart = index + 2
            var leftMark: UInt8 = 0
            if byte(innerStart) == UInt8(ascii: "-") || byte(innerStart) == UInt8(ascii: "+") {
                leftMark = byte(innerStart)
                innerStart += 1
            }
            let closeIndex = try findClose(kind: kind, from: innerStart, tagStart: index)
            var innerEnd = closeIndex
            var rightMark: UInt8 = 0
            if innerEnd > innerStart, byte(innerEnd - 1) == UInt8(ascii: "-") || byte(innerEnd - 1) == UInt8(ascii: "+") {
                rightMark = byte(innerEnd - 1)
                innerEnd -= 1
            }
            var tag = Segment(isTag: true, tagKind: kind, start: innerStart, end: innerEnd)
            tag.leftMark = leftMark
            tag.rightMark = rightMark
            index = closeIndex + 2
            textStart = index
            if kind == .statement, trimmedInner(tag) == "raw" {
                // {% raw %}...{% endraw %}: the body is literal text.
                guard let (bodyEnd, endTag) = findEndRaw(from: index) else {
                    throw ChatTemplateError(.syntax, "missing {% endraw %}", line: lineNumber(at: index))
                }
                segments.append(tag)
                var body = Segment(isTag: false, start: index, end: bodyEnd)
                body.rawText = true
                segments.append(body)
                var closing = endTag
                closing.tagKind = .comment  // produces nothing but keeps its whitespace control
                segments.append(closing)
                index = endTag.end + (endTag.rightMark == 0 ? 2 : 3)
                textStart = index
                // Mark the raw tag itself as a comment too: it renders nothing.
                segments[segments.count - 3].tagKind = .comment
                continue
            }
            segments.append(tag)
        }
        segments.append(Segment(isTag: false, start: textStart, end: source.count))
        return segments
    }

    private func trimmedInner(_ tag: Segment) -> String {
        string(tag.start, tag.end).jinjaTrimmingWhitespace()
    }

    /// Index of the closing `}}`, `%}` or `#}`; string literals inside expression
    /// and statement tags may contain the closing delimiter.
    private func findClose(kind: TagKind, from start: Int, tagStart: Int) throws -> Int {
        let closeFirst: UInt8
        switch kind {
        case .expression: closeFirst = UInt8(ascii: "}")
        case .statement: closeFirst = UInt8(ascii: "%")
        case .comment: closeFirst = UInt8(ascii: "#")
        }
        var index = start
        var quote: UInt8 = 0
        while index + 1 < source.count {
            let char = source[index]
            if quote != 0 {
                if char == UInt8(ascii: "\\") { index += 2; continue }
                if char == quote { quote = 0 }
                index += 1
                continue
            }
            if kind != .comment, char == UInt8(ascii: "'") || char == UInt8(ascii: "\"") {
                quote = char
            } else if char == closeFirst, source[index + 1] == UInt8(ascii: "}") {
                return index
            }
            index += 1
        }
        throw ChatTemplateError(.syntax, "unclosed tag", line: lineNumber(at: tagStart))
    }

    /// Finds `{% endraw %}` (with optional whitespace marks) after a raw tag.
    private func findEndRaw(from start: Int) -> (Int, Segment)? {
        var index = start
        while index + 1 < source.count {
            if source[index] == UInt8(ascii: "{"), source[index + 1] == UInt8(ascii: "%") {
                var innerStart = index + 2
                var leftMark: UInt8 = 0
                if byte(innerStart) == UInt8(ascii: "-") || byte(innerStart) == UInt8(ascii: "+") {
                    leftMark = byte(innerStart)
                    innerStart += 1
                }
                if let close = try? findClose(kind: .statement, from: innerStart, tagStart: index) {
                    var innerEnd = close
                    var rightMark: UInt8 = 0
                    if innerEnd > innerStart, byte(innerEnd - 1) == UInt8(ascii: "-") || byte(innerEnd - 1) == UInt8(ascii: "+") {
                        rightMark = byte(innerEnd - 1)
                        innerEnd -= 1
                    }
                    var tag = Segment(isTag: true, tagKind: .statement, start: innerStart, end: innerEnd)
                    tag.leftMark = leftMark
                    tag.rightMark = rightMark
                    if trimmedInner(tag) == "endraw" { return (index, tag) }
                }
            }
            index += 1
        }
        return nil
    }

    // MARK: - Whitespace control

    private func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    private func applyWhitespaceControl(_ segments: inout [Segment]) {
        for index in segments.indices where segments[index].isTag {
            let tag = segments[index]
            let isBlock = tag.tagKind != .expression
            if index > 0, !segments[index - 1].isTag, !segments[index - 1].rawText {
                var text = segments[index - 1]
                if tag.leftMark == UInt8(ascii: "-") {
                    while text.end > text.start, isSpace(source[text.end - 1]) { text.end -= 1 }
                } else if tag.leftMark != UInt8(ascii: "+"), isBlock, options.lstripBlocks {
                    // Only whitespace between the line start and the tag: strip it.
                    var lineStart = text.end
                    while lineStart > text.start, source[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
                    let atLineStart = lineStart > text.start || text.start == 0
                        || source[text.start - 1] == UInt8(ascii: "\n")
                    if atLineStart, lineStart < text.end,
                        source[lineStart..<text.end].allSatisfy({ isSpace($0) })
                    {
                        text.end = lineStart
                    }
                }
                segments[index - 1] = text
            }
            if index + 1 < segments.count, !segments[index + 1].isTag, !segments[index + 1].rawText {
                var text = segments[index + 1]
                if tag.rightMark == UInt8(ascii: "-") {
                    while text.start < text.end, isSpace(source[text.start]) { text.start += 1 }
                } else if tag.rightMark != UInt8(ascii: "+"), isBlock, options.trimBlocks,
                    text.start < text.end, source[text.start] == UInt8(ascii: "\n")
                {
                    text.start += 1
                }
                segments[index + 1] = text
            }
        }
    }

    // MARK: - Tokens inside a tag

    private func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static let twoCharSymbols: Set<String> = ["**", "//", "==", "!=", "<=", ">="]
    private static let oneCharSymbols: Set<UInt8> = Set("+-*/%~|.,:()[]{}=<>!".utf8)

    private func lexInside(_ start: Int, _ end: Int, into tokens: inout [Token]) throws {
        var index = start
        while index < end {
            let char = source[index]
            if isSpace(char) { index += 1; continue }
            if isIdentifierStart(char) {
                let begin = index
                while index < end, isIdentifierStart(source[index]) || isDigit(source[index]) { index += 1 }
                tokens.append(Token(kind: .name(string(begin, index)), offset: begin))
                continue
            }
            if isDigit(char) {
                tokens.append(try lexNumber(&index, end))
                continue
            }
            if char == UInt8(ascii: "'") || char == UInt8(ascii: "\"") {
                tokens.append(try lexString(&index, end))
                continue
            }
            if index + 1 < end {
                let pair = string(index, index + 2)
                if Self.twoCharSymbols.contains(pair) {
                    tokens.append(Token(kind: .symbol(pair), offset: index))
                    index += 2
                    continue
                }
            }
            if Self.oneCharSymbols.contains(char) {
                tokens.append(Token(kind: .symbol(String(UnicodeScalar(char))), offset: index))
                index += 1
                continue
            }
            throw ChatTemplateError(.syntax, "unexpected character '\(String(UnicodeScalar(char)))'",
                                    line: lineNumber(at: index))
        }
    }

    private func lexNumber(_ index: inout Int, _ end: Int) throws -> Token {
        let begin = index
        var isFloat = false
        while index < end, isDigit(source[index]) || source[index] == UInt8(ascii: "_") { index += 1 }
        if index + 1 < end, source[index] == UInt8(ascii: "."), isDigit(source[index + 1]) {
            isFloat = true
            index += 1
            while index < end, isDigit(source[index]) || source[index] == UInt8(ascii: "_") { index += 1 }
        }
        if index < end, source[index] == UInt8(ascii: "e") || source[index] == UInt8(ascii: "E") {
            var probe = index + 1
            if probe < end, source[probe] == UInt8(ascii: "+") || source[probe] == UInt8(ascii: "-") { probe += 1 }
            if probe < end, isDigit(source[probe]) {
                isFloat = true
                index = probe
                while index < end, isDigit(source[index]) { index += 1 }
            }
        }
        let text = string(begin, index).replacingUnderscores()
        if isFloat, let value = Double(text) { return Token(kind: .float(value), offset: begin) }
        if let value = Int(text) { return Token(kind: .integer(value), offset: begin) }
        throw ChatTemplateError(.syntax, "invalid number '\(text)'", line: lineNumber(at: begin))
    }

    private func lexString(_ index: inout Int, _ end: Int) throws -> Token {
        let begin = index
        let quote = source[index]
        index += 1
        var bytes: [UInt8] = []
        while index < end {
            let char = source[index]
            if char == quote {
                index += 1
                return Token(kind: .string(String(decoding: bytes, as: UTF8.self)), offset: begin)
            }
            if char == UInt8(ascii: "\\"), index + 1 < end {
                let escaped = source[index + 1]
                index += 2
                switch escaped {
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "0"): bytes.append(0x00)
                case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): bytes.append(escaped)
                case UInt8(ascii: "u") where index + 4 <= end:
                    if let code = UInt32(string(index, index + 4), radix: 16), let scalar = Unicode.Scalar(code) {
                        bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
                        index += 4
                    } else {
                        bytes.append(contentsOf: [UInt8(ascii: "\\"), escaped])
                    }
                default:
                    // Python keeps unknown escapes verbatim.
                    bytes.append(contentsOf: [UInt8(ascii: "\\"), escaped])
                }
                continue
            }
            bytes.append(char)
            index += 1
        }
        throw ChatTemplateError(.syntax, "unterminated string literal", line: lineNumber(at: begin))
    }
}

extension String {
    func jinjaTrimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    fileprivate func replacingUnderscores() -> String {
        String(self.filter { $0 != "_" })
    }
}
