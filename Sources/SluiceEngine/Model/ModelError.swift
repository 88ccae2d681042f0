/// Why a model could not be loaded or run. File-format problems stay
/// `GGUFError`s (wrapped in `.file`); this covers what a well-formed file can
/// still get wrong for inference, and misuse of the runner API.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case file(GGUFError)
    case unsupportedArchitecture(String)
    case invalidHyperParameter(key: String, reason: String)
    case tensorShape(name: String, expected: [Int], actual: [Int])
    case unsupportedTensorType(name: String, type: String)
    case outOfMemory(what: String)
    case invalidBatch(String)

    public var description: String {
        switch self {
        case let .file(e): e.description
        case let .unsupportedArchitecture(a): "unsupported architecture \(a) (supported: llama)"
        case let .invalidHyperParameter(key, reason): "\(key): \(reason)"
        case let .tensorShape(name, expected, actual): "tensor \(name) has shape \(actual), expected \(expected)"
        case let .unsupportedTensorType(name, type): "tensor \(name) has type \(type), which the kernels cannot compute"
        case let .outOfMemory(what): "out of memory allocating \(what)"
        case let .invalidBatch(reason): "invalid batch: \(reason)"
        }
    }
}
