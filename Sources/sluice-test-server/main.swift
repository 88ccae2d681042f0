// `sluice serve` plus the test-only routes (`SluiceTestRoutes`), for the live tests that need an
// admitted request to hold its lease. Takes the same arguments as `sluice`, starting with `serve`;
// built by `make test`, never shipped.
import SluiceCLI
import SluiceGateway
import SluiceTestRoutes

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "serve" { arguments.removeFirst() }
do {
    let command = try ServeCommand.parse(arguments)
    try await command.serve { configuration in AccessTestRoutes.all(modelID: configuration.servedModelID) }
} catch {
    ServeCommand.exit(withError: error)
}
