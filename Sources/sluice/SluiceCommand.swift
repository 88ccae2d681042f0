import ArgumentParser

/// The `sluice` command tree. Its `main` runs in `Sources/SluiceMain`; this module is a library so
/// that `sluice-test-server` can run the same `serve` with test-only routes added.
public struct SluiceCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "OpenAI-compatible inference gateway.",
        version: "0.1.0",
        // Add new subcommands here (one line each).
        subcommands: [
            ServeCommand.self,
            GenerateCommand.self,
            BenchEngineCommand.self,
            BenchGrammarCommand.self,
            KeysCommand.self,
        ]
    )

    public init() {}
}
