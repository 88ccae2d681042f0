import Foundation
import Glibc
@testable import SluiceHTTP

/// An in-process server on an ephemeral loopback port.
struct LiveServer {
    let server: HTTPServer
    let port: Int

    static func start(_ router: HTTPRouter, configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws -> LiveServer {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, eventLoopCount: 2)
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, router: router)
        let port = try server.start()
        return LiveServer(server: server, port: port)
    }

    func stop() async {
        server.shutdown(gracePeriod: .seconds(1))
        await server.waitUntilStopped()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }
}

struct TestClientError: Error, CustomStringConvertible {
    let description: String
}

/// A parsed response read by `RawClient`.
struct RawResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking TCP client for byte-exact requests (what curl would never send).
final class RawClient: @unchecked Sendable {
    let fd: Int32
    var buffer: [UInt8] = []

    init(port: Int, receiveTimeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError(description: "socket failed") }
        var timeout = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout.truncatingRemainder(dividingBy: 1)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw TestClientError(description: "connect failed: errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestClientError(description: "send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Reads more bytes; false on EOF (or reset), throws on timeout.
    @discardableResult
    func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        if n == 0 || errno == ECONNRESET { return false }
        throw TestClientError(description: "recv failed or timed out: errno \(errno)")
    }

    /// True when the server has closed the connection (EOF) with no more data.
    func readsEOF() throws -> Bool {
        while true {
            if !buffer.isEmpty { return false }
            if try !fill() { return true }
        }
    }

    /// Reads until the received bytes contain `marker`.
    func fill(until marker: String) throws {
        while !String(decoding: buffer, as: UTF8.self).contains(marker) {
            guard try fill() else { throw TestClientError(description: "EOF before \(marker)") }
        }
    }

    func readLine() throws -> String {
        while true {
            if let lf = buffer.firstIndex(of: 0x0A), lf > 0, buffer[lf - 1] == 0x0D {
                let line = String(decoding: buffer[0..<(lf - 1)], as: UTF8.self)
                buffer.removeFirst(lf + 1)
                return line
            }
            guard try fill() else { throw TestClientError(description: "EOF inside a line") }
        }
    }

    func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw TestClientError(description: "EOF inside body") }
        }
        let bytes = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return bytes
    }

    /// Reads one response; `bodyless` for HEAD / 1xx.
    func readResponse(bodyless: Bool = false) throws -> RawResponse {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw TestClientError(description: "bad status line: \(statusLine)") }
        var headers: [(String, String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw TestClientError(description: "bad header: \(line)") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = RawResponse(status: status, headers: headers, body: [])
        if bodyless || status < 200 || status == 204 || status == 304 { return response }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            response.body = try readExactly(length)
        } else if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine, radix: 16) else { throw TestClientError(description: "bad chunk size \(sizeLine)") }
                if size == 0 { _ = try readLine(); break }
                response.body += try readExactly(size)
                _ = try readLine()
            }
        } else {
            while try fill() {}
            response.body = buffer
            buffer = []
        }
        return response
    }
}

/// Runs a command-line client (curl, python3) and returns its stdout.
func runTool(_ path: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
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

/// Polls `condition` every 10 ms until it holds or `seconds` pass.
func eventually(within seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A thread-safe box for observations made inside handlers.
final class Observed<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    var current: Value { lock.withLock { value } }

    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&value) } }
}

/// Runs blocking client code on its own thread. Tests are async and run on
/// Swift's small cooperative pool; a test blocked in recv() there would starve
/// the very handler Tasks it waits for.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.start()
    }
}
