import ArgumentParser
import Foundation
import Logging
import SluiceGateway

/// `sluice serve`: check the model, listen, serve until SIGINT/SIGTERM.
/// The options are not declared here: they are the rows of `GatewayConfiguration.settings`, which
/// parses them (`ServeArguments`), resolves flag > `SLUICE_*` env > JSON/YAML file > default through
/// swift-configuration, and writes the help below. ArgumentParser only routes `serve` to this command.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the OpenAI-compatible API.",
        usage: "sluice serve --model <path> [--<option> <value> ...]",
        discussion: GatewayConfiguration.serveHelp
    )

    /// Everything after `serve`, unparsed: the settings table reads it.
    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp(visibility: .hidden))
    var arguments: [String] = []

    public init() {}

    public func run() async throws {
        try await serve(extraRoutes: { _ in [] })
    }

    /// Serves until SIGINT/SIGTERM. `extraRoutes` adds routes built from the resolved
    /// configuration (behind the same access control); only `sluice-test-server` passes any.
    public func serve(extraRoutes: (GatewayConfiguration) -> [GatewayRoute]) async throws {
        let gateway: Gateway
        let port: Int
        let configuration: GatewayConfiguration
        let inference: InferenceRoutes
        var accessControl: AccessControl?
        if ServeArguments.wantsHelp(arguments) {
            print(Self.helpMessage())
            return
        }
        do throws(GatewayError) {
            configuration = try GatewayConfiguration.resolve(arguments: arguments, environment: ProcessInfo.processInfo.environment)
            let format = configuration.logFormat
            let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = SluiceLogHandler(label: label, format: format)
                handler.logLevel = level
                return handler
            }
            let access = try AccessControl.open(configuration.access, logger: Logger(label: "sluice.keys"))
            accessControl = access
            // One registry: the engine's, the HTTP server's and the process's series on one /metrics.
            let metrics = GatewayMetrics()
            inference = try InferenceServer.start(configuration: configuration, metrics: metrics)
            gateway = try Gateway(configuration: configuration, logger: Logger(label: "sluice.access"),
                                  created: Int(Date().timeIntervalSince1970), routes: inference.all + extraRoutes(configuration),
                                  access: access, metrics: metrics)
            port = try gateway.start()
        } catch {
            FileHandle.standardError.write(Data("sluice: error: \(error.message)\n".utf8))
            throw ExitCode.failure
        }
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let lifecycle = ServeLifecycle(gateway: gateway, engine: inference.service, access: accessControl)
        let outcome = await lifecycle.run {
            // Unbuffered write: tests wait for this line on a pipe.
            FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
        switch outcome {
        case .graceful: return
        case .forced(let signal): throw ExitCode(128 + signal)  // the shell's code for "killed by signal"
        case .failed: throw ExitCode.failure
        }
    }
}
