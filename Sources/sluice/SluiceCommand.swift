import ArgumentParser

struct SluiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "OpenAI-compatible inference gateway.",
        version: "0.1.0",
        subcommands: [GenerateCommand.self, BenchEngineCommand.self]
    )
}
