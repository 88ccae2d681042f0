import SluiceAPI

// Number and integer schemas: bounds, exact integer ranges, multipleOf.
extension SchemaCompilation {
    // MARK: number, integer

    /// `multipleOf` other than 1: the multiples within both bounds, as literals (at most
    /// `maxEnumValues` of them), each checked the way validators check (the value parsed as a
    /// double, divided by the factor, is a whole number). Without both bounds: refused.
    func multiples(of factor: Double, integer: Bool, bounds: NumericBounds, path: [String]) throws(JSONSchemaError) -> GrammarExpr {
        guard let minimum = bounds.minimum, let maximum = bounds.maximum else {
            throw fail(path, "multipleOf", "multipleOf other than 1 is supported only with both a minimum and a maximum")
        }
        let factorBounds = NumericBounds(minimum: factor, maximum: factor)
        let scale = factorBounds.scaleNeeded(limit: 6)
        let scaledDouble = (factor * Double(IntegerRangeGrammar.pow10(scale))).rounded()
        guard scaledDouble < 1e15 else { throw fail(path, "multipleOf", "multipleOf \(factor) is too large") }
        let scaledFactor = Int64(scaledDouble)
        guard scaledFactor > 0, NumericBounds.value(scaledFactor, scale: scale) == factor else {
            throw fail(path, "multipleOf", "multipleOf \(factor) has more than 6 decimals")
        }
        let first = (minimum / factor).rounded(.up) - 1, last = (maximum / factor).rounded(.down) + 1
        guard last - first <= Double(options.maxEnumValues) + 2, abs(first) < 1e15, abs(last) < 1e15 else {
            throw fail(path, "multipleOf", "more than \(options.maxEnumValues) multiples of \(factor) within the bounds")
        }
        var literals: [GrammarExpr] = []
        var index = Int64(first)
        while Double(index) <= last {
            let (scaled, overflow) = index.multipliedReportingOverflow(by: scaledFactor)
            if overflow { index += 1; continue }
            var text = IntegerRangeGrammar.scaledText(scaled, scale: scale)
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            if text == "-0" { text = "0" }
            index += 1
            guard let x = Double(text), bounds.satisfiesLower(x), bounds.satisfiesUpper(x) else { continue }
            let quotient = x / factor
            guard quotient == quotient.rounded(.towardZero), !integer || !text.contains(".") else { continue }
            literals.append(.literal(text))
        }
        guard !literals.isEmpty else { throw fail(path, "multipleOf", "no multiple of \(factor) within the bounds") }
        return literals.count == 1 ? literals[0] : .choice(literals)
    }

    func number(_ value: JSONValue, _ keyword: String, path: [String]) throws(JSONSchemaError) -> Double {
        switch value {
        case let .integer(number): return Double(number)
        case let .number(number): return number
        default: throw fail(path, keyword, "'\(keyword)' must be a number")
        }
    }

    func bounds(_ members: [String: JSONValue], path: [String]) throws(JSONSchemaError) -> NumericBounds {
        var bounds = NumericBounds()
        if let value = members["minimum"] { bounds.minimum = try number(value, "minimum", path: path) }
        if let value = members["maximum"] { bounds.maximum = try number(value, "maximum", path: path) }
        switch members["exclusiveMinimum"] {
        case nil, .bool(false)?: break
        case .bool(true)?:
            guard bounds.minimum != nil else { throw fail(path, "exclusiveMinimum", "exclusiveMinimum: true needs minimum") }
            bounds.minimumExclusive = true
        case let value?:
            let bound = try number(value, "exclusiveMinimum", path: path)
            if bounds.minimum.map({ bound >= $0 }) ?? true { bounds.minimum = bound; bounds.minimumExclusive = true }
        }
        switch members["exclusiveMaximum"] {
        case nil, .bool(false)?: break
        case .bool(true)?:
            guard bounds.maximum != nil else { throw fail(path, "exclusiveMaximum", "exclusiveMaximum: true needs maximum") }
            bounds.maximumExclusive = true
        case let value?:
            let bound = try number(value, "exclusiveMaximum", path: path)
            if bounds.maximum.map({ bound <= $0 }) ?? true { bounds.maximum = bound; bounds.maximumExclusive = true }
        }
        return bounds
    }

    func number(_ members: [String: JSONValue], integer: Bool, path: [String], builder: inout GrammarBuilder) throws(JSONSchemaError) -> GrammarExpr {
        var integer = integer
        let bounds = try bounds(members, path: path)
        if let multiple = members["multipleOf"] {
            let value = try number(multiple, "multipleOf", path: path)
            guard value > 0 else { throw fail(path, "multipleOf", "'multipleOf' must be greater than 0") }
            if value != 1 { return try multiples(of: value, integer: integer, bounds: bounds, path: path) }
            integer = true
        }
        if integer {
            if bounds.isEmpty { return .rule(JSONPieces.integerRule(&builder, digits: options.maxIntegerDigits)) }
            let (lo, hi) = bounds.integerRange(cap: cap)
            guard lo <= hi else { throw fail(path, members["minimum"] != nil ? "minimum" : "exclusiveMinimum", "no integer satisfies the bounds") }
            return IntegerRangeGrammar.range(lo, hi)
        }
        if bounds.isEmpty {
            return .rule(JSONPieces.numberRule(&builder, intDigits: options.maxIntegerDigits,
                                               fracDigits: options.maxFractionDigits, expDigits: options.maxExponentDigits))
        }
        guard let expr = bounds.numberGrammar(maxIntegerDigits: options.maxIntegerDigits, maxFractionDigits: options.maxFractionDigits) else {
            throw fail(path, members["minimum"] != nil ? "minimum" : "exclusiveMinimum", "no number can be produced within the bounds")
        }
        return expr
    }
}
