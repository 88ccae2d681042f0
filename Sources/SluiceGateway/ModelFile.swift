import SluiceEngine

/// Opens the served model with the engine's GGUF reader (the one GGUF parser
/// in the project) before the server listens, so a wrong path or a corrupt
/// file fails at startup with a message naming the file.
public enum ModelFile {
    public static func open(path: String) throws(GatewayError) -> GGUFFile {
        do {
            return try GGUFFile(path: path)
        } catch {
            throw GatewayError(.modelUnreadable, "cannot open model \(path): \(error)")
        }
    }

    /// The model id served for a file: its name without directory and `.gguf`.
    public static func defaultModelID(path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name.lowercased().hasSuffix(".gguf") { return String(name.dropLast(5)) }
        return name
    }
}
