/// One entry of the GGUF tensor-info table, already validated: the type is
/// known, the first dimension is a whole number of blocks and the data lies
/// inside the file.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let type: GGMLType
    /// ggml order: `shape[0]` is the contiguous (row) dimension, so a matrix
    /// with `nOut` rows of `nIn` inputs has `shape == [nIn, nOut]`.
    public let shape: [Int]
    /// Offset of the data relative to the start of the data section.
    public let offset: Int
    public let byteCount: Int

    public var typeID: UInt32 { type.id }
}
