/// Why a grammar cannot be compiled for matching (left recursion, an undefined rule, too large).
public struct GrammarError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "grammar error: \(message)" }
}
