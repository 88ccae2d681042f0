import Testing
@testable import SluiceEngine

/// Each specific malformation gives its own, named error.
@Suite struct GGUFMalformedFileTests {
    private func parse(_ image: GGUFTestImage) throws(GGUFError) -> GGUFFile {
        try GGUFFile(bytes: image.bytes())
    }

    private func validImage() -> GGUFTestImage {
        var image = GGUFTestImage()
        image.metadata = [("general.architecture", .string("llama")), ("n", .uint32(3))]
        image.addTensor("w", shape: [32, 2], type: .q8_0)
        return image
    }

    @Test func acceptsTheValidBaseImage() throws {
        let file = try parse(validImage())
        #expect(file.tensors.count == 1)
    }

    @Test func rejectsBadMagic() {
        var image = validImage()
        image.magic = Array("GGML".utf8)
        #expect(throws: GGUFError.badMagic) { try parse(image) }
    }

    @Test func rejectsVersionOneAndFutureVersions() {
        for v: UInt32 in [0, 1, 4, 0xFFFF_FFFF] {
            var image = validImage()
            image.version = v
            #expect(throws: GGUFError.unsupportedVersion(v)) { try parse(image) }
        }
    }

    @Test func rejectsEmptyAndTinyFiles() {
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: []) }
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: Array("GGUF".utf8)) }
    }

    @Test func rejectsCountsLargerThanTheFile() {
        var image = validImage()
        image.kvCountOverride = 1 << 40
        let e1 = #expect(throws: GGUFError.self) { try parse(image) }
        guard case .implausibleCount(_, 1 << 40, "metadata count") = e1 else {
            Issue.record("got \(String(describing: e1))")
            return
        }
        image = validImage()
        image.tensorCountOverride = UInt64.max
        let e2 = #expect(throws: GGUFError.self) { try parse(image) }
        guard case .implausibleCount(_, UInt64.max, "tensor count") = e2 else {
            Issue.record("got \(String(describing: e2))")
            return
        }
    }

    @Test func rejectsAKeyCountThatRunsPastTheLastKey() {
        var image = validImage()
        image.tensors = []
        image.kvCountOverride = 3
        let e = #expect(throws: GGUFError.self) { try parse(image) }
        guard case .truncated = e else {
            Issue.record("got \(String(describing: e))")
            return
        }
    }

    @Test func rejectsStringLengthPastEndOfFile() {
        var bytes = validImage().bytes()
        // The first key's length field sits right after the 24-byte header.
        withUnsafeBytes(of: UInt64(1 << 50).littleEndian) { bytes.replaceSubrange(24..<32, with: $0) }
        let e = #expect(throws: GGUFError.self) { try GGUFFile(bytes: bytes) }
        guard case .implausibleCount(24, 1 << 50, "metadata key") = e else {
            Issue.record("got \(String(describing: e))")
            return
        }
    }

    @Test func rejectsArrayLengthPastEndOfFile() {
        var image = GGUFTestImage()
        image.metadata = [("tokens", .array(.uint32([1, 2, 3])))]
        var bytes = image.bytes()
        // header 24 + key (8 + 6) + value type 4 + array type 4 = 46: the array count.
        withUnsafeBytes(of: UInt64(1 << 61).littleEndian) { bytes.replaceSubrange(46..<54, with: $0) }
        let e = #expect(throws: GGUFError.self) { try GGUFFile(bytes: bytes) }
        guard case .implausibleCount(46, 1 << 61, _) = e else {
            Issue.record("got \(String(describing: e))")
            return
        }
    }

    @Test func rejectsUnknownValueType() {
        var bytes = validImage().bytes()
        // header 24 + key "general.architecture" (8 + 20) = 52: its value type.
        withUnsafeBytes(of: UInt32(13).littleEndian) { bytes.replaceSubrange(52..<56, with: $0) }
        #expect(throws: GGUFError.unknownValueType(offset: 52, type: 13)) { try GGUFFile(bytes: bytes) }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        var image = GGUFTestImage()
        image.metadata = [("name", .string("abc"))]
        var bytes = image.bytes()
        bytes[bytes.count - 2] = 0xFF
        #expect(throws: GGUFError.invalidUTF8(offset: 40, what: "name")) { try GGUFFile(bytes: bytes) }
    }

    @Test func rejectsBoolOtherThanZeroOrOne() {
        var image = GGUFTestImage()
        image.metadata = [("flag", .bool(true))]
        var bytes = image.bytes()
        bytes[bytes.count - 1] = 2
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: bytes) }
    }

    @Test func rejectsArraysNestedTooDeeply() {
        var nested = GGUFArray.uint8([1])
        for _ in 0..<8 { nested = .array([nested]) }
        var image = GGUFTestImage()
        image.metadata = [("deep", .array(nested))]
        let e = #expect(throws: GGUFError.self) { try parse(image) }
        guard case .nestingTooDeep = e else {
            Issue.record("got \(String(describing: e))")
            return
        }
    }

    @Test func rejectsDuplicateKeysAndTensors() {
        var image = validImage()
        image.metadata.append(("n", .uint32(4)))
        #expect(throws: GGUFError.duplicateKey("n")) { try parse(image) }
        image = validImage()
        image.addTensor("w", shape: [32, 2], type: .q8_0)
        #expect(throws: GGUFError.duplicateTensor("w")) { try parse(image) }
    }

    @Test func rejectsAlignmentThatIsNotAPowerOfTwo() {
        for a: UInt32 in [0, 3, 48] {
            var image = validImage()
            image.metadata.append(("general.alignment", .uint32(a)))
            #expect(throws: GGUFError.invalidAlignment(UInt64(a))) { try parse(image) }
        }
    }

    @Test func rejectsUnknownTensorType() {
        var image = validImage()
        image.tensors[0].type = 99
        #expect(throws: GGUFError.unknownTensorType(name: "w", type: 99)) { try parse(image) }
    }

    @Test func rejectsBadDimensions() {
        for shape: [UInt64] in [[], [1, 1, 1, 1, 1], [32, 0], [32, 1 << 62]] {
            var image = validImage()
            image.tensors[0].shape = shape
            let e = #expect(throws: GGUFError.self, "shape \(shape)") { try parse(image) }
            guard case .invalidTensor(name: "w", _) = e else {
                Issue.record("shape \(shape): got \(String(describing: e))")
                continue
            }
        }
    }

    @Test func rejectsRowNotAWholeNumberOfBlocks() {
        var image = validImage()
        image.tensors[0].shape = [33, 2]
        let e = #expect(throws: GGUFError.self) { try parse(image) }
        guard case let .invalidTensor(name: "w", reason) = e, reason.contains("block size") else {
            Issue.record("got \(String(describing: e))")
            return
        }
    }

    @Test func rejectsElementCountOverflow() {
        var image = validImage()
        image.tensors[0].type = GGMLType.f32.id
        image.tensors[0].shape = [1 << 40, 1 << 40, 1 << 40]
        let e = #expect(throws: GGUFError.self) { try parse(image) }
        guard case let .invalidTensor(name: "w", reason) = e, reason.contains("overflow") else {
            Issue.record("got \(String(describing: e))")
            return
        }
    }

    @Test func rejectsMisalignedTensorOffset() {
        var image = validImage()
        image.tensors[0].offset = 4
        let e = #expect(throws: GGUFError.self) { try parse(image) }
        guard case let .invalidTensor(name: "w", reason) = e, reason.contains("multiple") else {
            Issue.record("got \(String(describing: e))")
            return
        }
    }

    @Test func rejectsTensorDataPastEndOfFile() {
        var bytes = validImage().bytes()
        bytes.removeLast(1)
        let e = #expect(throws: GGUFError.self) { try GGUFFile(bytes: bytes) }
        guard case let .invalidTensor(name: "w", reason) = e, reason.contains("beyond end") else {
            Issue.record("got \(String(describing: e))")
            return
        }
        var image = validImage()
        image.tensors[0].offset = 1 << 60
        #expect(throws: GGUFError.self) { try parse(image) }
    }

    @Test func rejectsOverlappingTensors() {
        var image = validImage()
        image.addTensor("v", shape: [32, 2], type: .q8_0)
        image.tensors[1].offset = 32  // w occupies [0, 68)
        let e = #expect(throws: GGUFError.self) { try parse(image) }
        guard case let .invalidTensor(name: "v", reason) = e, reason.contains("overlaps") else {
            Issue.record("got \(String(describing: e))")
            return
        }
    }

    @Test func rejectsEveryTruncationOfASmallImage() throws {
        let bytes = validImage().bytes()
        _ = try GGUFFile(bytes: bytes)
        for n in 0..<bytes.count {
            #expect(throws: GGUFError.self, "truncated to \(n)") { try GGUFFile(bytes: Array(bytes[0..<n])) }
        }
    }

    @Test func reportsUnreadableFiles() {
        let e = #expect(throws: GGUFError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
        guard case .io(path: "/nonexistent/model.gguf", _) = e else {
            Issue.record("got \(String(describing: e))")
            return
        }
        #expect(throws: GGUFError.self) { try GGUFFile(path: "/") }
    }
}
