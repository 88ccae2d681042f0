import Foundation

/// Locates the default model for tests that run it: `SLUICE_MODEL` if set,
/// otherwise `models/SmolLM2-135M-Instruct.Q4_1.gguf` in the repository root
/// (found by walking up from this source file). `make test` fetches it first.
public enum ModelFixture {
    public static let defaultFileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    public static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Sources/SluiceTesting/ModelFixture.swift
        return url
    }

    /// Path of the default model, or nil when it has not been fetched.
    public static var defaultModelPath: String? {
        if let env = ProcessInfo.processInfo.environment["SLUICE_MODEL"], !env.isEmpty {
            return FileManager.default.fileExists(atPath: env) ? env : nil
        }
        let path = repositoryRoot.appendingPathComponent("models/\(defaultFileName)").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The model path; tests that need the model fail loudly when it is missing
    /// (run `scripts/fetch-model.sh`), rather than silently skipping.
    public static func requireDefaultModel() throws -> String {
        guard let path = defaultModelPath else { throw MissingModel() }
        return path
    }

    public struct MissingModel: Error, CustomStringConvertible {
        public var description: String { "default model not found: run scripts/fetch-model.sh or set SLUICE_MODEL" }
    }
}
