import SluiceHTTP
import Synchronization

/// `x-request-id` handling: a client's id is echoed when it is sane (1...128
/// printable ASCII characters, so it can go into logs and headers as is);
/// otherwise one is generated.
public struct RequestIDPolicy: Sendable {
    public static let headerName = "x-request-id"
    let generate: @Sendable () -> String

    /// `generate` is injected so tests are deterministic.
    public init(generate: @escaping @Sendable () -> String) {
        self.generate = generate
    }

    /// `req_` + a random per-process prefix + a counter: unique, and cheap
    /// (no random syscall per request).
    public static func counting(prefix: String = RequestIDPolicy.randomPrefix()) -> RequestIDPolicy {
        let counter = CounterBox()
        return RequestIDPolicy { "req_\(prefix)\(counter.next())" }
    }

    public static func randomPrefix() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public func id(for head: HTTPRequestHead?) -> String {
        if let supplied = head?.headers[Self.headerName], Self.isSane(supplied) { return supplied }
        return generate()
    }

    public static func isSane(_ id: String) -> Bool {
        let bytes = id.utf8
        return !bytes.isEmpty && bytes.count <= 128 && bytes.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}

/// A thread-safe counter (requests are served on several loop threads).
final class CounterBox: Sendable {
    private let value = Atomic<UInt64>(0)

    func next() -> UInt64 { value.wrappingAdd(1, ordering: .relaxed).newValue }
}
