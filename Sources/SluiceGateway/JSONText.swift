import SluiceAPI

/// Minimal JSON string escaping (RFC 8259 §7) for the few bodies the gateway
/// writes by hand on hot paths, where JSONEncoder would dominate the cost.
enum JSONText {
    static func quoted(_ text: String) -> String {
        // Fast path: most strings (paths, ids, keys) need no escaping.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) { return "\"" + text + "\"" }
        return JSONValue.quoted(text)
    }
}
