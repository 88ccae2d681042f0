import Testing
import SluiceTesting
@testable import SluiceGateway

@Suite struct ModelFileCheckTests {
    func makeHeader(magic: String = "GGUF", version: UInt32 = 3, tensors: UInt64 = 272, keys: UInt64 = 30) -> [UInt8] {
        func little<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        return Array(magic.utf8) + little(version) + little(tensors) + little(keys)
    }

    @Test func acceptsVersion2And3() throws {
        #expect(try ModelFileCheck.parse(header: makeHeader(version: 2), path: "m").version == 2)
        let check = try ModelFileCheck.parse(header: makeHeader(), path: "m")
        #expect(check == ModelFileCheck(version: 3, tensorCount: 272, metadataCount: 30))
    }

    @Test func rejectsBadMagicVersionsAndCounts() {
        #expect(throws: GatewayError.self) { try ModelFileCheck.parse(header: makeHeader(magic: "GGML"), path: "m") }
        #expect(throws: GatewayError.self) { try ModelFileCheck.parse(header: makeHeader(version: 1), path: "m") }
        #expect(throws: GatewayError.self) { try ModelFileCheck.parse(header: makeHeader(version: 4), path: "m") }
        #expect(throws: GatewayError.self) { try ModelFileCheck.parse(header: makeHeader(tensors: 0), path: "m") }
        #expect(throws: GatewayError.self) { try ModelFileCheck.parse(header: makeHeader(tensors: 1 << 40), path: "m") }
        #expect(throws: GatewayError.self) { try ModelFileCheck.parse(header: makeHeader(keys: .max), path: "m") }
        #expect(throws: GatewayError.self) { try ModelFileCheck.parse(header: Array(makeHeader().prefix(20)), path: "m") }
    }

    @Test func failsClearlyForMissingFile() {
        do {
            _ = try ModelFileCheck.check(path: "/nonexistent/model.gguf")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .modelUnreadable)
            #expect(error.message.contains("/nonexistent/model.gguf"))
        }
    }

    @Test func acceptsTheRealModel() throws {
        let check = try ModelFileCheck.check(path: try ModelFixture.requireDefaultModel())
        #expect(check.version == 3)
        #expect(check.tensorCount > 0)
    }

    @Test func derivesModelIDFromFileName() {
        #expect(ModelFileCheck.defaultModelID(path: "/a/b/SmolLM2-135M-Instruct.Q4_1.gguf") == "SmolLM2-135M-Instruct.Q4_1")
        #expect(ModelFileCheck.defaultModelID(path: "model.GGUF") == "model")
        #expect(ModelFileCheck.defaultModelID(path: "weights.bin") == "weights.bin")
    }
}
