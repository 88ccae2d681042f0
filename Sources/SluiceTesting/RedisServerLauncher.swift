import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a real `redis-server` for tests: loopback only, a free port, no persistence
/// (no RDB, no AOF, a private temp directory), and stops it on `stop()` or deinit.
/// Failure tests can freeze it (SIGSTOP), thaw it (SIGCONT), kill it and start it again
/// on the same port.
public final class RedisServerLauncher: @unchecked Sendable {
    // @unchecked: `process` is only replaced under `lock`.
    public struct LaunchError: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: Int
    public let executable: String
    private let directory: String
    private let lock = NSLock()
    private var process: Process?

    /// `SLUICE_REDIS_SERVER` overrides the binary; otherwise `redis-server` from PATH.
    public static func start() throws -> RedisServerLauncher {
        let launcher = try RedisServerLauncher(port: try freeLoopbackPort())
        try launcher.launch()
        return launcher
    }

    private init(port: Int) throws {
        self.port = port
        self.executable = try Self.findExecutable()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-redis-\(getpid())-\(port)-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var processID: Int32? { lock.withLock { process?.processIdentifier } }

    /// Freezes the server: connections stay open, nothing is answered (like a stuck host).
    public func pause() { signal(SIGSTOP) }

    public func resume() { signal(SIGCONT) }

    /// SIGKILL and reap; the port is free for `restart()`.
    public func kill() {
        let process = lock.withLock { () -> Process? in
            let current = self.process
            self.process = nil
            return current
        }
        guard let process else { return }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGCONT)
            Glibc.kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        LaunchedServers.unregister(process.processIdentifier)
    }

    /// Starts a fresh (empty) server on the same port after `kill()`.
    public func restart() throws {
        kill()
        try launch()
    }

    public func stop() { kill() }

    private func signal(_ signal: Int32) {
        if let pid = processID { Glibc.kill(pid, signal) }
    }

    private func launch() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", directory, "--loglevel", "warning", "--databases", "1",
            // Failure tests use DEBUG SLEEP to stall the server (loopback only, test servers only).
            "--enable-debug-command", "yes",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw LaunchError(description: "cannot run \(executable): \(error)")
        }
        lock.withLock { self.process = process }
        LaunchedServers.register(process.processIdentifier)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if !process.isRunning {
                throw LaunchError(description: "redis-server exited with \(process.terminationStatus) on port \(port)")
            }
            if Self.ping(port: port) { return }
            usleep(20_000)
        }
        kill()
        throw LaunchError(description: "redis-server did not answer PING on port \(port) within 10 s")
    }

    private static func findExecutable() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let override = environment["SLUICE_REDIS_SERVER"], !override.isEmpty { return override }
        for directory in (environment["PATH"] ?? "/usr/bin:/usr/local/bin").split(separator: ":") {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw LaunchError(description: "redis-server not found on PATH (apt-get install redis-server)")
    }

    /// Binds port 0 on loopback and returns what the kernel picked.
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LaunchError(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw LaunchError(description: "bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw LaunchError(description: "getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// True when something on `port` answers `PING` with `+PONG` within 200 ms.
    static func ping(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        let request = Array("PING\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 16)
        let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return received >= 5 && Array(buffer[0..<5]) == Array("+PONG".utf8)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

/// Servers still running when the test process exits (a test that never reached its
/// `stop()`) are killed by an atexit handler, so no redis-server outlives the tests.
private enum LaunchedServers {
    nonisolated(unsafe) private static var pids: Set<Int32> = []
    private static let lock = NSLock()
    private static let installHandler: Void = {
        atexit {
            LaunchedServers.lock.lock()
            for pid in LaunchedServers.pids { kill(pid, SIGCONT); kill(pid, SIGKILL) }
            LaunchedServers.lock.unlock()
        }
    }()

    static func register(_ pid: Int32) {
        _ = installHandler
        lock.withLock { _ = pids.insert(pid) }
    }

    static func unregister(_ pid: Int32) {
        lock.withLock { _ = pids.remove(pid) }
    }
}
