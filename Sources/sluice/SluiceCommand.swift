import ArgumentParser

@main
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "OpenAI-compatible inference gateway.",
        version: "0.1.0",
        // Add new subcommands here (one line each).
        subcommands: [
            ServeCommand.self,
            GenerateCommand.self,
            BenchEngineCommand.self,
            KeysCommand.self,
        ]
    )
}
