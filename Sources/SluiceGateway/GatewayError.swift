/// The one error type of SluiceGateway: configuration and startup failures,
/// with a message fit for stderr.
public struct GatewayError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case invalidConfiguration
        case modelUnreadable
        case serverFailed
        /// The forward pass failed (fails the requests of that step, not the server).
        case engineFailed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
