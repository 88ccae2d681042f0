/// Why a tokenizer could not be built from a vocabulary. Encoding and decoding
/// never fail: any string has a tokenization and any id list a (lossy) text.
public struct TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "tokenizer error: \(message)" }
}
