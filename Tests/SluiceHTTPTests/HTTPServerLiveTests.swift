import Foundation
import Glibc
import SluiceTesting
import Testing
@testable import SluiceHTTP

/// The real server on a loopback port, driven by raw sockets, curl and Python.
@Suite struct HTTPServerLiveTests {
    static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain", text: text)
    }

    func makeRouter() -> HTTPRouter {
        var router = HTTPRouter()
        router.add(.get, "/hello", .sync { _ in Self.text("hello") })
        router.add(.get, "/slow/{ms}", .async { request in
            let ms = Int(request.pathParameters["ms"] ?? "") ?? 0
            try? await Task.sleep(for: .milliseconds(ms))
            return Self.text("slept \(ms)")
        })
        router.add(.get, "/big", .sync { _ in HTTPResponse(bytes: [UInt8](repeating: 0x42, count: 4 << 20)) })
        router.add(.post, "/echo", .async { request in
            HTTPResponse(headers: ["Content-Type": "application/octet-stream"], bytes: request.body)
        })
        return router
    }

    @Test func servesKeepAliveRequestsOnOneConnection() async throws {
        let live = try LiveServer.start(makeRouter())
        let port = live.port
        let responses = try await offPool {
            let client = try RawClient(port: port)
            return try (0..<3).map { _ in
                try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try client.readResponse()
                return [String(response.status), response.text, response.header("Connection") ?? "-", response.header("Date") == nil ? "-" : "date"]
            }
        }
        #expect(responses == Array(repeating: ["200", "hello", "-", "date"], count: 3))
        await live.stop()
    }

    @Test func curlReusesTheConnection() async throws {
        let live = try LiveServer.start(makeRouter())
        let url = "\(live.baseURL)/hello"
        let result = try await offPool { try runTool("/usr/bin/curl", ["-s", "-w", "%{num_connects}\n", url, url]) }
        #expect(result.status == 0)
        #expect(result.output == "hello1\nhello0\n")
        await live.stop()
    }

    @Test func pythonHTTPClientKeepsAliveAndPosts() async throws {
        let live = try LiveServer.start(makeRouter())
        let script = """
        import http.client
        c = http.client.HTTPConnection('127.0.0.1', \(live.port), timeout=5)
        c.request('GET', '/hello'); r = c.getresponse(); a = r.read()
        c.request('POST', '/echo', body=b'x' * 5000); r2 = c.getresponse(); b = r2.read()
        print(r.status, a.decode(), r2.status, len(b), c.sock is not None)
        """
        let result = try await offPool { try runTool("/usr/bin/env", ["python3", "-c", script]) }
        #expect(result.output == "200 hello 200 5000 True\n")
        await live.stop()
    }

    @Test func answersPipelinedRequestsInOrder() async throws {
        let live = try LiveServer.start(makeRouter())
        let port = live.port
        let texts = try await offPool {
            let client = try RawClient(port: port)
            // The first is slow and async, the second instant and sync: order must still hold.
            try client.send("GET /slow/200 HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /slow/10 HTTP/1.1\r\nHost: t\r\n\r\n")
            return try (0..<3).map { _ in try client.readResponse().text }
        }
        #expect(texts == ["slept 200", "hello", "slept 10"])
        await live.stop()
    }

    @Test func serves200ConcurrentConnections() async throws {
        let live = try LiveServer.start(makeRouter())
        let port = live.port
        let ok = try await offPool {
            var clients: [RawClient] = []
            for _ in 0..<200 { clients.append(try RawClient(port: port)) }
            for (index, client) in clients.enumerated() {
                try client.send("GET /\(index % 2 == 0 ? "hello" : "slow/50") HTTP/1.1\r\nHost: t\r\n\r\n")
            }
            var ok = 0
            for client in clients where try client.readResponse().status == 200 { ok += 1 }
            return ok
        }
        #expect(ok == 200)
        await live.stop()
    }

    @Test func answersHeadWithLengthButNoBody() async throws {
        let live = try LiveServer.start(makeRouter())
        let port = live.port
        let (head, next) = try await offPool {
            let client = try RawClient(port: port)
            try client.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try client.readResponse(bodyless: true)
            return (head, try client.readResponse())
        }
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "5")
        // The next response follows immediately: no body bytes were sent for HEAD.
        #expect(next.text == "hello")
        await live.stop()
    }

    @Test func closesAfterConnectionClose() async throws {
        let live = try LiveServer.start(makeRouter())
        let port = live.port
        let (response, eof) = try await offPool {
            let client = try RawClient(port: port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            return (try client.readResponse(), try client.readsEOF())
        }
        #expect(response.header("Connection") == "close")
        #expect(eof)
        await live.stop()
    }

    @Test func rejectsMalformedRequestLineWith400() async throws {
        let live = try LiveServer.start(makeRouter())
        let port = live.port
        let (response, eof) = try await offPool {
            let client = try RawClient(port: port)
            try client.send("GET /a b HTTP/1.1\r\nHost: t\r\n\r\n")
            return (try client.readResponse(), try client.readsEOF())
        }
        #expect(response.status == 400)
        #expect(response.header("Connection") == "close")
        #expect(eof)
        await live.stop()
    }

    @Test func rejectsOversizedBodyWith413() async throws {
        let live = try LiveServer.start(makeRouter()) { $0.limits.maxBodyBytes = 1000 }
        let port = live.port
        let raw = try await offPool {
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n")
            return try client.readResponse().status
        }
        #expect(raw == 413)
        let curl = try await offPool { try runTool("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", String(repeating: "z", count: 5000),
                                                 "http://127.0.0.1:\(port)/echo"]) }
        #expect(curl.output == "413")
        let chunked = try await offPool { try runTool("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Transfer-Encoding: chunked",
                                                    "--data-binary", String(repeating: "z", count: 5000), "http://127.0.0.1:\(port)/echo"]) }
        #expect(chunked.output == "413")
        await live.stop()
    }

    @Test func rejectsOversizedHeadersWith431() async throws {
        let live = try LiveServer.start(makeRouter()) { $0.limits.maxHeaderSectionBytes = 1024 }
        let port = live.port
        let status = try await offPool {
            let client = try RawClient(port: port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "b", count: 2000))\r\n\r\n")
            return try client.readResponse().status
        }
        #expect(status == 431)
        await live.stop()
    }

    @Test func honoursExpectContinueAndChunkedUploads() async throws {
        let live = try LiveServer.start(makeRouter())
        let port = live.port
        let (interim, echoed) = try await offPool {
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            let interim = try client.readResponse()
            try client.send("ping")
            return (interim.status, try client.readResponse().text)
        }
        #expect(interim == 100)
        #expect(echoed == "ping")
        // curl sends Expect: 100-continue itself for bodies over 1 KiB; here also chunked.
        let body = String(repeating: "q", count: 300_000)
        let curl = try await offPool {
            try runTool("/usr/bin/curl", ["-s", "-H", "Transfer-Encoding: chunked", "--data-binary", "@-", "http://127.0.0.1:\(port)/echo"], input: body)
        }
        #expect(curl.output == body)
        await live.stop()
    }

    @Test func refusesExpectContinueUploadToUnknownRouteWithoutContinue() async throws {
        let live = try LiveServer.start(makeRouter())
        let port = live.port
        let (response, eof) = try await offPool {
            let client = try RawClient(port: port)
            try client.send("POST /nowhere HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n")
            return (try client.readResponse(), try client.readsEOF())
        }
        #expect(response.status == 404)
        #expect(response.header("Connection") == "close")
        #expect(eof)
        await live.stop()
    }

    @Test func finishesLargeResponseToClientThatHalfClosed() async throws {
        let live = try LiveServer.start(makeRouter())
        let port = live.port
        let (length, eof) = try await offPool {
            let client = try RawClient(port: port)
            try client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
            shutdown(client.fd, Int32(SHUT_WR))
            usleep(200_000)  // let the server see EOF while most of the body is still unsent
            let response = try client.readResponse()
            return (response.body.count, try client.readsEOF())
        }
        #expect(length == 4 << 20)
        #expect(eof)
        await live.stop()
    }

    @Test func refusesToShareAPortWithAnotherServer() async throws {
        let live = try LiveServer.start(makeRouter())
        let second = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: live.port, eventLoopCount: 2), router: makeRouter())
        #expect(throws: HTTPError.self) { try second.start() }
        await live.stop()
    }

    @Test func cutsOffSlowlorisClient() async throws {
        let live = try LiveServer.start(makeRouter()) {
            $0.timeouts.readHead = .milliseconds(300)
            $0.tickInterval = .milliseconds(20)
        }
        let port = live.port
        let (status, elapsed) = try await offPool {
            let client = try RawClient(port: port)
            let start = Date()
            try client.send("GET /hello HTTP/1.1\r\n")
            // One header line every 50 ms: the head never completes.
            for _ in 0..<60 {
                usleep(50_000)
                if let response = try? client.readResponseIfReady() { return (response.status, Date().timeIntervalSince(start)) }
                do { try client.send("X-A: b\r\n") } catch { return (0, Date().timeIntervalSince(start)) }
            }
            return (-1, Date().timeIntervalSince(start))
        }
        #expect(status == 408)
        #expect(elapsed < 1.5)
        await live.stop()
    }

    @Test func closesIdleKeepAliveConnections() async throws {
        let live = try LiveServer.start(makeRouter()) {
            $0.timeouts.idle = .milliseconds(200)
            $0.tickInterval = .milliseconds(20)
        }
        let port = live.port
        let (status, eof, elapsed) = try await offPool {
            let client = try RawClient(port: port)
            try client.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let status = try client.readResponse().status
            let start = Date()
            return (status, try client.readsEOF(), Date().timeIntervalSince(start))
        }
        #expect(status == 200)
        #expect(eof)
        #expect(elapsed < 2)
        await live.stop()
    }

    @Test func refusesConnectionsOverTheLimitWith503() async throws {
        let live = try LiveServer.start(makeRouter()) { $0.maxConnections = 2 }
        let port = live.port
        let (statuses, response, eof) = try await offPool {
            let first = try RawClient(port: port)
            let second = try RawClient(port: port)
            try first.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            try second.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            let statuses = [try first.readResponse().status, try second.readResponse().status]
            let third = try RawClient(port: port)
            let response = try third.readResponse()
            return (statuses, response, try third.readsEOF())
        }
        #expect(statuses == [200, 200])
        #expect(response.status == 503)
        #expect(response.header("Connection") == "close")
        #expect(eof)
        await live.stop()
    }
}

extension RawClient {
    /// A response if one is already readable, without waiting long.
    func readResponseIfReady() throws -> RawResponse? {
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard buffer.isEmpty == false || poll(&pollFD, 1, 0) > 0 else { return nil }
        return try readResponse()
    }
}
