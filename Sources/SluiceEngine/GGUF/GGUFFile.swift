/// A parsed GGUF file (spec: ggml/docs/gguf.md, versions 2 and 3).
///
/// Layout: magic `GGUF`, `u32` version, `u64` tensor count, `u64` metadata
/// count, the metadata key/values, the tensor-info table, padding to
/// `general.alignment` (default 32), then the tensor data. Everything is
/// little-endian. The file is memory-mapped; `data(of:)` returns views into
/// the mapping, valid as long as this object lives.
public final class GGUFFile: Sendable {
    public static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS.
    public static let maxDimensions = 4
    /// Deepest array-of-array nesting accepted (real files use 1).
    static let maxArrayDepth = 4

    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order (dictionary order is unspecified).
    public let metadataKeys: [String]
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Absolute file offset of the data section.
    public let dataOffset: Int
    public var fileSize: Int { storage.bytes.count }

    let storage: GGUFStorage
    private let tensorIndex: [String: Int]

    /// Maps and parses the file at `path`.
    public convenience init(path: String) throws(GGUFError) {
        try self.init(storage: GGUFStorage.map(path: path))
    }

    /// Parses an in-memory image (copied).
    public convenience init(bytes: [UInt8]) throws(GGUFError) {
        try self.init(storage: GGUFStorage.copy(bytes))
    }

    /// Parses bytes the caller keeps alive and unchanged for this object's lifetime
    /// (used by tests to parse thousands of mutated images without copying).
    convenience init(borrowing bytes: UnsafeRawBufferPointer) throws(GGUFError) {
        try self.init(storage: GGUFStorage.borrow(bytes))
    }

    private init(storage: GGUFStorage) throws(GGUFError) {
        self.storage = storage
        var reader = GGUFByteReader(storage.bytes)

        let magic = try reader.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else { throw .badMagic }  // "GGUF" read as little-endian u32
        version = try reader.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }

        // Minimum sizes per entry bound the counts: a key/value needs at least a
        // string length (8), a value type (4) and one byte of value; a tensor info
        // needs a name length (8), n_dims (4), one dim (8), type (4) and offset (8).
        let tensorCount = try reader.readCount(minItemBytes: 32, "tensor count")
        let kvCount = try reader.readCount(minItemBytes: 13, "metadata count")

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        keys.reserveCapacity(kvCount)
        for _ in 0..<kvCount {
            let key = try reader.readString("metadata key")
            let typeOffset = reader.offset
            let type = try reader.read(UInt32.self, "value type of \(key)")
            let value = try Self.readValue(type: type, at: typeOffset, reader: &reader, depth: 0, key: key)
            guard metadata.updateValue(value, forKey: key) == nil else { throw .duplicateKey(key) }
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys

        var alignment = Self.defaultAlignment
        if let value = metadata["general.alignment"] {
            guard let a = value.integer, a > 0, a & (a - 1) == 0, a <= 1 << 20 else {
                let raw: UInt64 = value.integer.map { UInt64(bitPattern: Int64($0)) } ?? 0
                throw .invalidAlignment(raw)
            }
            alignment = a
        }
        self.alignment = alignment

        var rawInfos: [(name: String, shape: [Int], type: GGMLType, offset: Int)] = []
        rawInfos.reserveCapacity(tensorCount)
        var index: [String: Int] = [:]
        for i in 0..<tensorCount {
            let name = try reader.readString("tensor \(i) name")
            guard !name.isEmpty else { throw .invalidTensor(name: "#\(i)", reason: "empty name") }
            let nDims = try reader.read(UInt32.self, "tensor \(name) n_dims")
            guard nDims >= 1, nDims <= UInt32(Self.maxDimensions) else {
                throw .invalidTensor(name: name, reason: "\(nDims) dimensions (1...\(Self.maxDimensions) allowed)")
            }
            var shape: [Int] = []
            for _ in 0..<Int(nDims) {
                let d = try reader.read(UInt64.self, "tensor \(name) dimension")
                // Each dimension must be positive and fit comfortably: 2^40 elements
                // per dimension is far beyond any model and keeps products checkable.
                guard d >= 1, d <= 1 << 40 else {
                    throw .invalidTensor(name: name, reason: "dimension \(d) out of range")
                }
                shape.append(Int(d))
            }
            let typeID = try reader.read(UInt32.self, "tensor \(name) type")
            guard let type = GGMLType.byID(typeID) else { throw .unknownTensorType(name: name, type: typeID) }
            let offset = try reader.read(UInt64.self, "tensor \(name) offset")
            guard offset <= UInt64(Int.max / 2) else {
                throw .invalidTensor(name: name, reason: "offset \(offset) out of range")
            }
            guard index.updateValue(i, forKey: name) == nil else { throw .duplicateTensor(name) }
            rawInfos.append((name, shape, type, Int(offset)))
        }
        tensorIndex = index

        // The data section starts at the next multiple of the alignment (it may be
        // empty, e.g. a vocabulary-only file, so only require what tensors need).
        let (padded, overflow) = reader.offset.addingReportingOverflow(alignment - 1)
        guard !overflow else { throw .truncated(offset: reader.offset, needed: alignment, what: "padding") }
        dataOffset = padded / alignment * alignment
        let dataSize = max(0, storage.bytes.count - dataOffset)

        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(rawInfos.count)
        for raw in rawInfos {
            let byteCount = try Self.byteCount(name: raw.name, shape: raw.shape, type: raw.type)
            guard raw.offset % alignment == 0 else {
                throw .invalidTensor(name: raw.name, reason: "offset \(raw.offset) not a multiple of \(alignment)")
            }
            guard raw.offset <= dataSize, byteCount <= dataSize - raw.offset else {
                throw .invalidTensor(name: raw.name,
                                     reason: "data [\(raw.offset), +\(byteCount)) beyond end of file (data section \(dataSize) bytes)")
            }
            infos.append(GGUFTensorInfo(name: raw.name, type: raw.type, shape: raw.shape,
                                        offset: raw.offset, byteCount: byteCount))
        }
        // No two tensors may share bytes: a hostile file could alias weights.
        let byOffset = infos.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw .invalidTensor(name: b.name, reason: "data overlaps tensor \(a.name)")
        }
        tensors = infos
    }

    /// Bytes of a tensor: rows of `shape[0]` elements must be whole blocks.
    static func byteCount(name: String, shape: [Int], type: GGMLType) throws(GGUFError) -> Int {
        guard shape[0] % type.blockSize == 0 else {
            throw .invalidTensor(name: name,
                                 reason: "row length \(shape[0]) not a multiple of \(type.name) block size \(type.blockSize)")
        }
        var rows = 1
        for d in shape.dropFirst() {
            let (p, o) = rows.multipliedReportingOverflow(by: d)
            guard !o else { throw .invalidTensor(name: name, reason: "element count overflows") }
            rows = p
        }
        let (rowBytes, o1) = (shape[0] / type.blockSize).multipliedReportingOverflow(by: type.typeSize)
        let (total, o2) = rowBytes.multipliedReportingOverflow(by: rows)
        guard !o1, !o2 else { throw .invalidTensor(name: name, reason: "byte size overflows") }
        return total
    }

    // MARK: Tensors

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The bytes of `tensor` (validated at parse time to lie inside the file).
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataOffset + tensor.offset
        return UnsafeRawBufferPointer(rebasing: storage.bytes[start..<(start + tensor.byteCount)])
    }

    /// The whole mapped file, e.g. to advise the kernel about access patterns.
    public var rawBytes: UnsafeRawBufferPointer { storage.bytes }
}
