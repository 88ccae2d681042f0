// Exact grammars for integer ranges, built digit by digit the way regex range generators do
// (split by digit count, then by the first digit where the bounds differ), and the
// conservative number-range grammar built on it.

enum IntegerRangeGrammar {
    /// JSON integers n with lo ≤ n ≤ hi (no leading zeros; `-0` never produced). Empty range:
    /// matches nothing.
    static func range(_ lo: Int64, _ hi: Int64) -> GrammarExpr {
        guard lo <= hi else { return .choice([]) }
        var alternatives: [GrammarExpr] = []
        if lo < 0 {
            // Negative part: magnitudes max(1, -hi) ... -lo.
            let magnitudeLo = hi < 0 ? -hi : 1
            alternatives.append(.sequence([.literal("-"), nonNegative(magnitudeLo, -lo)]))
        }
        if hi >= 0 { alternatives.append(nonNegative(max(lo, 0), hi)) }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

    /// Decimal numerals of lo...hi, both ≥ 0.
    static func nonNegative(_ lo: Int64, _ hi: Int64) -> GrammarExpr {
        guard lo <= hi else { return .choice([]) }
        var alternatives: [GrammarExpr] = []
        var start = lo
        var width = String(lo).count
        while start <= hi {
            let widthMax: Int64 = width >= 19 ? Int64.max : pow10(width) - 1
            let end = min(hi, widthMax)
            alternatives.append(sameWidth(Array(String(start).utf8), Array(String(end).utf8)))
            if end == Int64.max || end == hi { break }
            start = end + 1
            width += 1
        }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

    static func pow10(_ exponent: Int) -> Int64 {
        var value: Int64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    private static func digits(_ from: UInt8, _ to: UInt8) -> GrammarExpr {
        from == to ? .literal([from]) : .bytes(ByteSet(from...to))
    }

    /// `count` free digits, with a `.` before the `point`-th of them when 0 ≤ point < count.
    private static func anyDigits(_ count: Int, point: Int) -> GrammarExpr {
        guard point >= 0, point < count else { return .repetition(JSONPieces.digit, min: count, max: count) }
        var parts: [GrammarExpr] = []
        if point > 0 { parts.append(.repetition(JSONPieces.digit, min: point, max: point)) }
        parts.append(.literal("."))
        parts.append(.repetition(JSONPieces.digit, min: count - point, max: count - point))
        return .sequence(parts)
    }

    /// Numerals between lo and hi, which have the same number of digits, with a `.` written
    /// before the digit at index `point` (none when out of range).
    private static func sameWidth(_ lo: [UInt8], _ hi: [UInt8], point: Int = -1) -> GrammarExpr {
        let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        func withPoint(_ expr: GrammarExpr) -> GrammarExpr { point == 0 ? .sequence([.literal("."), expr]) : expr }
        if lo.count == 1 { return withPoint(digits(lo[0], hi[0])) }
        let loRest = Array(lo.dropFirst()), hiRest = Array(hi.dropFirst())
        if lo[0] == hi[0] { return withPoint(.sequence([.literal([lo[0]]), sameWidth(loRest, hiRest, point: point - 1)])) }
        let rest = lo.count - 1
        let loRestIsZeros = loRest.allSatisfy { $0 == zero }
        let hiRestIsNines = hiRest.allSatisfy { $0 == nine }
        var alternatives: [GrammarExpr] = []
        var middleFrom = lo[0] + 1
        var middleTo = hi[0] - 1
        if loRestIsZeros { middleFrom = lo[0] } else {
            alternatives.append(.sequence([.literal([lo[0]]), sameWidth(loRest, [UInt8](repeating: nine, count: rest), point: point - 1)]))
        }
        if hiRestIsNines { middleTo = hi[0] }
        if middleFrom <= middleTo {
            alternatives.append(.sequence([digits(middleFrom, middleTo), anyDigits(rest, point: point - 1)]))
        }
        if !hiRestIsNines {
            alternatives.append(.sequence([.literal([hi[0]]), sameWidth([UInt8](repeating: zero, count: rest), hiRest, point: point - 1)]))
        }
        return withPoint(alternatives.count == 1 ? alternatives[0] : .choice(alternatives))
    }

    /// Decimals k / 10^scale for lo ≤ k ≤ hi (k ≥ 0), written with exactly `scale` digits
    /// after the point and an integer part without leading zeros (`0.05`, `12.50`).
    static func scaledNonNegative(_ lo: Int64, _ hi: Int64, scale: Int) -> GrammarExpr {
        guard scale > 0 else { return nonNegative(lo, hi) }
        guard lo <= hi else { return .choice([]) }
        var alternatives: [GrammarExpr] = []
        var width = scale + 1
        var start = lo
        while start <= hi {
            let widthMax = pow10(width) - 1
            let end = min(hi, widthMax)
            if start <= end {
                func padded(_ value: Int64) -> [UInt8] {
                    let text = Array(String(value).utf8)
                    return [UInt8](repeating: UInt8(ascii: "0"), count: width - text.count) + text
                }
                alternatives.append(sameWidth(padded(start), padded(end), point: width - scale))
            }
            if end == hi { break }
            start = max(end + 1, start)
            width += 1
        }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

    /// Decimals k / 10^scale for lo ≤ k ≤ hi (any signs; `-` only before nonzero values).
    static func scaledRange(_ lo: Int64, _ hi: Int64, scale: Int) -> GrammarExpr {
        guard lo <= hi else { return .choice([]) }
        var alternatives: [GrammarExpr] = []
        if lo < 0 { alternatives.append(.sequence([.literal("-"), scaledNonNegative(hi < 0 ? -hi : 1, -lo, scale: scale)])) }
        if hi >= 0 { alternatives.append(scaledNonNegative(max(lo, 0), hi, scale: scale)) }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

    /// The text of k / 10^scale as `scaledRange` writes it.
    static func scaledText(_ k: Int64, scale: Int) -> String {
        let digits = String(k.magnitude)
        guard scale > 0 else { return (k < 0 ? "-" : "") + digits }
        let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
        return (k < 0 ? "-" : "") + padded.dropLast(scale) + "." + padded.suffix(scale)
    }
}

/// Bounds of a number or integer schema, as given.
struct NumericBounds {
    var minimum: Double?
    var minimumExclusive = false
    var maximum: Double?
    var maximumExclusive = false

    init(minimum: Double? = nil, maximum: Double? = nil) {
        self.minimum = minimum
        self.maximum = maximum
    }

    var isEmpty: Bool { minimum == nil && maximum == nil }

    /// The integers within the bounds and within ±cap (lo > hi: none).
    func integerRange(cap: Int64) -> (Int64, Int64) {
        var lo = -cap, hi = cap
        if let minimum {
            let bound = minimumExclusive ? minimum.rounded(.down) + 1 : minimum.rounded(.up)
            lo = bound > Double(cap) ? cap + 1 : max(lo, bound < -Double(cap) ? -cap : Int64(bound))
        }
        if let maximum {
            let bound = maximumExclusive ? maximum.rounded(.up) - 1 : maximum.rounded(.down)
            hi = bound < -Double(cap) ? -cap - 1 : min(hi, bound > Double(cap) ? cap : Int64(bound))
        }
        return (lo, hi)
    }

    func satisfiesLower(_ x: Double) -> Bool {
        guard let minimum else { return true }
        return minimumExclusive ? x > minimum : x >= minimum
    }

    func satisfiesUpper(_ x: Double) -> Bool {
        guard let maximum else { return true }
        return maximumExclusive ? x < maximum : x <= maximum
    }

    /// The value a JSON parser reads for k / 10^scale written as `scaledRange` writes it (the
    /// bounds are checked on exactly what a validator will compare).
    static func value(_ k: Int64, scale: Int) -> Double { Double(IntegerRangeGrammar.scaledText(k, scale: scale))! }

    /// Digits after the point needed to write both bounds exactly (at most `limit`).
    func scaleNeeded(limit: Int) -> Int {
        var scale = 0
        for bound in [minimum, maximum].compactMap({ $0 }) {
            let text = "\(bound)"  // the shortest text that reads back as `bound`
            var mantissa = Substring(text)
            var exponent = 0
            if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
                mantissa = text[..<e]
                exponent = Int(text[text.index(after: e)...].filter { $0 != "+" }) ?? 0
            }
            var fraction = 0
            if let dot = mantissa.firstIndex(of: ".") {
                fraction = mantissa[mantissa.index(after: dot)...].reversed().drop { $0 == "0" }.count
            }
            scale = max(scale, fraction - exponent)
        }
        return min(max(scale, 0), limit)
    }

    /// The smallest k in -cap...cap whose k / 10^scale satisfies the lower bound (cap + 1: none).
    func lowestScaled(scale: Int, cap: Int64) -> Int64 {
        guard let minimum else { return -cap }
        let guess = (minimum * Double(IntegerRangeGrammar.pow10(scale))).rounded(.down)
        var k = guess >= Double(cap) ? cap + 1 : guess <= -Double(cap) ? -cap : Int64(guess)
        while k <= cap, !satisfiesLower(Self.value(k, scale: scale)) { k += 1 }
        while k > -cap, satisfiesLower(Self.value(k - 1, scale: scale)) { k -= 1 }
        return k
    }

    /// The largest k in -cap...cap whose k / 10^scale satisfies the upper bound (-cap - 1: none).
    func highestScaled(scale: Int, cap: Int64) -> Int64 {
        guard let maximum else { return cap }
        let guess = (maximum * Double(IntegerRangeGrammar.pow10(scale))).rounded(.up)
        var k = guess <= -Double(cap) ? -cap - 1 : guess >= Double(cap) ? cap : Int64(guess)
        while k >= -cap, !satisfiesUpper(Self.value(k, scale: scale)) { k -= 1 }
        while k < cap, satisfiesUpper(Self.value(k + 1, scale: scale)) { k += 1 }
        return k
    }

    /// Numbers within the bounds, conservatively: with D one more than the digits after the
    /// point the bounds need (≤ 6), the decimals with 0…D fraction digits that are within bounds (exactly), and
    /// those with more fraction digits whose D-digit truncation k and k + 10^-D are both within
    /// bounds (so every continuation, even one that rounds up when parsed, is). No exponent.
    /// Nil when there is none.
    func numberGrammar(maxIntegerDigits: Int, maxFractionDigits: Int) -> GrammarExpr? {
        // One digit more than the bounds need, so open intervals like (0.1, 0.2) have members.
        let limit = min(maxFractionDigits, 6)
        let scale = min(scaleNeeded(limit: limit) + 1, limit)
        func cap(_ scale: Int) -> Int64 { IntegerRangeGrammar.pow10(min(maxIntegerDigits + scale, 15)) - 1 }
        var alternatives: [GrammarExpr] = []
        for digits in 0...scale {
            let lo = lowestScaled(scale: digits, cap: cap(digits)), hi = highestScaled(scale: digits, cap: cap(digits))
            if lo <= hi { alternatives.append(IntegerRangeGrammar.scaledRange(lo, hi, scale: digits)) }
        }
        let extra = maxFractionDigits - scale
        if extra >= 1 {
            let lo = lowestScaled(scale: scale, cap: cap(scale)), hi = highestScaled(scale: scale, cap: cap(scale))
            let more = GrammarExpr.repetition(JSONPieces.digit, min: 1, max: extra)
            let tail: GrammarExpr = scale == 0 ? .sequence([.literal("."), more]) : more
            if max(lo, 0) <= hi - 1 {
                alternatives.append(.sequence([IntegerRangeGrammar.scaledNonNegative(max(lo, 0), hi - 1, scale: scale), tail]))
            }
            // -m.fraction lies in [-(m+1), -m] (scaled): -m ≤ hi and -(m+1) ≥ lo.
            let magnitudeLo = max(0, -hi), magnitudeHi = -lo - 1
            if magnitudeLo <= magnitudeHi {
                alternatives.append(.sequence([.literal("-"), IntegerRangeGrammar.scaledNonNegative(magnitudeLo, magnitudeHi, scale: scale), tail]))
            }
        }
        if alternatives.isEmpty { return nil }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

}
