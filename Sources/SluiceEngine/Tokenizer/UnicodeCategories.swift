/// The Unicode classes the pre-tokenizer regexes use (`\p{L}`, `\p{N}`, `\s`),
/// from the standard library's Unicode tables, with an ASCII fast path.
struct CharacterClass: OptionSet {
    let rawValue: UInt8
    static let letter = CharacterClass(rawValue: 1)
    static let number = CharacterClass(rawValue: 2)
    static let whitespace = CharacterClass(rawValue: 4)
    /// `\p{P}` (any punctuation category).
    static let punctuation = CharacterClass(rawValue: 8)

    /// `[^\s\p{L}\p{N}]`: neither whitespace, letter nor number.
    var isOther: Bool { intersection([.letter, .number, .whitespace]).isEmpty }

    private static let ascii: [CharacterClass] = (0..<128).map { value in
        let scalar = Unicode.Scalar(UInt8(value))
        return slowClassify(scalar)
    }

    static func of(_ scalar: Unicode.Scalar) -> CharacterClass {
        if scalar.value < 128 { return ascii[Int(scalar.value)] }
        return slowClassify(scalar)
    }

    private static func slowClassify(_ scalar: Unicode.Scalar) -> CharacterClass {
        let properties = scalar.properties
        var result: CharacterClass = []
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            result.insert(.punctuation)
        default: break
        }
        if properties.isWhitespace { result.insert(.whitespace) }
        return result
    }
}
