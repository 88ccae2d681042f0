import Foundation
import Synchronization

/// Runs a command-line client (curl, python3) and returns its exit status and stdout.
public func runTool(_ path: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    let stdin = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    try process.run()
    if let input {
        // Written from another thread: curl may answer before reading it all.
        let handle = stdin.fileHandleForWriting
        Thread {
            handle.write(Data(input.utf8))
            try? handle.close()
        }.start()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A response as curl reports it with `-i`.
public struct CurlResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: String
}

/// `curl -s -i --max-time 5 arguments…`, run off the cooperative pool so the server's handler
/// tasks keep running.
public func curl(_ arguments: [String]) async throws -> CurlResponse {
    try await offPool {
        let text = try runTool("/usr/bin/curl", ["-s", "-i", "--max-time", "5"] + arguments).output
        guard let split = text.range(of: "\r\n\r\n") else { throw TestClientError(description: "no response from curl") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let status = lines[0].split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return CurlResponse(status: status, headers: headers, body: String(text[split.upperBound...]))
    }
}

/// Polls `condition` every 5 ms until it holds or `seconds` pass (servers and the engine thread
/// run on their own threads).
public func eventually(within seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// A thread-safe box for observations made inside handlers.
public final class Observed<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    public init(_ value: Value) { self.value = Mutex(value) }

    public var current: Value { value.withLock { $0 } }

    /// Changes the value and returns what `body` returns, in one locked step.
    @discardableResult
    public func update<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { value.withLock { body(&$0) } }
}

/// Runs blocking client code on its own thread. Tests are async and run on
/// Swift's small cooperative pool; a test blocked in recv() there would starve
/// the very handler Tasks it waits for.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.start()
    }
}
