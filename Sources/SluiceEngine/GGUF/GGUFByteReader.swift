/// A bounds-checked little-endian cursor over the file. Every read checks the
/// remaining length first, so a hostile length can never move it past the end.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }

    mutating func require(_ n: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard n >= 0, n <= remaining else { throw .truncated(offset: offset, needed: n, what: what()) }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try require(MemoryLayout<T>.size, what())
        let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// Reads a `u64` count and checks that `count` items of at least
    /// `minItemBytes` each fit in the rest of the file, so callers can allocate.
    mutating func readCount(minItemBytes: Int, _ what: @autoclosure () -> String) throws(GGUFError) -> Int {
        let at = offset
        let raw = try read(UInt64.self, what())
        guard raw <= UInt64(remaining / max(minItemBytes, 1)) else {
            throw .implausibleCount(offset: at, count: raw, what: what())
        }
        return Int(raw)
    }

    /// GGUF string: `u64` byte length then UTF-8 bytes, no terminator. Invalid
    /// UTF-8 is an error: real vocabularies are valid, and repairing binary
    /// garbage (a corrupted length) would silently shift everything after it.
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let at = offset
        let length = try readCount(minItemBytes: 1, what())
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        offset += length
        // ASCII is the common case and needs no validation pass.
        if !slice.contains(where: { $0 >= 0x80 }) { return String(decoding: slice, as: UTF8.self) }
        guard let s = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8(offset: at, what: what()) }
        return s
    }

    mutating func skip(to newOffset: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        try require(newOffset - offset, what())
        offset = newOffset
    }
}
