/// Tensor element types as numbered in GGUF (ggml.h `enum ggml_type`), with
/// their block layout: `blockSize` elements are stored in `typeSize` bytes.
/// Only the layout is needed to validate a file; whether a type can be
/// computed with is the kernels' business (`ck_type_supported`).
public struct GGMLType: Sendable, Hashable, CustomStringConvertible {
    public let id: UInt32
    public let name: String
    public let blockSize: Int
    public let typeSize: Int

    public static let f32 = GGMLType(id: 0, name: "F32", blockSize: 1, typeSize: 4)
    public static let f16 = GGMLType(id: 1, name: "F16", blockSize: 1, typeSize: 2)
    public static let q4_0 = GGMLType(id: 2, name: "Q4_0", blockSize: 32, typeSize: 18)
    public static let q4_1 = GGMLType(id: 3, name: "Q4_1", blockSize: 32, typeSize: 20)
    public static let q5_0 = GGMLType(id: 6, name: "Q5_0", blockSize: 32, typeSize: 22)
    public static let q5_1 = GGMLType(id: 7, name: "Q5_1", blockSize: 32, typeSize: 24)
    public static let q8_0 = GGMLType(id: 8, name: "Q8_0", blockSize: 32, typeSize: 34)
    public static let q8_1 = GGMLType(id: 9, name: "Q8_1", blockSize: 32, typeSize: 36)
    public static let q2_K = GGMLType(id: 10, name: "Q2_K", blockSize: 256, typeSize: 84)
    public static let q3_K = GGMLType(id: 11, name: "Q3_K", blockSize: 256, typeSize: 110)
    public static let q4_K = GGMLType(id: 12, name: "Q4_K", blockSize: 256, typeSize: 144)
    public static let q5_K = GGMLType(id: 13, name: "Q5_K", blockSize: 256, typeSize: 176)
    public static let q6_K = GGMLType(id: 14, name: "Q6_K", blockSize: 256, typeSize: 210)
    public static let q8_K = GGMLType(id: 15, name: "Q8_K", blockSize: 256, typeSize: 292)
    public static let i8 = GGMLType(id: 24, name: "I8", blockSize: 1, typeSize: 1)
    public static let i16 = GGMLType(id: 25, name: "I16", blockSize: 1, typeSize: 2)
    public static let i32 = GGMLType(id: 26, name: "I32", blockSize: 1, typeSize: 4)
    public static let i64 = GGMLType(id: 27, name: "I64", blockSize: 1, typeSize: 8)
    public static let f64 = GGMLType(id: 28, name: "F64", blockSize: 1, typeSize: 8)
    public static let bf16 = GGMLType(id: 30, name: "BF16", blockSize: 1, typeSize: 2)

    public static let all: [GGMLType] = [
        .f32, .f16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
        .i8, .i16, .i32, .i64, .f64, .bf16,
    ]

    /// The type with this GGUF id, or nil for ids this reader does not know.
    public static func byID(_ id: UInt32) -> GGMLType? {
        all.first { $0.id == id }
    }

    public var description: String { name }
}
