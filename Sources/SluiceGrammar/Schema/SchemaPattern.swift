// `pattern` (and the `format`s, which are written as patterns): a subset of ECMA-262 regular
// expressions compiled to a GrammarExpr over the bytes of the JSON string's CONTENT (between the
// quotes). A pattern character is matched in its canonical JSON encoding: `"` as `\"`, `\` as
// `\\`, control characters as `\n`-style or `\u00XX` escapes, everything else as raw UTF-8.
//
// The subset, exactly:
// - literal characters (any Unicode scalar; `\uD83D\uDE00` pairs are joined);
// - `.` (any character but a line terminator: \n \v \f \r U+0085 U+2028 U+2029);
// - escapes: `\d \D \w \W \s \S`, `\t \n \r \v \f \0`,
//   `\xHH`, `\uHHHH`, and `\` before any character that is not a letter or digit (`\. \/ \- \\ …`);
// - classes `[...]`, `[^...]` with ranges `a-z`, the escapes above (and `\b` = backspace) inside;
//   `[]` matches nothing, `[^]` any character;
// - groups `( )`, `(?: )`, `(?<name> )` (capture is irrelevant), alternation `|`;
// - greedy quantifiers `* + ? {n} {n,} {n,m}` (bounds ≤ `JSONSchemaOptions.maxPatternRepetition`);
//   a `{` that does not start a quantifier is a literal, as in ECMAScript without the `u` flag;
// - anchors `^` only at the start and `$` only at the end of a top-level alternative.
//   JSON Schema patterns are unanchored: a side without an anchor gets "any characters".
// Refused (a JSONSchemaError naming `pattern`): lookarounds `(?= (?! (?<= (?<!`, backreferences
// `\1`…`\9` `\k<…>`, lazy quantifiers `*? +? ?? {…}?`, word boundaries `\b \B`, `\p{…}`, `\cX`,
// anchors anywhere else, unknown letter escapes, unbalanced parentheses or brackets, `{,n}`.
//
// Validators run patterns with various engines (ECMAScript as JSON Schema says, but also Python's
// re, ICU…), so the classes are those all of them agree on: \d = [0-9], \w = [A-Za-z0-9_],
// \s = the whitespace every engine counts, \D and \W = ASCII non-digits and non-word characters,
// \S = outside every engine's \s, `.` = not a line terminator in any engine, and classes
// (`.`, `[…]`, `\S`…) only produce characters of the BMP (ECMAScript without the `u` flag counts
// the others as two). Generated strings then match under each engine (some strings the pattern
// accepts are not generated).

struct PatternError: Error { var message: String }

/// A set of Unicode scalar values, as sorted, disjoint, non-adjacent closed ranges.
struct ScalarSet: Hashable {
    var ranges: [ClosedRange<UInt32>] = []

    static let maxScalar: UInt32 = 0x10FFFF

    init() {}
    init(_ ranges: [ClosedRange<UInt32>]) {
        self.ranges = ranges
        normalize()
    }
    init(_ scalar: UInt32) { ranges = [scalar...scalar] }

    mutating func normalize() {
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        for range in sorted {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        ranges = merged
    }

    func union(_ other: ScalarSet) -> ScalarSet { ScalarSet(ranges + other.ranges) }

    func contains(_ scalar: UInt32) -> Bool { ranges.contains { $0.contains(scalar) } }

    /// All scalars (surrogates excluded) not in this set.
    var complement: ScalarSet {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= Self.maxScalar { result.append(next...Self.maxScalar) }
        return ScalarSet(result)
    }

    // Validators run patterns with different engines (ECMAScript, Python's re, ICU, …) whose
    // classes differ; these are the characters EVERY one of them puts in (or, for the negated
    // forms, leaves out of) the class, so a generated string matches under any of them.
    static let digit = ScalarSet([0x30...0x39])
    static let word = ScalarSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    /// \s in all: ECMAScript adds \v and U+FEFF, Python adds \x1c–\x1f and U+0085.
    static let space = ScalarSet([0x09...0x0A, 0x0C...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A,
                                  0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000])
    /// \S: outside every engine's \s.
    static let nonSpace = ScalarSet([0x09...0x0D, 0x1C...0x20, 0x85...0x85, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A,
                                     0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF]).complement
    /// \D and \W: ASCII only (Unicode-aware engines count other scripts' digits and letters in \d and \w).
    static let nonDigit = ScalarSet([0...0x7F]).subtracting(digit)
    static let nonWord = ScalarSet([0...0x7F]).subtracting(word)
    /// `.`: not a line terminator in any engine (ICU also stops at \v, \f and U+0085).
    static let dot = ScalarSet([0x0A...0x0D, 0x85...0x85, 0x2028...0x2029]).complement
    static let any = ScalarSet([0...maxScalar])

    func subtracting(_ other: ScalarSet) -> ScalarSet { complement.union(other).complement }
}

indirect enum PatternNode {
    case chars(ScalarSet)
    case sequence([PatternNode])
    case alternation([PatternNode])
    case repetition(PatternNode, min: Int, max: Int?)
    case startAnchor
    case endAnchor

    /// Shortest and longest match in characters (nil: unbounded), saturating.
    var lengthRange: (Int, Int?) {
        let big = Int.max / 4
        func times(_ a: Int, _ b: Int) -> Int { let (product, overflow) = a.multipliedReportingOverflow(by: b); return overflow ? big : min(product, big) }
        switch self {
        case .chars: return (1, 1)
        case .startAnchor, .endAnchor: return (0, 0)
        case let .sequence(items):
            var low = 0
            var high: Int? = 0
            for item in items {
                let (itemLow, itemHigh) = item.lengthRange
                low = min(low + itemLow, big)
                high = high.flatMap { current in itemHigh.map { min(current + $0, big) } }
            }
            return (low, high)
        case let .alternation(items):
            let ranges = items.map(\.lengthRange)
            let low = ranges.map(\.0).min() ?? 0
            let high: Int? = ranges.contains { $0.1 == nil } ? nil : ranges.compactMap(\.1).max() ?? 0
            return (low, high)
        case let .repetition(inner, min, max):
            let (innerLow, innerHigh) = inner.lengthRange
            let high: Int? = innerHigh == 0 ? 0 : max.flatMap { count in innerHigh.map { times($0, count) } }
            return (times(innerLow, min), high)
        }
    }
}

struct PatternParser {
    private let scalars: [UInt32]
    private var position = 0
    private let maxRepetition: Int
    private var groupDepth = 0
    static let maxGroupDepth = 32

    init(_ pattern: String, maxRepetition: Int) {
        scalars = pattern.unicodeScalars.map(\.value)
        self.maxRepetition = maxRepetition
    }

    /// The top-level alternatives, each with whether it is anchored at its start and its end.
    static func parse(_ pattern: String, maxRepetition: Int) throws(PatternError) -> [(PatternNode, Bool, Bool)] {
        var parser = PatternParser(pattern, maxRepetition: maxRepetition)
        let alternatives = try parser.parseAlternatives()
        guard parser.position == parser.scalars.count else { throw PatternError(message: "unbalanced ')'") }
        var result: [(PatternNode, Bool, Bool)] = []
        for var items in alternatives {
            var start = false, end = false
            if case .startAnchor = items.first { start = true; items.removeFirst() }
            if case .endAnchor = items.last { end = true; items.removeLast() }
            let node = PatternNode.sequence(items)
            guard !containsAnchor(node) else {
                throw PatternError(message: "anchors ^ and $ are supported only at the start and end of the pattern")
            }
            result.append((node, start, end))
        }
        return result
    }

    private static func containsAnchor(_ node: PatternNode) -> Bool {
        switch node {
        case .startAnchor, .endAnchor: return true
        case .chars: return false
        case let .sequence(items), let .alternation(items): return items.contains(where: containsAnchor)
        case let .repetition(inner, _, _): return containsAnchor(inner)
        }
    }

    private var atEnd: Bool { position >= scalars.count }
    private func peek(_ offset: Int = 0) -> UInt32? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }
    private func isChar(_ value: UInt32?, _ char: Character) -> Bool {
        value == char.unicodeScalars.first!.value
    }

    private mutating func parseAlternatives() throws(PatternError) -> [[PatternNode]] {
        var alternatives: [[PatternNode]] = [try parseSequence()]
        while isChar(peek(), "|") {
            position += 1
            alternatives.append(try parseSequence())
        }
        return alternatives
    }

    private mutating func parseSequence() throws(PatternError) -> [PatternNode] {
        var items: [PatternNode] = []
        while let char = peek(), !isChar(char, "|"), !isChar(char, ")") {
            let atom = try parseAtom()
            items.append(try parseQuantifiers(atom))
        }
        return items
    }

    private mutating func parseQuantifiers(_ atom: PatternNode) throws(PatternError) -> PatternNode {
        var node = atom
        while let char = peek() {
            var bounds: (Int, Int?)
            if isChar(char, "*") { bounds = (0, nil); position += 1 }
            else if isChar(char, "+") { bounds = (1, nil); position += 1 }
            else if isChar(char, "?") { bounds = (0, 1); position += 1 }
            else if isChar(char, "{"), let braced = try parseBraces() { bounds = braced }
            else { break }
            if isChar(peek(), "?") { throw PatternError(message: "lazy quantifiers are not supported") }
            if case .repetition = node { throw PatternError(message: "nothing to repeat (a quantifier after a quantifier)") }
            switch node {
            case .startAnchor, .endAnchor: throw PatternError(message: "a quantifier cannot follow an anchor")
            default: break
            }
            node = .repetition(node, min: bounds.0, max: bounds.1)
        }
        return node
    }

    /// `{n}`, `{n,}`, `{n,m}`; nil (position unchanged) when the brace is a literal.
    private mutating func parseBraces() throws(PatternError) -> (Int, Int?)? {
        var index = position + 1
        func number(_ index: inout Int) -> Int? {
            var value = 0, digits = 0
            while index < scalars.count, (0x30...0x39).contains(scalars[index]) {
                value = min(value * 10 + Int(scalars[index] - 0x30), 1_000_000_000)
                index += 1; digits += 1
            }
            return digits > 0 ? value : nil
        }
        if index < scalars.count, isChar(scalars[index], ",") {
            // `{,n}`: a literal in ECMAScript, {0,n} in Python: refused as ambiguous.
            throw PatternError(message: "'{,n}' means different things in different regex engines; write {0,n} or \\{")
        }
        guard let low = number(&index) else { return nil }
        var high: Int? = low
        if index < scalars.count, isChar(scalars[index], ",") {
            index += 1
            high = number(&index)
        }
        guard index < scalars.count, isChar(scalars[index], "}") else { return nil }
        position = index + 1
        if let high, high < low { throw PatternError(message: "quantifier {\(low),\(high)} out of order") }
        if low > maxRepetition || (high ?? 0) > maxRepetition {
            throw PatternError(message: "quantifier bounds above \(maxRepetition) are not supported")
        }
        return (low, high)
    }

    private mutating func parseAtom() throws(PatternError) -> PatternNode {
        let char = scalars[position]
        position += 1
        switch Character(Unicode.Scalar(char)!) {
        case "(":
            groupDepth += 1
            defer { groupDepth -= 1 }
            guard groupDepth <= Self.maxGroupDepth else { throw PatternError(message: "groups nest deeper than \(Self.maxGroupDepth) levels") }
            if isChar(peek(), "?") {
                if isChar(peek(1), ":") {
                    position += 2
                } else if isChar(peek(1), "<"), let next = peek(2), !isChar(next, "="), !isChar(next, "!") {
                    position += 2
                    while let c = peek(), !isChar(c, ">") { position += 1 }
                    guard !atEnd else { throw PatternError(message: "unterminated group name") }
                    position += 1
                } else {
                    throw PatternError(message: "lookahead and lookbehind assertions are not supported")
                }
            }
            let alternatives = try parseAlternatives()
            guard isChar(peek(), ")") else { throw PatternError(message: "unbalanced '('") }
            position += 1
            return alternatives.count == 1 ? .sequence(alternatives[0]) : .alternation(alternatives.map { .sequence($0) })
        case "[": return .chars(try parseClass())
        case ".": return .chars(.dot)
        case "^": return .startAnchor
        case "$": return .endAnchor
        case "\\": return .chars(try parseEscape(inClass: false))
        case "*", "+", "?": throw PatternError(message: "nothing to repeat")
        default: return .chars(ScalarSet(char))
        }
    }

    private mutating func parseClass() throws(PatternError) -> ScalarSet {
        var negated = false
        if isChar(peek(), "^") { negated = true; position += 1 }
        var set = ScalarSet()
        while true {
            guard let char = peek() else { throw PatternError(message: "unterminated character class") }
            if isChar(char, "]") { position += 1; break }
            let (first, single) = try parseClassAtom()
            if let low = single, isChar(peek(), "-"), let after = peek(1), !isChar(after, "]") {
                position += 1
                let (second, high) = try parseClassAtom()
                if let high {
                    guard low <= high else { throw PatternError(message: "character class range out of order") }
                    set = set.union(ScalarSet([low...high]))
                } else {
                    // `[\d-x]`-like: ECMAScript (without `u`) reads the `-` literally.
                    set = set.union(first).union(ScalarSet(0x2D)).union(second)
                }
            } else {
                set = set.union(first)
            }
        }
        return negated ? set.complement : set
    }

    /// One class member: its set, and the scalar when it is a single character (for ranges).
    private mutating func parseClassAtom() throws(PatternError) -> (ScalarSet, UInt32?) {
        let char = scalars[position]
        position += 1
        if isChar(char, "\\") {
            if isChar(peek(), "b") { position += 1; return (ScalarSet(0x08), 0x08) }
            if isChar(peek(), "-") { position += 1; return (ScalarSet(0x2D), 0x2D) }
            let set = try parseEscape(inClass: true)
            if set.ranges.count == 1, set.ranges[0].lowerBound == set.ranges[0].upperBound {
                return (set, set.ranges[0].lowerBound)
            }
            return (set, nil)
        }
        return (ScalarSet(char), char)
    }

    private mutating func hexValue(count: Int) -> UInt32? {
        guard position + count <= scalars.count else { return nil }
        var value: UInt32 = 0
        for index in position..<(position + count) {
            guard let digit = Character(Unicode.Scalar(scalars[index])!).hexDigitValue else { return nil }
            value = value * 16 + UInt32(digit)
        }
        position += count
        return value
    }

    /// After a `\`.
    private mutating func parseEscape(inClass: Bool) throws(PatternError) -> ScalarSet {
        guard let char = peek() else { throw PatternError(message: "pattern ends with '\\'") }
        position += 1
        switch Character(Unicode.Scalar(char)!) {
        case "d": return .digit
        case "D": return .nonDigit
        case "w": return .word
        case "W": return .nonWord
        case "s": return .space
        case "S": return .nonSpace
        case "t": return ScalarSet(0x09)
        case "n": return ScalarSet(0x0A)
        case "r": return ScalarSet(0x0D)
        case "v": return ScalarSet(0x0B)
        case "f": return ScalarSet(0x0C)
        case "0":
            if let next = peek(), (0x30...0x39).contains(next) { throw PatternError(message: "octal escapes are not supported") }
            return ScalarSet(0)
        case "x":
            guard let value = hexValue(count: 2) else { throw PatternError(message: "invalid \\x escape") }
            return ScalarSet(value)
        case "u":
            guard let value = hexValue(count: 4) else { throw PatternError(message: "invalid \\u escape") }
            if (0xD800...0xDBFF).contains(value) {
                let save = position
                if isChar(peek(), "\\"), isChar(peek(1), "u") {
                    position += 2
                    if let low = hexValue(count: 4), (0xDC00...0xDFFF).contains(low) {
                        return ScalarSet(0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00))
                    }
                }
                position = save
                throw PatternError(message: "lone surrogate escape")
            }
            if (0xDC00...0xDFFF).contains(value) { throw PatternError(message: "lone surrogate escape") }
            return ScalarSet(value)
        case "1", "2", "3", "4", "5", "6", "7", "8", "9", "k":
            throw PatternError(message: "backreferences are not supported")
        case "b", "B": throw PatternError(message: "word boundary assertions are not supported")
        case "p", "P": throw PatternError(message: "Unicode property escapes are not supported")
        default:
            if let scalar = Unicode.Scalar(char), scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar)) {
                throw PatternError(message: "unknown escape \\\(Character(scalar))")
            }
            return ScalarSet(char)
        }
    }
}

/// Pattern AST → grammar over JSON string content bytes.
struct PatternCompiler {
    var builder: GrammarBuilder

    /// The grammar of one scalar set, as the canonical JSON encodings of its characters. Sets
    /// that reach beyond ASCII become a shared rule (they are large and recur: `.`, `\S`, `[^…]`).
    mutating func chars(_ set: ScalarSet) -> GrammarExpr {
        if set.ranges.count == 1, set.ranges[0].lowerBound == set.ranges[0].upperBound {
            return .literal(jsonEncodedScalar(set.ranges[0].lowerBound))
        }
        // A class matches one character; ECMAScript without the `u` flag sees a character beyond
        // the BMP as two (surrogate) units, so classes only produce BMP characters.
        let set = set.subtracting(ScalarSet([0x10000...ScalarSet.maxScalar]))
        let nonASCII = set.ranges.contains { $0.upperBound >= 0x80 }
        if !nonASCII { return Self.encode(set) }
        let key = "pattern-class:" + set.ranges.map { "\(String($0.lowerBound, radix: 16))-\(String($0.upperBound, radix: 16))" }.joined(separator: ",")
        return .rule(builder.sharedRule(key) { _, _ in Self.encode(set) })
    }

    static func encode(_ set: ScalarSet) -> GrammarExpr {
        var plain = ByteSet()
        var alternatives: [GrammarExpr] = []
        var sequences: [[ClosedRange<UInt8>]] = []
        for range in set.ranges {
            var low = range.lowerBound
            while low <= min(range.upperBound, 0x7F) {
                if low < 0x20 || low == 0x22 || low == 0x5C {
                    alternatives.append(.literal(jsonEncodedScalar(low)))
                } else {
                    plain.insert(UInt8(low))
                }
                low += 1
            }
            if range.upperBound >= 0x80 {
                sequences += utf8Sequences(max(range.lowerBound, 0x80), range.upperBound)
            }
        }
        if !plain.isEmpty { alternatives.insert(.bytes(plain), at: 0) }
        for sequence in sequences {
            alternatives.append(.sequence(sequence.map { $0.lowerBound == $0.upperBound ? .literal([$0.lowerBound]) : .bytes(ByteSet($0)) }))
        }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

    /// UTF-8 byte-range sequences covering exactly the scalars lo...hi (surrogates skipped),
    /// after regex-syntax's Utf8Sequences.
    static func utf8Sequences(_ lo: UInt32, _ hi: UInt32) -> [[ClosedRange<UInt8>]] {
        var result: [[ClosedRange<UInt8>]] = []
        var stack: [(UInt32, UInt32)] = [(lo, hi)]
        outer: while let popped = stack.popLast() {
            let start = popped.0
            var end = popped.1
            inner: while true {
                if start < 0xE000 && end > 0xD7FF {
                    // Split around the surrogates.
                    if end >= 0xE000 { stack.append((0xE000, end)) }
                    end = 0xD7FF
                    if start > end { continue outer }
                    continue inner
                }
                guard start <= end else { continue outer }
                for maxValue: UInt32 in [0x7F, 0x7FF, 0xFFFF] where start <= maxValue && maxValue < end {
                    stack.append((maxValue + 1, end))
                    end = maxValue
                    continue inner
                }
                if end <= 0x7F {
                    result.append([UInt8(start)...UInt8(end)])
                    continue outer
                }
                for i: UInt32 in 1..<4 {
                    let mask: UInt32 = (1 << (6 * i)) - 1
                    if start & ~mask != end & ~mask {
                        if start & mask != 0 {
                            stack.append(((start | mask) + 1, end))
                            end = start | mask
                            continue inner
                        }
                        if end & mask != mask {
                            stack.append((end & ~mask, end))
                            end = (end & ~mask) - 1
                            continue inner
                        }
                    }
                }
                let a = utf8(start), b = utf8(end)
                result.append(zip(a, b).map { $0...$1 })
                continue outer
            }
        }
        return result
    }

    static func utf8(_ scalar: UInt32) -> [UInt8] {
        switch scalar {
        case 0..<0x80: return [UInt8(scalar)]
        case 0x80..<0x800: return [UInt8(0xC0 | (scalar >> 6)), UInt8(0x80 | (scalar & 0x3F))]
        case 0x800..<0x10000:
            return [UInt8(0xE0 | (scalar >> 12)), UInt8(0x80 | ((scalar >> 6) & 0x3F)), UInt8(0x80 | (scalar & 0x3F))]
        default:
            return [UInt8(0xF0 | (scalar >> 18)), UInt8(0x80 | ((scalar >> 12) & 0x3F)),
                    UInt8(0x80 | ((scalar >> 6) & 0x3F)), UInt8(0x80 | (scalar & 0x3F))]
        }
    }

    mutating func compile(_ node: PatternNode) -> GrammarExpr {
        switch node {
        case let .chars(set): return chars(set)
        case let .sequence(items):
            let parts = items.map { compile($0) }
            return parts.count == 1 ? parts[0] : .sequence(parts)
        case let .alternation(items): return .choice(items.map { compile($0) })
        case let .repetition(inner, min, max): return .repetition(compile(inner), min: min, max: max)
        case .startAnchor, .endAnchor: return .choice([])  // excluded by the parser
        }
    }

    /// The shortest and longest match of a whole pattern, in characters (nil: unbounded).
    static func lengthRange(_ alternatives: [(PatternNode, Bool, Bool)]) -> (Int, Int?) {
        var low = Int.max
        var high: Int? = 0
        for (node, anchoredStart, anchoredEnd) in alternatives {
            let (nodeLow, nodeHigh) = node.lengthRange
            low = min(low, nodeLow)
            if let current = high, let nodeHigh, anchoredStart, anchoredEnd { high = max(current, nodeHigh) } else { high = nil }
        }
        return (low, high)
    }

    /// The pattern narrowed to matches of an allowed length (see PatternLengthFit.swift): each
    /// alternative, its unanchored sides made explicit runs of any character, fitted on its own;
    /// those that cannot fit are dropped. nil when none fits.
    static func fitted(_ alternatives: [(PatternNode, Bool, Bool)], minLength: Int, maxLength: Int?,
                       into builder: inout GrammarBuilder) -> GrammarExpr? {
        // Any character a JSON string may hold, BMP only (as classes are; see `chars`).
        let anyChar = PatternNode.chars(ScalarSet([0x20...0xD7FF, 0xE000...0xFFFF]))
        var compiler = PatternCompiler(builder: builder)
        builder = GrammarBuilder()
        var choices: [GrammarExpr] = []
        for (node, anchoredStart, anchoredEnd) in alternatives {
            var parts: [PatternNode] = []
            if !anchoredStart { parts.append(.repetition(anyChar, min: 0, max: nil)) }
            parts.append(node)
            if !anchoredEnd { parts.append(.repetition(anyChar, min: 0, max: nil)) }
            if let fitted = PatternNode.sequence(parts).fitted(minimum: minLength, maximum: maxLength) {
                choices.append(compiler.compile(fitted))
            }
        }
        builder = compiler.builder
        guard !choices.isEmpty else { return nil }
        return choices.count == 1 ? choices[0] : .choice(choices)
    }

    /// `^C{m,n}$`-like patterns (one character class, repeated or not, anchored at both ends).
    static func simpleRun(_ node: PatternNode) -> (ScalarSet, Int, Int?)? {
        switch node {
        case let .chars(set): return (set, 1, 1)
        case let .sequence(items) where items.count == 1: return simpleRun(items[0])
        case let .alternation(items) where items.count == 1: return simpleRun(items[0])
        case let .repetition(.chars(set), min, max): return (set, min, max)
        default: return nil
        }
    }

    /// The content grammar of a whole pattern (unanchored sides padded with any characters).
    /// With `lengths` (minLength, maxLength): nil when the compiler cannot enforce both, which
    /// it can when the pattern is one anchored character class run (`^[a-z]{2,}$`: the bounds
    /// are intersected) or when every match of the pattern already has an allowed length.
    static func compile(_ pattern: String, maxRepetition: Int, lengths: (Int, Int?)? = nil,
                        into builder: inout GrammarBuilder) throws(PatternError) -> GrammarExpr? {
        let alternatives = try PatternParser.parse(pattern, maxRepetition: maxRepetition)
        if let (minLength, maxLength) = lengths {
            if alternatives.count == 1, alternatives[0].1, alternatives[0].2, let (set, low, high) = simpleRun(alternatives[0].0) {
                let newLow = max(low, minLength)
                let newHigh: Int? = switch (high, maxLength) {
                case let (a?, b?): min(a, b)
                case let (a?, nil): a
                case let (nil, b?): b
                case (nil, nil): nil
                }
                if let newHigh, newHigh < newLow { throw PatternError(message: "no string matches the pattern within minLength and maxLength") }
                var compiler = PatternCompiler(builder: builder)
                let char = compiler.chars(set)
                builder = compiler.builder
                return .repetition(char, min: newLow, max: newHigh)
            }
            let (low, high) = lengthRange(alternatives)
            let withinMax = maxLength.map { limit in high.map { $0 <= limit } ?? false } ?? true
            if !(low >= minLength && withinMax) {
                return fitted(alternatives, minLength: minLength, maxLength: maxLength, into: &builder)
            }
        }
        var compiler = PatternCompiler(builder: builder)
        builder = GrammarBuilder()  // (moved into the compiler and back, to avoid copies)
        let anyChars = GrammarExpr.repetition(.rule(JSONPieces.stringCharRule(&compiler.builder)), min: 0, max: nil)
        var choices: [GrammarExpr] = []
        for (node, anchoredStart, anchoredEnd) in alternatives {
            var parts: [GrammarExpr] = []
            if !anchoredStart { parts.append(anyChars) }
            parts.append(compiler.compile(node))
            if !anchoredEnd { parts.append(anyChars) }
            choices.append(.sequence(parts))
        }
        builder = compiler.builder
        return choices.count == 1 ? choices[0] : .choice(choices)
    }
}
