import Foundation
import Testing
import SluiceTesting
@testable import SluiceGateway

@Suite struct ModelFileTests {
    func withTemporaryFile(_ bytes: [UInt8], _ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(UUID().uuidString).gguf").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    func header(magic: String = "GGUF", version: UInt32 = 3) -> [UInt8] {
        func little<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        return Array(magic.utf8) + little(version) + little(UInt64(0)) + little(UInt64(0))
    }

    func expectUnreadable(_ path: String) {
        do {
            _ = try ModelFile.open(path: path)
            Issue.record("expected \(path) to be refused")
        } catch {
            #expect(error.kind == .modelUnreadable)
            #expect(error.message.contains(path))
        }
    }

    @Test func opensTheRealModel() throws {
        let file = try ModelFile.open(path: try ModelFixture.requireDefaultModel())
        #expect(file.version == 3)
        #expect(!file.tensors.isEmpty)
    }

    @Test func refusesMissingFile() {
        expectUnreadable("/nonexistent/model.gguf")
    }

    @Test func refusesBadMagicVersionAndTruncation() throws {
        try withTemporaryFile(header(magic: "GGML")) { expectUnreadable($0) }
        try withTemporaryFile(header(version: 1)) { expectUnreadable($0) }
        try withTemporaryFile(header(version: 4)) { expectUnreadable($0) }
        try withTemporaryFile(Array(header().prefix(10))) { expectUnreadable($0) }
    }

    @Test func derivesModelIDFromFileName() {
        #expect(ModelFile.defaultModelID(path: "/a/b/SmolLM2-135M-Instruct.Q4_1.gguf") == "SmolLM2-135M-Instruct.Q4_1")
        #expect(ModelFile.defaultModelID(path: "model.GGUF") == "model")
        #expect(ModelFile.defaultModelID(path: "weights.bin") == "weights.bin")
    }
}
