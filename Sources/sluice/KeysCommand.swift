import ArgumentParser
import Foundation

/// `sluice keys …`: the admin API from the command line, against a running gateway.
/// Every subcommand prints the server's JSON answer; an error answer goes to stderr and
/// the exit status is 1.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage API keys of a running gateway (the admin API).",
        discussion: "The admin key comes from --admin-key or SLUICE_ADMIN_KEY; the server from --url or SLUICE_URL.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Revoke.self, Rotate.self, Usage.self])
}

struct KeysConnection: ParsableArguments {
    @Option(help: "Gateway base URL (plain http; default SLUICE_URL or http://127.0.0.1:8080).")
    var url: String?
    @Option(help: "Admin key (default SLUICE_ADMIN_KEY).")
    var adminKey: String?

    func call(_ method: String, _ path: String, body: [String: Any]? = nil) throws {
        let environment = ProcessInfo.processInfo.environment
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
        var text = response.body
        text.append(contentsOf: [0x0A])
        if (200..<300).contains(response.status) {
            FileHandle.standardOutput.write(text)
        } else {
            FileHandle.standardError.write(Data("sluice keys: HTTP \(response.status)\n".utf8))
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
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; prints it once, with its secret.")
        @OptionGroup var connection: KeysConnection
        @OptionGroup var fields: KeyFieldOptions

        func run() throws {
            var body = try fields.fields()
            if body["name"] == nil { body["name"] = "key" }
            try connection.call("POST", "/v1/admin/keys", body: body)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every key (revoked ones included).")
        @OptionGroup var connection: KeysConnection
        func run() throws { try connection.call("GET", "/v1/admin/keys") }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one key.")
        @OptionGroup var connection: KeysConnection
        @Argument(help: "Key id.") var id: String
        func run() throws { try connection.call("GET", "/v1/admin/keys/\(try KeysCommand.checked(id))") }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change fields of a key.")
        @OptionGroup var connection: KeysConnection
        @OptionGroup var fields: KeyFieldOptions
        @Option(help: "Remove a limit: rpm, tpm, max_concurrent, token_budget or expires_at (repeat).")
        var clear: [String] = []
        @Argument(help: "Key id.") var id: String

        func run() throws {
            var body = try fields.fields()
            for field in clear {
                guard ["rpm", "tpm", "max_concurrent", "token_budget", "expires_at"].contains(field) else {
                    throw ValidationError("--clear takes rpm, tpm, max_concurrent, token_budget or expires_at")
                }
                body[field] = NSNull()
            }
            try connection.call("PATCH", "/v1/admin/keys/\(try KeysCommand.checked(id))", body: body)
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key (every replica refuses it within a second).")
        @OptionGroup var connection: KeysConnection
        @Argument(help: "Key id.") var id: String
        func run() throws { try connection.call("DELETE", "/v1/admin/keys/\(try KeysCommand.checked(id))") }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a new secret; prints it once.")
        @OptionGroup var connection: KeysConnection
        @Option(help: "Seconds the old secret keeps working (default 0).") var graceSeconds: Int = 0
        @Argument(help: "Key id.") var id: String
        func run() throws {
            try connection.call("POST", "/v1/admin/keys/\(try KeysCommand.checked(id))/rotate",
                                body: ["grace_period_seconds": graceSeconds])
        }
    }

    struct Usage: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Requests and tokens per UTC day.")
        @OptionGroup var connection: KeysConnection
        @Option(help: "First day, YYYY-MM-DD (default: 29 days before --end).") var start: String?
        @Option(help: "Last day, YYYY-MM-DD (default: today).") var end: String?
        @Argument(help: "Key id.") var id: String
        func run() throws {
            var query: [String] = []
            if let start { query.append("start=\(try KeysCommand.checkedDay(start))") }
            if let end { query.append("end=\(try KeysCommand.checkedDay(end))") }
            let suffix = query.isEmpty ? "" : "?" + query.joined(separator: "&")
            try connection.call("GET", "/v1/admin/keys/\(try KeysCommand.checked(id))/usage\(suffix)")
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
