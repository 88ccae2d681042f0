import Testing
@testable import SluiceEngine

@Suite struct GGUFValueTypeTests {
    static let everyValue: [(String, GGUFValue)] = [
        ("u8", .uint8(200)), ("i8", .int8(-5)), ("u16", .uint16(60000)), ("i16", .int16(-30000)),
        ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)), ("f32", .float32(1.5)),
        ("b", .bool(true)), ("s", .string("héllo ✓")), ("u64", .uint64(1 << 60)), ("i64", .int64(-(1 << 60))),
        ("f64", .float64(-2.25)),
        ("a.u8", .array(.uint8([1, 2, 3]))), ("a.i8", .array(.int8([-1]))), ("a.u16", .array(.uint16([7]))),
        ("a.i16", .array(.int16([-7]))), ("a.u32", .array(.uint32([9, 10]))), ("a.i32", .array(.int32([-9, 3]))),
        ("a.f32", .array(.float32([0.5, -1]))), ("a.b", .array(.bool([true, false]))),
        ("a.s", .array(.string(["a", "", "ccc"]))), ("a.u64", .array(.uint64([1 << 40]))),
        ("a.i64", .array(.int64([-(1 << 40)]))), ("a.f64", .array(.float64([3.25]))),
        ("a.a", .array(.array([.int32([1, 2]), .string(["x"])]))), ("a.empty", .array(.uint8([]))),
    ]

    @Test func readsEveryValueTypeBackExactly() throws {
        var image = GGUFTestImage()
        image.metadata = Self.everyValue
        let file = try GGUFFile(bytes: image.bytes())
        #expect(file.version == 3)
        #expect(file.metadataKeys == Self.everyValue.map(\.0))
        for (key, value) in Self.everyValue {
            #expect(file.metadata[key] == value, "key \(key)")
        }
        #expect(file.tensors.isEmpty)
    }

    @Test func readsVersionTwo() throws {
        var image = GGUFTestImage()
        image.version = 2
        image.metadata = [("general.architecture", .string("llama"))]
        let file = try GGUFFile(bytes: image.bytes())
        #expect(file.version == 2)
        #expect(try file.string("general.architecture") == "llama")
    }

    @Test func typedAccessorsConvertAndReportWrongTypes() throws {
        var image = GGUFTestImage()
        image.metadata = Self.everyValue
        let file = try GGUFFile(bytes: image.bytes())
        #expect(try file.int("u32") == 4_000_000_000)
        #expect(try file.int("i8") == -5)
        #expect(try file.uint32("u16") == 60000)
        #expect(try file.float("f64") == -2.25)
        #expect(try file.bool("b"))
        #expect(try file.stringArray("a.s") == ["a", "", "ccc"])
        #expect(try file.int32Array("a.u32") == [9, 10])
        #expect(try file.floatArray("a.f32") == [0.5, -1])
        #expect(try file.optionalInt("absent") == nil)
        #expect(throws: GGUFError.missingKey("absent")) { try file.string("absent") }
        #expect(throws: GGUFError.wrongType(key: "s", expected: "integer", actual: "string")) { try file.int("s") }
        #expect(throws: GGUFError.wrongType(key: "i32", expected: "uint32", actual: "int32")) { try file.uint32("i32") }
        #expect(throws: GGUFError.wrongType(key: "a.u8", expected: "array<string>", actual: "array<uint8>")) {
            try file.stringArray("a.u8")
        }
    }

    @Test func locatesTensorDataAfterAlignedPadding() throws {
        var image = GGUFTestImage()
        image.alignment = 64
        image.metadata = [("general.alignment", .uint32(64))]
        image.addTensor("a", shape: [3], fill: 1)
        image.addTensor("b", shape: [32, 2], type: .q4_1, fill: 7)
        let file = try GGUFFile(bytes: image.bytes())
        #expect(file.alignment == 64)
        #expect(file.dataOffset % 64 == 0)
        let b = try #require(file.tensor(named: "b"))
        #expect(b.shape == [32, 2])
        #expect(b.type == .q4_1)
        #expect(b.offset == 64)
        #expect(b.byteCount == 40)
        let data = file.data(of: b)
        #expect(data.count == 40)
        #expect(data.allSatisfy { $0 == 7 })
        #expect(file.data(of: try #require(file.tensor(named: "a"))).allSatisfy { $0 == 1 })
        #expect(file.tensor(named: "c") == nil)
    }
}
