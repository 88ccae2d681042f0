/// `tojson` as Hugging Face's chat-template environment defines it: Python's
/// `json.dumps(value, ensure_ascii=False, indent=indent)` — separators `", "`
/// and `": "`, non-ASCII kept, keys in insertion order, no HTML escaping.
enum JinjaJSON {
    static func encode(_ value: JinjaValue, indent: Int?, at offset: Int?, interpreter: JinjaInterpreter) throws -> String {
        var output = ""
        try write(value, indent: indent.map { max(0, min($0, 32)) }, level: 0, into: &output, depth: 0,
                  at: offset, interpreter: interpreter)
        return output
    }

    private static func write(_ value: JinjaValue, indent: Int?, level: Int, into output: inout String, depth: Int,
                              at offset: Int?, interpreter: JinjaInterpreter) throws {
        if depth > JinjaInterpreter.maxNesting { throw interpreter.error(.limitExceeded, "tojson: value nested too deeply", at: offset) }
        try interpreter.checkLength(output.utf8.count, at: offset)
        switch value {
        case .none, .undefined: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .integer(let number): output += String(number)
        case .float(let number):
            // Python writes NaN/Infinity (not valid JSON, but what templates were tested with).
            if number.isNaN { output += "NaN" } else if number.isInfinite { output += number < 0 ? "-Infinity" : "Infinity" }
            else { output += JinjaValue.pythonFloat(number) }
        case .string(let text): writeString(text, into: &output)
        case .list(let items):
            try writeContainer(items.map { (nil, $0) }, open: "[", close: "]", indent: indent, level: level,
                               into: &output, depth: depth, at: offset, interpreter: interpreter)
        case .dict(let dict):
            try writeContainer(dict.items.map { ($0.0, $0.1) }, open: "{", close: "}", indent: indent, level: level,
                               into: &output, depth: depth, at: offset, interpreter: interpreter)
        case .namespace(let namespace):
            try writeContainer(namespace.attributes.items.map { ($0.0, $0.1) }, open: "{", close: "}", indent: indent,
                               level: level, into: &output, depth: depth, at: offset, interpreter: interpreter)
        case .callable(let function):
            throw interpreter.error(.evaluation, "tojson: \(function.name) is not JSON serializable", at: offset)
        }
    }

    private static func writeContainer(_ entries: [(String?, JinjaValue)], open: String, close: String, indent: Int?,
                                       level: Int, into output: inout String, depth: Int, at offset: Int?,
                                       interpreter: JinjaInterpreter) throws {
        output += open
        if entries.isEmpty { output += close; return }
        let itemSeparator = indent == nil ? ", " : ","
        for (index, (key, item)) in entries.enumerated() {
            if index > 0 { output += itemSeparator }
            if let indent { output += "\n" + String(repeating: " ", count: indent * (level + 1)) }
            if let key {
                writeString(key, into: &output)
                output += ": "
            }
            try write(item, indent: indent, level: level + 1, into: &output, depth: depth + 1, at: offset,
                      interpreter: interpreter)
        }
        if let indent { output += "\n" + String(repeating: " ", count: indent * level) }
        output += close
    }

    static func writeString(_ text: String, into output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
