import Foundation
import SluiceTesting
import Testing
@testable import SluiceHTTP

/// Streamed bodies and SSE: flushing, keep-alive comments, cancellation when
/// the client leaves or stops reading, graceful shutdown of a live stream.
@Suite struct HTTPStreamingLiveTests {
    @Test func streamsServerSentEventsChunked() async throws {
        var router = HTTPRouter()
        router.add(.get, "/events", .sync { _ in
            .serverSentEvents { writer in
                for i in 1...3 { try await writer.send(data: "event \(i)") }
            }
        })
        let live = try LiveServer.start(router)
        let port = live.port
        let (response, second) = try await offPool {
            let client = try RawClient(port: port)
            try client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            // The connection stays usable after the stream's last chunk.
            try client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
            return (response, try client.readResponse())
        }
        #expect(response.header("Content-Type") == "text/event-stream")
        #expect(response.header("Transfer-Encoding") == "chunked")
        #expect(response.text == "data: event 1\n\ndata: event 2\n\ndata: event 3\n\n")
        #expect(second.status == 200)
        await live.stop()
    }

    @Test func flushesEachEventAndSendsKeepAliveWhileIdle() async throws {
        let release = Observed(false)
        var router = HTTPRouter()
        router.add(.get, "/events", .async { _ in
            .serverSentEvents(keepAliveInterval: .milliseconds(100)) { writer in
                try await writer.send(data: "first")
                while !release.current && !writer.isCancelled { try await Task.sleep(for: .milliseconds(10)) }
                try await writer.send(data: "last")
            }
        })
        let live = try LiveServer.start(router) { $0.tickInterval = .milliseconds(20) }
        let port = live.port
        let text = try await offPool {
            let client = try RawClient(port: port)
            try client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
            // Headers and the first event arrive before the producer finishes.
            try client.fill(until: "data: first")
            try client.fill(until: ": keep-alive\n\n")
            release.update { $0 = true }
            try client.fill(until: "0\r\n\r\n")
            return String(decoding: client.buffer, as: UTF8.self)
        }
        #expect(text.contains("data: last"))
        await live.stop()
    }

    @Test func handlerSeesClientDisconnectMidStreamAsCancelled() async throws {
        let observed = Observed((onCancel: false, writeFailed: false, taskCancelled: false))
        var router = HTTPRouter()
        router.add(.get, "/events", .sync { _ in
            .serverSentEvents(keepAliveInterval: nil) { writer in
                writer.onCancel { observed.update { $0.onCancel = true } }
                do {
                    for i in 0..<1000 {
                        try await writer.send(data: "tick \(i)")
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                } catch let error as HTTPError where error.kind == .cancelled {
                    let cancelled = Task.isCancelled
                    observed.update { $0.writeFailed = true; $0.taskCancelled = cancelled }
                }
            }
        })
        let live = try LiveServer.start(router)
        let port = live.port
        try await offPool {
            let client = try RawClient(port: port)
            try client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
            try client.fill(until: "tick 1")
        }  // the client closes its socket here
        #expect(await eventually { observed.current.onCancel && observed.current.writeFailed })
        #expect(observed.current.taskCancelled)
        await live.stop()
    }

    @Test func cutsOffClientThatStopsReading() async throws {
        let observed = Observed((cancelled: false, bytes: 0))
        var router = HTTPRouter()
        router.add(.get, "/flood", .sync { _ in
            HTTPResponse(body: .stream(HTTPStreamOptions()) { writer in
                let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
                // Bounded: 512 MiB would mean the cut-off never happened.
                for _ in 0..<8192 {
                    do { try await writer.write(chunk) } catch {
                        observed.update { $0.cancelled = true }
                        return
                    }
                    observed.update { $0.bytes += chunk.count }
                    await Task.yield()
                }
            })
        })
        let live = try LiveServer.start(router) {
            $0.timeouts.writeStall = .milliseconds(500)
            $0.tickInterval = .milliseconds(20)
        }
        let port = live.port
        let client = try await offPool {
            let client = try RawClient(port: port)
            try client.send("GET /flood HTTP/1.1\r\nHost: t\r\n\r\n")
            return client
        }
        // Never read: the kernel buffers fill, the producer is held at the high-water
        // mark, and the write-stall timeout cuts the client off.
        #expect(await eventually(within: 10) { observed.current.cancelled })
        withExtendedLifetime(client) {}
        await live.stop()
    }

    @Test func fastProducerRunsAtTheClientsPace() async throws {
        let chunkCount = 400
        var router = HTTPRouter()
        router.add(.get, "/big", .sync { _ in
            HTTPResponse(body: .stream(HTTPStreamOptions()) { writer in
                let chunk = [UInt8](repeating: 0x62, count: 64 * 1024)
                for _ in 0..<chunkCount { try await writer.write(chunk) }
            })
        })
        // 25 MiB through a 256 KiB hard bound: only flow control makes this pass.
        let live = try LiveServer.start(router) { $0.maxBufferedOutputBytes = 256 * 1024 }
        let url = "\(live.baseURL)/big"
        let result = try await offPool { try runTool("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{size_download}", url]) }
        #expect(result.output == String(chunkCount * 64 * 1024))
        await live.stop()
    }

    @Test func gracefulShutdownLetsInFlightStreamFinish() async throws {
        var router = HTTPRouter()
        router.add(.get, "/events", .sync { _ in
            .serverSentEvents(keepAliveInterval: nil) { writer in
                for i in 1...5 {
                    try await writer.send(data: "part \(i)")
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        })
        router.add(.get, "/hello", .sync { _ in HTTPResponse(bytes: Array("hi".utf8)) })
        let live = try LiveServer.start(router)
        let port = live.port
        let server = live.server
        let (idleClosed, text, refused) = try await offPool {
            let idle = try RawClient(port: port)
            try idle.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = try idle.readResponse()
            let client = try RawClient(port: port)
            try client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
            try client.fill(until: "part 1")
            server.shutdown(gracePeriod: .seconds(5))
            // The idle keep-alive connection is closed at once.
            let idleClosed = try idle.readsEOF()
            // The stream runs to its end, marked as the last exchange.
            while try client.fill() {}
            let refused = (try? RawClient(port: port)) == nil
            return (idleClosed, String(decoding: client.buffer, as: UTF8.self), refused)
        }
        #expect(idleClosed)
        // (Its head went out before the shutdown, so the server ends it by closing after the last chunk.)
        #expect(text.contains("data: part 5\n\n"))
        #expect(text.hasSuffix("0\r\n\r\n"))
        // New connections are refused.
        #expect(refused)
        await live.server.waitUntilStopped()
    }

    @Test func shutdownDeadlineCancelsStreamsThatDoNotFinish() async throws {
        let observed = Observed(false)
        var router = HTTPRouter()
        router.add(.get, "/forever", .sync { _ in
            .serverSentEvents(keepAliveInterval: nil) { writer in
                writer.onCancel { observed.update { $0 = true } }
                while !writer.isCancelled {
                    try await writer.send(data: "x")
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        })
        let live = try LiveServer.start(router) { $0.tickInterval = .milliseconds(20) }
        let port = live.port
        let client = try await offPool {
            let client = try RawClient(port: port)
            try client.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n")
            try client.fill(until: "data: x")
            return client
        }
        let start = Date()
        live.server.shutdown(gracePeriod: .milliseconds(300))
        await live.server.waitUntilStopped()
        #expect(Date().timeIntervalSince(start) < 3)
        #expect(observed.current)
        withExtendedLifetime(client) {}
    }

    @Test func httpOneZeroStreamIsCloseDelimited() async throws {
        var router = HTTPRouter()
        router.add(.get, "/events", .sync { _ in
            .serverSentEvents { writer in try await writer.send(data: "only") }
        })
        let live = try LiveServer.start(router)
        let port = live.port
        let response = try await offPool {
            let client = try RawClient(port: port)
            try client.send("GET /events HTTP/1.0\r\n\r\n")
            return try client.readResponse()
        }
        #expect(response.header("Transfer-Encoding") == nil)
        #expect(response.text == "data: only\n\n")
        await live.stop()
    }
}
