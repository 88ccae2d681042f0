import ArgumentParser
import Foundation
import SluiceGateway

/// `sluice keys …`: the admin API from the command line, against a running gateway (`--url`) or
/// the store directly (`--redis URL --key-pepper P`, or `--data-dir DIR` while no server uses it).
/// Every subcommand prints the JSON answer; an error answer goes to stderr and the exit status is 1.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage API keys of a running gateway (the admin API).",
        discussion: """
        Against a server: --url (or SLUICE_URL) and --admin-key (or SLUICE_ADMIN_KEY). Against the store directly: \
        --redis URL with --key-pepper (or SLUICE_KEY_PEPPER), or --data-dir DIR for the in-memory store's key file \
        (only while no server uses that directory: a running server would not see the change and would overwrite it).
        """,
        subcommands: [Create.self, List.self, Show.self, Update.self, Revoke.self, Rotate.self, Usage.self])
}

struct KeysConnection: ParsableArguments {
    @Option(help: "Gateway base URL (plain http; default SLUICE_URL or http://127.0.0.1:8080).")
    var url: String?
    @Option(help: "Admin key (default SLUICE_ADMIN_KEY).")
    var adminKey: String?
    @Option(help: "Use this Redis directly instead of a server: redis://[:password@]host:port[/db].")
    var redis: String?
    @Option(help: "Key pepper for --redis (default SLUICE_KEY_PEPPER); must be the servers' pepper.")
    var keyPepper: String?
    @Option(help: "Use the in-memory store's data directory directly (no server may be using it).")
    var dataDir: String?

    func call(_ method: String, _ path: String, body: [String: Any]? = nil) async throws {
        let environment = ProcessInfo.processInfo.environment
        if redis != nil || dataDir != nil {
            try await callStore(method, path, body: body, environment: environment)
            return
        }
        let base = url ?? environment["SLUICE_URL"] ?? "http://127.0.0.1:8080"
        let key = adminKey ?? environment["SLUICE_ADMIN_KEY"]
        let client: KeysHTTPClient
        let response: KeysHTTPClient.Response
        do {
            client = try KeysHTTPClient(url: base)
            let data = try body.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
            response = try client.send(method: method, path: path, bearer: key, body: data)
        } catch {
            FileHandle.standardError.write(Data("sluice keys: \(error)\n".utf8))
            throw ExitCode.failure
        }
        try Self.print(status: response.status, body: response.body)
    }

    func callStore(_ method: String, _ path: String, body: [String: Any]?, environment: [String: String]) async throws {
        var configuration = AccessConfiguration()
        let dispatch: AdminLocalDispatch
        let data: Data?
        do {
            if let redis {
                configuration.redis = try RedisURL.parse(redis)
                guard let pepper = keyPepper ?? environment["SLUICE_KEY_PEPPER"], pepper.utf8.count >= 16 else {
                    throw ValidationError("--redis needs --key-pepper (or SLUICE_KEY_PEPPER), at least 16 bytes")
                }
                configuration.keyPepper = pepper
            } else {
                configuration.dataDirectory = dataDir
                configuration.keyPepper = keyPepper ?? environment["SLUICE_KEY_PEPPER"]
            }
            dispatch = try AdminLocalDispatch(configuration: configuration)
            data = try body.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
        } catch let error as GatewayError {
            FileHandle.standardError.write(Data("sluice keys: \(error.message)\n".utf8))
            throw ExitCode.failure
        }
        let answer = await dispatch.call(method: method, target: path, body: data.map { [UInt8]($0) } ?? [])
        dispatch.shutdown()
        try Self.print(status: answer.status, body: Data(answer.body))
    }

    static func print(status: Int, body: Data) throws {
        var text = body
        text.append(contentsOf: [0x0A])
        if (200..<300).contains(status) {
            FileHandle.standardOutput.write(text)
        } else {
            FileHandle.standardError.write(Data("sluice keys: HTTP \(status)\n".utf8))
            FileHandle.standardError.write(text)
            throw ExitCode.failure
        }
    }
}

/// Fields shared by create and update.
struct KeyFieldOptions: ParsableArguments {
    @Option(help: "Name of the key.")
    var name: String?
    @Option(name: .customLong("model"), help: "A model the key may use (repeat; none: every model).")
    var models: [String] = []
    @Option(help: "Requests per minute.")
    var rpm: Int?
    @Option(help: "Tokens per minute (prompt + completion).")
    var tpm: Int?
    @Option(help: "Requests in flight at once.")
    var maxConcurrent: Int?
    @Option(help: "Token budget per period (with --budget-period).")
    var budgetTokens: Int?
    @Option(help: "Budget period: day or month (default day).")
    var budgetPeriod: String?
    @Option(help: "Expiry as Unix seconds.")
    var expiresAt: Int?
    @Option(name: .customLong("metadata"), help: "key=value metadata (repeat).")
    var metadata: [String] = []

    func fields() throws -> [String: Any] {
        var body: [String: Any] = [:]
        if let name { body["name"] = name }
        if !models.isEmpty { body["allowed_models"] = models }
        if let rpm { body["rpm"] = rpm }
        if let tpm { body["tpm"] = tpm }
        if let maxConcurrent { body["max_concurrent"] = maxConcurrent }
        if let budgetTokens { body["token_budget"] = ["tokens": budgetTokens, "period": budgetPeriod ?? "day"] }
        if let expiresAt { body["expires_at"] = expiresAt }
        if !metadata.isEmpty {
            var map: [String: String] = [:]
            for pair in metadata {
                guard let equals = pair.firstIndex(of: "=") else { throw ValidationError("--metadata must be key=value, got \(pair)") }
                map[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            body["metadata"] = map
        }
        return body
    }
}

extension KeysCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; prints it once, with its secret.")
        @OptionGroup var connection: KeysConnection
        @OptionGroup var fields: KeyFieldOptions

        func run() async throws {
            var body = try fields.fields()
            if body["name"] == nil { body["name"] = "key" }
            try await connection.call("POST", "/v1/admin/keys", body: body)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every key (revoked ones included).")
        @OptionGroup var connection: KeysConnection
        func run() async throws { try await connection.call("GET", "/v1/admin/keys") }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one key.")
        @OptionGroup var connection: KeysConnection
        @Argument(help: "Key id.") var id: String
        func run() async throws { try await connection.call("GET", "/v1/admin/keys/\(try KeysCommand.checked(id))") }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change fields of a key.")
        @OptionGroup var connection: KeysConnection
        @OptionGroup var fields: KeyFieldOptions
        @Option(help: "Remove a limit: rpm, tpm, max_concurrent, token_budget or expires_at (repeat).")
        var clear: [String] = []
        @Argument(help: "Key id.") var id: String

        func run() async throws {
            var body = try fields.fields()
            for field in clear {
                guard ["rpm", "tpm", "max_concurrent", "token_budget", "expires_at"].contains(field) else {
                    throw ValidationError("--clear takes rpm, tpm, max_concurrent, token_budget or expires_at")
                }
                body[field] = NSNull()
            }
            try await connection.call("PATCH", "/v1/admin/keys/\(try KeysCommand.checked(id))", body: body)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key (every replica refuses it within a second).")
        @OptionGroup var connection: KeysConnection
        @Argument(help: "Key id.") var id: String
        func run() async throws { try await connection.call("DELETE", "/v1/admin/keys/\(try KeysCommand.checked(id))") }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a new secret; prints it once.")
        @OptionGroup var connection: KeysConnection
        @Option(help: "Seconds the old secret keeps working (default 0).") var graceSeconds: Int = 0
        @Argument(help: "Key id.") var id: String
        func run() async throws {
            try await connection.call("POST", "/v1/admin/keys/\(try KeysCommand.checked(id))/rotate",
                                body: ["grace_period_seconds": graceSeconds])
        }
    }

    struct Usage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Requests and tokens per UTC day.")
        @OptionGroup var connection: KeysConnection
        @Option(help: "First day, YYYY-MM-DD (default: 29 days before --end).") var start: String?
        @Option(help: "Last day, YYYY-MM-DD (default: today).") var end: String?
        @Argument(help: "Key id.") var id: String
        func run() async throws {
            var query: [String] = []
            if let start { query.append("start=\(try KeysCommand.checkedDay(start))") }
            if let end { query.append("end=\(try KeysCommand.checkedDay(end))") }
            let suffix = query.isEmpty ? "" : "?" + query.joined(separator: "&")
            try await connection.call("GET", "/v1/admin/keys/\(try KeysCommand.checked(id))/usage\(suffix)")
        }
    }

    /// Ids go into the request path: only the base62 alphabet, so nothing can be smuggled in.
    static func checked(_ id: String) throws -> String {
        guard !id.isEmpty, id.utf8.count <= 64, id.unicodeScalars.allSatisfy({ $0.isASCII && CharacterSet.alphanumerics.contains($0) }) else {
            throw ValidationError("a key id is letters and digits only, got \(id)")
        }
        return id
    }

    static func checkedDay(_ day: String) throws -> String {
        guard day.count == 10, day.allSatisfy({ $0.isNumber || $0 == "-" }) else {
            throw ValidationError("dates are YYYY-MM-DD, got \(day)")
        }
        return day
    }
}
