import Glibc

/// A quick look at a GGUF file's fixed header before the server listens, so
/// a wrong path or a non-GGUF file fails at startup with a clear message.
/// (GGUF spec, "File Structure": magic "GGUF", uint32 version, uint64
/// tensor_count, uint64 metadata_kv_count, all little-endian.)
///
/// This is a stand-in until the engine's GGUF reader is merged; then the
/// gateway opens the model with that reader instead.
public struct ModelFileCheck: Sendable, Hashable {
    public var version: UInt32
    public var tensorCount: UInt64
    public var metadataCount: UInt64

    /// Sanity bounds: no real model has this many tensors or keys; a count
    /// past them means a corrupt or hostile header.
    static let maxTensorCount: UInt64 = 1 << 20
    static let maxMetadataCount: UInt64 = 1 << 20

    public static func check(path: String) throws(GatewayError) -> ModelFileCheck {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw GatewayError(.modelUnreadable, "cannot open model \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 24)
        let count = header.withUnsafeMutableBytes { read(fd, $0.baseAddress, 24) }
        guard count >= 0 else {
            throw GatewayError(.modelUnreadable, "cannot read model \(path): \(String(cString: strerror(errno)))")
        }
        return try parse(header: Array(header[0..<count]), path: path)
    }

    /// Checks the first 24 bytes of a GGUF file.
    public static func parse(header: [UInt8], path: String) throws(GatewayError) -> ModelFileCheck {
        guard header.count >= 24 else { throw GatewayError(.modelUnreadable, "model \(path) is too short to be a GGUF file") }
        guard header[0..<4].elementsEqual("GGUF".utf8) else {
            throw GatewayError(.modelUnreadable, "model \(path) is not a GGUF file (bad magic)")
        }
        func little(_ offset: Int, _ width: Int) -> UInt64 {
            (0..<width).reduce(UInt64(0)) { $0 | UInt64(header[offset + $1]) << (8 * UInt64($1)) }
        }
        let version = UInt32(little(4, 4))
        guard version == 2 || version == 3 else {
            throw GatewayError(.modelUnreadable, "model \(path) has unsupported GGUF version \(version) (need 2 or 3)")
        }
        let tensors = little(8, 8)
        let metadata = little(16, 8)
        guard tensors > 0, tensors <= maxTensorCount, metadata <= maxMetadataCount else {
            throw GatewayError(.modelUnreadable, "model \(path) has an implausible GGUF header (\(tensors) tensors, \(metadata) metadata keys)")
        }
        return ModelFileCheck(version: version, tensorCount: tensors, metadataCount: metadata)
    }

    /// The model id served for a file: its name without directory and `.gguf`.
    public static func defaultModelID(path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name.lowercased().hasSuffix(".gguf") { return String(name.dropLast(5)) }
        return name
    }
}
