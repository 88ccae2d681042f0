/// The Unicode classes the pre-tokenizer regexes use (`\p{L}`, `\p{N}`, `\s`),
/// from the standard library's Unicode tables, with an ASCII fast path.
struct CharacterClass: OptionSet {
    let rawValue: UInt8
    static let letter = CharacterClass(rawValue: 1)
    static let number = CharacterClass(rawValue: 2)
    static let whitespace = CharacterClass(rawValue: 4)

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
        default: break
        }
        if properties.isWhitespace { result.insert(.whitespace) }
        return result
    }
}
