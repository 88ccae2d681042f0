/// Why a GGUF file could not be read. Every check in the reader maps to one
/// case here, with enough context (offset, key or tensor name) to find the
/// problem in a hex dump.
public enum GGUFError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, stat'ed or mapped (errno text included).
    case io(path: String, reason: String)
    /// The first four bytes are not `GGUF`.
    case badMagic
    /// Only v2 and v3 are read: v1 used 32-bit counts and lengths.
    case unsupportedVersion(UInt32)
    /// A read of `needed` bytes at `offset` would pass the end of the file.
    case truncated(offset: Int, needed: Int, what: String)
    /// A count or length that cannot fit in what is left of the file.
    case implausibleCount(offset: Int, count: UInt64, what: String)
    case unknownValueType(offset: Int, type: UInt32)
    /// A string whose bytes are not valid UTF-8 (its length field is at `offset`).
    case invalidUTF8(offset: Int, what: String)
    /// Arrays of arrays deeper than the reader allows.
    case nestingTooDeep(offset: Int)
    case duplicateKey(String)
    case duplicateTensor(String)
    case invalidAlignment(UInt64)
    case invalidTensor(name: String, reason: String)
    case unknownTensorType(name: String, type: UInt32)
    /// Lookups by the typed accessors: the key is absent or has another type.
    case missingKey(String)
    case wrongType(key: String, expected: String, actual: String)
    case missingTensor(String)

    public var description: String {
        switch self {
        case let .io(path, reason): "cannot read \(path): \(reason)"
        case .badMagic: "not a GGUF file (bad magic)"
        case let .unsupportedVersion(v): "unsupported GGUF version \(v) (only 2 and 3)"
        case let .truncated(offset, needed, what): "file truncated: \(what) needs \(needed) bytes at offset \(offset)"
        case let .implausibleCount(offset, count, what): "implausible \(what) \(count) at offset \(offset)"
        case let .unknownValueType(offset, type): "unknown metadata value type \(type) at offset \(offset)"
        case let .invalidUTF8(offset, what): "\(what) at offset \(offset) is not valid UTF-8"
        case let .nestingTooDeep(offset): "arrays nested too deeply at offset \(offset)"
        case let .duplicateKey(key): "duplicate metadata key \(key)"
        case let .duplicateTensor(name): "duplicate tensor \(name)"
        case let .invalidAlignment(a): "general.alignment \(a) is not a power of two"
        case let .invalidTensor(name, reason): "tensor \(name): \(reason)"
        case let .unknownTensorType(name, type): "tensor \(name): unknown ggml type \(type)"
        case let .missingKey(key): "missing metadata key \(key)"
        case let .wrongType(key, expected, actual): "metadata \(key) is \(actual), expected \(expected)"
        case let .missingTensor(name): "missing tensor \(name)"
        }
    }
}
