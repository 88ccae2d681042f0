extension GGUFFile {
    /// Reads one value of GGUF type `type` (its id was at `at`).
    static func readValue(type: UInt32, at: Int, reader: inout GGUFByteReader, depth: Int,
                          key: String) throws(GGUFError) -> GGUFValue {
        switch type {
        case 0: return .uint8(try reader.read(UInt8.self, key))
        case 1: return .int8(try reader.read(Int8.self, key))
        case 2: return .uint16(try reader.read(UInt16.self, key))
        case 3: return .int16(try reader.read(Int16.self, key))
        case 4: return .uint32(try reader.read(UInt32.self, key))
        case 5: return .int32(try reader.read(Int32.self, key))
        case 6: return .float32(try reader.readFloat(key))
        case 7: return .bool(try readBool(&reader, key))
        case 8: return .string(try reader.readString(key))
        case 9: return .array(try readArray(reader: &reader, depth: depth + 1, key: key))
        case 10: return .uint64(try reader.read(UInt64.self, key))
        case 11: return .int64(try reader.read(Int64.self, key))
        case 12: return .float64(try reader.readDouble(key))
        default: throw .unknownValueType(offset: at, type: type)
        }
    }

    /// A bool is one byte that must be 0 or 1 (llama.cpp rejects other values too).
    private static func readBool(_ reader: inout GGUFByteReader, _ key: String) throws(GGUFError) -> Bool {
        let at = reader.offset
        let b = try reader.read(UInt8.self, key)
        guard b <= 1 else { throw .implausibleCount(offset: at, count: UInt64(b), what: "bool value of \(key)") }
        return b == 1
    }

    /// Array: `u32` element type, `u64` count, then the elements.
    static func readArray(reader: inout GGUFByteReader, depth: Int, key: String) throws(GGUFError) -> GGUFArray {
        let typeOffset = reader.offset
        guard depth <= maxArrayDepth else { throw .nestingTooDeep(offset: typeOffset) }
        let type = try reader.read(UInt32.self, "array type of \(key)")
        func ints<T: FixedWidthInteger>(_: T.Type) throws(GGUFError) -> [T] {
            let n = try reader.readCount(minItemBytes: MemoryLayout<T>.size, "array length of \(key)")
            var out = [T]()
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try reader.read(T.self, key)) }
            return out
        }
        switch type {
        case 0: return .uint8(try ints(UInt8.self))
        case 1: return .int8(try ints(Int8.self))
        case 2: return .uint16(try ints(UInt16.self))
        case 3: return .int16(try ints(Int16.self))
        case 4: return .uint32(try ints(UInt32.self))
        case 5: return .int32(try ints(Int32.self))
        case 6: return .float32(try ints(UInt32.self).map { Float(bitPattern: $0) })
        case 7:
            let raw = try ints(UInt8.self)
            guard raw.allSatisfy({ $0 <= 1 }) else {
                throw .implausibleCount(offset: typeOffset, count: 2, what: "bool array element of \(key)")
            }
            return .bool(raw.map { $0 == 1 })
        case 8:
            let n = try reader.readCount(minItemBytes: 8, "array length of \(key)")
            var out = [String]()
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try reader.readString(key)) }
            return .string(out)
        case 9:
            // Each inner array has at least a type (4) and a count (8).
            let n = try reader.readCount(minItemBytes: 12, "array length of \(key)")
            var out = [GGUFArray]()
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try readArray(reader: &reader, depth: depth + 1, key: key)) }
            return .array(out)
        case 10: return .uint64(try ints(UInt64.self))
        case 11: return .int64(try ints(Int64.self))
        case 12: return .float64(try ints(UInt64.self).map { Double(bitPattern: $0) })
        default: throw .unknownValueType(offset: typeOffset, type: type)
        }
    }
}
