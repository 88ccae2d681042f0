/// One header field line: name as received (case preserved), value with
/// surrounding whitespace removed (RFC 9110 §5.5).
public struct HTTPField: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Ordered, multi-valued header fields. Names compare case-insensitively
/// (RFC 9110 §5.1); order and repetition are preserved because some fields
/// are lists and their order matters (RFC 9110 §5.3).
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [HTTPField]

    public init() { fields = [] }

    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { HTTPField(name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    public func makeIterator() -> IndexingIterator<[HTTPField]> { fields.makeIterator() }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        for field in fields where field.name.equalsASCIICaseInsensitive(name) { return field.value }
        return nil
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.equalsASCIICaseInsensitive(name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public mutating func add(_ name: String, _ value: String) {
        fields.append(HTTPField(name: name, value: value))
    }

    /// Removes every `name` field, then adds one with `value`.
    public mutating func replaceOrAdd(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.equalsASCIICaseInsensitive(name) }
    }

    /// True when a comma-separated list field (e.g. `Connection`) has `token`
    /// as one of its elements, case-insensitively (RFC 9110 §5.6.1).
    public func hasToken(_ token: String, in name: String) -> Bool {
        for field in fields where field.name.equalsASCIICaseInsensitive(name) {
            for element in field.value.split(separator: ",") {
                if element.trimmingASCIIWhitespace().equalsASCIICaseInsensitive(token) { return true }
            }
        }
        return false
    }
}

extension StringProtocol {
    /// ASCII case-insensitive equality; header names and tokens are ASCII.
    func equalsASCIICaseInsensitive<Other: StringProtocol>(_ other: Other) -> Bool {
        // Header names are compared on every lookup: reject on length first.
        guard utf8.count == other.utf8.count else { return false }
        var a = utf8.makeIterator()
        var b = other.utf8.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return true
            case let (x?, y?):
                if x != y && asciiLower(x) != asciiLower(y) { return false }
            default: return false
            }
        }
    }

    func trimmingASCIIWhitespace() -> Substring {
        let scalars = Substring(self)
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start] == " " || scalars[start] == "\t" { start = scalars.index(after: start) }
        while end > start {
            let before = scalars.index(before: end)
            guard scalars[before] == " " || scalars[before] == "\t" else { break }
            end = before
        }
        return scalars[start..<end]
    }
}

@inline(__always) func asciiLower(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
}
