import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Starts a real `redis-server` for tests: loopback only, a free port, no persistence
/// (no RDB, no AOF, a private temp directory), and stops it on `stop()` or deinit.
/// Failure tests can freeze it (SIGSTOP), thaw it (SIGCONT), kill it and start it again
/// on the same port.
public final class RedisServerLauncher: Sendable {
    public struct LaunchError: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: Int
    public let executable: String
    private let directory: String
    private let pid = Mutex<pid_t?>(nil)

    /// `SLUICE_REDIS_SERVER` overrides the binary; otherwise `redis-server` from PATH.
    /// - Parameter extraArguments: more `redis-server` options, e.g. `["--requirepass", "pw"]`.
    public static func start(extraArguments: [String] = []) async throws -> RedisServerLauncher {
        // A port found free can be taken before redis-server binds it (e.g. as the local port
        // of another test's outgoing connection), so an early exit is retried on a new port.
        var lastError: Error?
        for _ in 0..<5 {
            let launcher = try RedisServerLauncher(port: try freeLoopbackPort(), extraArguments: extraArguments)
            do {
                try await launcher.launch()
                return launcher
            } catch {
                lastError = error
            }
        }
        throw lastError ?? LaunchError(description: "redis-server did not start")
    }

    private let extraArguments: [String]

    private init(port: Int, extraArguments: [String]) throws {
        self.port = port
        self.extraArguments = extraArguments
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

    public var processID: Int32? { pid.withLock { $0 } }

    /// Freezes the server: connections stay open, nothing is answered (like a stuck host).
    public func pause() { signal(SIGSTOP) }

    public func resume() { signal(SIGCONT) }

    /// SIGKILL and reap; the port is free for `restart()`.
    public func kill() {
        let pid = self.pid.withLock { pid -> pid_t? in
            defer { pid = nil }
            return pid
        }
        guard let pid else { return }
        // Our own unreaped child: the pid cannot have been reused, so signalling it is safe.
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        LaunchedServers.unregister(pid)
    }

    /// Starts a fresh (empty) server on the same port after `kill()`.
    public func restart() async throws {
        kill()
        try await launch()
    }

    public func stop() { kill() }

    private func signal(_ signal: Int32) {
        if let pid = processID { Glibc.kill(pid, signal) }
    }

    /// Spawns the server and waits (without blocking a thread) until it answers PING.
    private func launch() async throws {
        let arguments = [
            executable, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", directory, "--loglevel", "warning", "--databases", "1",
            // Failure tests use DEBUG SLEEP to stall the server (loopback only, test servers only).
            "--enable-debug-command", "yes",
        ] + extraArguments
        let child = try Self.spawn(arguments)
        pid.withLock { $0 = child }
        LaunchedServers.register(child)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(child, &status, WNOHANG) == child {
                pid.withLock { $0 = nil }
                LaunchedServers.unregister(child)
                throw LaunchError(description: "redis-server exited (status \(status)) on port \(port)")
            }
            if Self.ping(port: port) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        kill()
        throw LaunchError(description: "redis-server did not answer PING on port \(port) within 10 s")
    }

    /// posix_spawn with an empty signal mask and default dispositions: the test runner's
    /// threads block signals, and a child inheriting that mask would ignore SIGTERM.
    private static func spawn(_ arguments: [String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptySet = sigset_t()
        sigemptyset(&emptySet)
        posix_spawnattr_setsigmask(&attributes, &emptySet)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, arguments[0], &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw LaunchError(description: "cannot spawn \(arguments[0]): error \(result)")
        }
        return child
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

    /// True when something on `port` is a Redis server: `+PONG`, or `-NOAUTH` when it wants a password.
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
        return (received >= 5 && Array(buffer[0..<5]) == Array("+PONG".utf8))
            || (received >= 7 && Array(buffer[0..<7]) == Array("-NOAUTH".utf8))
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
    private static let pids = Mutex<Set<Int32>>([])
    private static let installHandler: Void = {
        atexit {
            LaunchedServers.pids.withLock { pids in
                for pid in pids { kill(pid, SIGCONT); kill(pid, SIGKILL) }
            }
        }
    }()

    static func register(_ pid: Int32) {
        _ = installHandler
        pids.withLock { _ = $0.insert(pid) }
    }

    static func unregister(_ pid: Int32) {
        pids.withLock { _ = $0.remove(pid) }
    }
}
