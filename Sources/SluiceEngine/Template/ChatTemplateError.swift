/// Why a chat template could not be parsed or rendered. Rendering never
/// produces a partial or guessed prompt: any of these aborts the render.
public struct ChatTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The template source is not valid Jinja (for the subset we support).
        case syntax
        /// A filter, test, method or function the interpreter does not know.
        case unsupported
        /// A type mismatch or invalid operation while evaluating (e.g. `1 + "a"`).
        case evaluation
        /// The template itself called `raise_exception(message)`.
        case raisedByTemplate
        /// A guard against hostile templates tripped: nesting depth, output size or step count.
        case limitExceeded
    }

    public var kind: Kind
    public var message: String
    /// 1-based line in the template source, when known.
    public var line: Int?

    public init(_ kind: Kind, _ message: String, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
    }

    public var description: String {
        if let line { return "chat template \(kind) error at line \(line): \(message)" }
        return "chat template \(kind) error: \(message)"
    }
}
