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

    /// Numerals between lo and hi, which have the same number of digits.
    private static func sameWidth(_ lo: [UInt8], _ hi: [UInt8]) -> GrammarExpr {
        let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        if lo.count == 1 { return digits(lo[0], hi[0]) }
        if lo[0] == hi[0] { return .sequence([.literal([lo[0]]), sameWidth(Array(lo.dropFirst()), Array(hi.dropFirst()))]) }
        let rest = lo.count - 1
        let loRestIsZeros = lo.dropFirst().allSatisfy { $0 == zero }
        let hiRestIsNines = hi.dropFirst().allSatisfy { $0 == nine }
        var alternatives: [GrammarExpr] = []
        var middleFrom = lo[0] + 1
        var middleTo = hi[0] - 1
        if loRestIsZeros { middleFrom = lo[0] } else {
            alternatives.append(.sequence([.literal([lo[0]]), sameWidth(Array(lo.dropFirst()), [UInt8](repeating: nine, count: rest))]))
        }
        if hiRestIsNines { middleTo = hi[0] }
        if middleFrom <= middleTo {
            alternatives.append(.sequence([digits(middleFrom, middleTo), .repetition(JSONPieces.digit, min: rest, max: rest)]))
        }
        if !hiRestIsNines {
            alternatives.append(.sequence([.literal([hi[0]]), sameWidth([UInt8](repeating: zero, count: rest), Array(hi.dropFirst()))]))
        }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }
}

/// Bounds of a number or integer schema, as given.
struct NumericBounds {
    var minimum: Double?
    var minimumExclusive = false
    var maximum: Double?
    var maximumExclusive = false

    var isEmpty: Bool { minimum == nil && maximum == nil }

    /// The integers within the bounds, clamped to ±cap.
    func integerRange(cap: Int64) -> (Int64, Int64) {
        var lo = -cap, hi = cap
        if let minimum {
            let bound = minimumExclusive ? minimum.rounded(.down) + 1 : minimum.rounded(.up)
            lo = max(lo, clamp(bound, cap))
        }
        if let maximum {
            let bound = maximumExclusive ? maximum.rounded(.up) - 1 : maximum.rounded(.down)
            hi = min(hi, clamp(bound, cap))
        }
        return (lo, hi)
    }

    /// Integer parts n ≥ 0 such that every `n.fraction` (even one that rounds up to n+1 when
    /// parsed as a double) is within the bounds.
    func positiveFractionRange(cap: Int64) -> (Int64, Int64) {
        var lo: Int64 = 0, hi = cap
        if let minimum {
            let bound = minimumExclusive ? minimum.rounded(.down) + 1 : minimum.rounded(.up)
            lo = max(lo, clamp(bound, cap))
        }
        if let maximum {
            // n + 1 ≤ max (inclusive) / n + 1 < max (exclusive).
            let bound = maximumExclusive ? maximum.rounded(.up) - 2 : maximum.rounded(.down) - 1
            hi = min(hi, clamp(bound, cap))
        }
        return (lo, hi)
    }

    /// Magnitudes n ≥ 0 such that every `-n.fraction` (in [-(n+1), -n]) is within the bounds.
    func negativeFractionRange(cap: Int64) -> (Int64, Int64) {
        var lo: Int64 = 0, hi = cap
        if let maximum {
            // -n ≤ max ⇔ n ≥ -max; -n < max ⇔ n > -max.
            let bound = maximumExclusive ? (-maximum).rounded(.down) + 1 : (-maximum).rounded(.up)
            lo = max(lo, clamp(bound, cap))
        }
        if let minimum {
            // -(n+1) ≥ min ⇔ n ≤ -min - 1; -(n+1) > min ⇔ n < -min - 1.
            let bound = minimumExclusive ? (-minimum).rounded(.up) - 2 : (-minimum).rounded(.down) - 1
            hi = min(hi, clamp(bound, cap))
        }
        return (lo, hi)
    }

    private func clamp(_ value: Double, _ cap: Int64) -> Int64 {
        if value >= Double(cap) { return cap }
        if value <= -Double(cap) { return -cap }
        return Int64(value)
    }
}
