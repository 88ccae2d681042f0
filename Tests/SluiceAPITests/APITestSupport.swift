import Foundation
import Testing
@testable import SluiceAPI

/// Builds a request body from a JSON literal written with single quotes for readability.
func body(_ json: String) -> [UInt8] { Array(json.replacingOccurrences(of: "'", with: "\"").utf8) }

/// A minimal valid chat body with extra members spliced in, e.g. `chatBody("'n': 2")`.
func chatBody(_ extra: String = "") -> [UInt8] {
    body("{'model':'m','messages':[{'role':'user','content':'hi'}]\(extra.isEmpty ? "" : ",\(extra)")}")
}

func completionBody(_ extra: String = "") -> [UInt8] {
    body("{'model':'m','prompt':'hello'\(extra.isEmpty ? "" : ",\(extra)")}")
}

/// The APIError a validation throws, or nil when it succeeds.
func chatError(_ bytes: [UInt8]) -> APIError? {
    do { _ = try ValidatedChatRequest.validate(body: bytes); return nil } catch { return error }
}

func completionError(_ bytes: [UInt8]) -> APIError? {
    do { _ = try ValidatedCompletionRequest.validate(body: bytes); return nil } catch { return error }
}

/// Encodes a wire value and parses it back, to inspect exactly what goes on the wire.
func wire<T: Encodable>(_ value: T) throws -> JSONValue {
    try JSONParser.parse(WireJSON.encode(value))
}

extension JSONValue {
    subscript(index: Int) -> JSONValue? {
        if case let .array(items) = self, index < items.count { return items[index] }
        return nil
    }
    var keys: Set<String> {
        if case let .object(members) = self { return Set(members.keys) }
        return []
    }
    var count: Int? {
        if case let .array(items) = self { return items.count }
        return nil
    }
}

