/// Typed metadata lookups. Each throws `missingKey` or `wrongType` so callers
/// can report exactly which field of a model file is wrong; the `optional…`
/// forms return nil only when the key is absent.
extension GGUFFile {
    public func value(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let v = metadata[key] else { throw .missingKey(key) }
        return v
    }

    public func string(_ key: String) throws(GGUFError) -> String {
        let v = try value(key)
        guard case let .string(s) = v else { throw .wrongType(key: key, expected: "string", actual: v.typeName) }
        return s
    }

    /// Any integer type whose value fits in `Int`.
    public func int(_ key: String) throws(GGUFError) -> Int {
        let v = try value(key)
        guard let i = v.integer else { throw .wrongType(key: key, expected: "integer", actual: v.typeName) }
        return i
    }

    public func uint32(_ key: String) throws(GGUFError) -> UInt32 {
        let v = try value(key)
        guard let i = v.integer, let u = UInt32(exactly: i) else {
            throw .wrongType(key: key, expected: "uint32", actual: v.typeName)
        }
        return u
    }

    /// float32 or float64 (narrowed).
    public func float(_ key: String) throws(GGUFError) -> Float {
        let v = try value(key)
        switch v {
        case let .float32(f): return f
        case let .float64(d): return Float(d)
        default: throw .wrongType(key: key, expected: "float", actual: v.typeName)
        }
    }

    public func bool(_ key: String) throws(GGUFError) -> Bool {
        let v = try value(key)
        guard case let .bool(b) = v else { throw .wrongType(key: key, expected: "bool", actual: v.typeName) }
        return b
    }

    public func array(_ key: String) throws(GGUFError) -> GGUFArray {
        let v = try value(key)
        guard case let .array(a) = v else { throw .wrongType(key: key, expected: "array", actual: v.typeName) }
        return a
    }

    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        let a = try array(key)
        guard case let .string(s) = a else {
            throw .wrongType(key: key, expected: "array<string>", actual: "array<\(a.elementTypeName)>")
        }
        return s
    }

    /// int32 arrays as stored (token types); other integer element types are
    /// accepted when every element fits in `Int32`.
    public func int32Array(_ key: String) throws(GGUFError) -> [Int32] {
        let a = try array(key)
        if case let .int32(v) = a { return v }
        guard let ints = a.integers, ints.allSatisfy({ Int32(exactly: $0) != nil }) else {
            throw .wrongType(key: key, expected: "array<int32>", actual: "array<\(a.elementTypeName)>")
        }
        return ints.map { Int32($0) }
    }

    public func floatArray(_ key: String) throws(GGUFError) -> [Float] {
        let a = try array(key)
        switch a {
        case let .float32(v): return v
        case let .float64(v): return v.map { Float($0) }
        default: throw .wrongType(key: key, expected: "array<float32>", actual: "array<\(a.elementTypeName)>")
        }
    }

    public func optionalString(_ key: String) throws(GGUFError) -> String? {
        metadata[key] == nil ? nil : try string(key)
    }

    public func optionalInt(_ key: String) throws(GGUFError) -> Int? {
        metadata[key] == nil ? nil : try int(key)
    }

    public func optionalFloat(_ key: String) throws(GGUFError) -> Float? {
        metadata[key] == nil ? nil : try float(key)
    }

    public func optionalBool(_ key: String) throws(GGUFError) -> Bool? {
        metadata[key] == nil ? nil : try bool(key)
    }
}
