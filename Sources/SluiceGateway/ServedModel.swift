/// A model the gateway serves, as `/v1/models` lists it.
public struct ServedModel: Sendable, Hashable {
    public var id: String
    /// Unix seconds (OpenAI's `created`): when the server loaded it.
    public var created: Int
    public var ownedBy: String

    public init(id: String, created: Int, ownedBy: String = "sluice") {
        self.id = id
        self.created = created
        self.ownedBy = ownedBy
    }
}
