/// The one error type of SluiceStore. A struct around a kind, so new cases
/// do not break callers, and a message that is safe to log (never a secret).
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The shared store (Redis) could not be reached or answered with an I/O error.
        /// The gateway maps this to 503 under the `closed` failure policy.
        case unavailable
        /// The shared store did not answer within the command timeout.
        case timeout
        /// No key with that id.
        case notFound
        /// A concurrent update won; retry with fresh data.
        case conflict
        /// The caller passed a value the store cannot accept (negative limit, empty pepper, ...).
        case invalidArgument
        /// Stored data could not be decoded (a corrupt key file or Redis hash).
        case corruptData
        /// A local file operation failed (key persistence).
        case io
        /// Redis answered something the protocol here does not expect (a script bug).
        case unexpectedReply
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// True when the shared store is down or frozen: the failure policy applies.
    public var isStoreUnreachable: Bool { kind == .unavailable || kind == .timeout }

    public var description: String { "StoreError.\(kind): \(message)" }
}
