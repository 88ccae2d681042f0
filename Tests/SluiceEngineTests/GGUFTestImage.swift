@testable import SluiceEngine

/// Builds GGUF byte images by hand for tests: the writer side of the spec,
/// kept deliberately simple so malformations are easy to inject.
struct GGUFTestImage {
    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var metadata: [(key: String, value: GGUFValue)] = []
    var tensors: [Tensor] = []
    var alignment = 32
    /// Overrides for the header counts (nil = the real counts).
    var tensorCountOverride: UInt64?
    var kvCountOverride: UInt64?

    struct Tensor {
        var name: String
        var shape: [UInt64]
        var type: UInt32
        /// Offset inside the data section (nil = packed after the previous tensor).
        var offset: UInt64?
        var data: [UInt8]
    }

    mutating func addTensor(_ name: String, shape: [UInt64], type: GGMLType = .f32, fill: UInt8 = 0) {
        let elements = shape.reduce(1, *)
        let bytes = Int(elements) / type.blockSize * type.typeSize
        tensors.append(Tensor(name: name, shape: shape, type: type.id, offset: nil,
                              data: [UInt8](repeating: fill, count: bytes)))
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out += magic
        put(&out, version)
        put(&out, tensorCountOverride ?? UInt64(tensors.count))
        put(&out, kvCountOverride ?? UInt64(metadata.count))
        for (key, value) in metadata {
            putString(&out, key)
            putValue(&out, value)
        }
        var next: UInt64 = 0
        var offsets: [UInt64] = []
        for t in tensors {
            putString(&out, t.name)
            put(&out, UInt32(t.shape.count))
            for d in t.shape { put(&out, d) }
            put(&out, t.type)
            let offset = t.offset ?? next
            offsets.append(offset)
            put(&out, offset)
            next = (offset + UInt64(t.data.count) + UInt64(alignment) - 1) / UInt64(alignment) * UInt64(alignment)
        }
        guard !tensors.isEmpty else { return out }
        while out.count % alignment != 0 { out.append(0) }
        let dataStart = out.count
        // Offsets far past any real data (hostile-offset tests) get no bytes written.
        for (t, offset) in zip(tensors, offsets) where offset < 1 << 20 {
            let at = dataStart + Int(offset)
            if out.count < at + t.data.count { out += [UInt8](repeating: 0, count: at + t.data.count - out.count) }
            out.replaceSubrange(at..<(at + t.data.count), with: t.data)
        }
        return out
    }

    private func put<T: FixedWidthInteger>(_ out: inout [UInt8], _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { out += $0 }
    }

    private func putString(_ out: inout [UInt8], _ s: String) {
        put(&out, UInt64(s.utf8.count))
        out += Array(s.utf8)
    }

    static func typeID(_ v: GGUFValue) -> UInt32 {
        switch v {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }

    private func putValue(_ out: inout [UInt8], _ v: GGUFValue) {
        put(&out, Self.typeID(v))
        putPayload(&out, v)
    }

    private func putPayload(_ out: inout [UInt8], _ v: GGUFValue) {
        switch v {
        case let .uint8(x): put(&out, x)
        case let .int8(x): put(&out, x)
        case let .uint16(x): put(&out, x)
        case let .int16(x): put(&out, x)
        case let .uint32(x): put(&out, x)
        case let .int32(x): put(&out, x)
        case let .float32(x): put(&out, x.bitPattern)
        case let .bool(x): put(&out, UInt8(x ? 1 : 0))
        case let .string(s): putString(&out, s)
        case let .array(a): putArray(&out, a)
        case let .uint64(x): put(&out, x)
        case let .int64(x): put(&out, x)
        case let .float64(x): put(&out, x.bitPattern)
        }
    }

    private func putArray(_ out: inout [UInt8], _ a: GGUFArray) {
        func body<T>(_ type: UInt32, _ xs: [T], _ each: (inout [UInt8], T) -> Void) {
            put(&out, type)
            put(&out, UInt64(xs.count))
            for x in xs { each(&out, x) }
        }
        switch a {
        case let .uint8(xs): body(0, xs) { put(&$0, $1) }
        case let .int8(xs): body(1, xs) { put(&$0, $1) }
        case let .uint16(xs): body(2, xs) { put(&$0, $1) }
        case let .int16(xs): body(3, xs) { put(&$0, $1) }
        case let .uint32(xs): body(4, xs) { put(&$0, $1) }
        case let .int32(xs): body(5, xs) { put(&$0, $1) }
        case let .float32(xs): body(6, xs) { put(&$0, $1.bitPattern) }
        case let .bool(xs): body(7, xs) { put(&$0, UInt8($1 ? 1 : 0)) }
        case let .string(xs): body(8, xs) { putString(&$0, $1) }
        case let .array(xs): body(9, xs) { putArray(&$0, $1) }
        case let .uint64(xs): body(10, xs) { put(&$0, $1) }
        case let .int64(xs): body(11, xs) { put(&$0, $1) }
        case let .float64(xs): body(12, xs) { put(&$0, $1.bitPattern) }
        }
    }
}
