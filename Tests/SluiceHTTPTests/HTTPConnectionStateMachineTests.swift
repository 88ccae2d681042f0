import Testing
@testable import SluiceHTTP

/// The connection's decisions, driven by hand: no socket, time passed as instants.
@Suite struct HTTPConnectionStateMachineTests {
    static let t0 = HTTPInstant(nanoseconds: 1_000_000_000)

    func at(_ seconds: Double) -> HTTPInstant { Self.t0 + .seconds(seconds) }

    func makeMachine(limits: HTTPParserLimits = HTTPParserLimits(), timeouts: HTTPTimeouts = HTTPTimeouts(
        readHead: .seconds(5), readBody: .seconds(10), idle: .seconds(30))) -> HTTPConnectionStateMachine {
        HTTPConnectionStateMachine(limits: limits, timeouts: timeouts, now: Self.t0)
    }

    func dispatchedTarget(_ action: HTTPConnectionStateMachine.Action) -> String? {
        if case .dispatch(let request) = action { return request.head.target }
        return nil
    }

    func errorKind(_ action: HTTPConnectionStateMachine.Action) -> HTTPError.Kind? {
        if case .sendErrorAndClose(let error, _) = action { return error.kind }
        return nil
    }

    func isNone(_ action: HTTPConnectionStateMachine.Action) -> Bool {
        if case .none = action { return true }
        return false
    }

    func isClose(_ action: HTTPConnectionStateMachine.Action) -> Bool {
        if case .close = action { return true }
        return false
    }

    @Test func dispatchesCompleteRequestAndReturnsToIdle() {
        var machine = makeMachine()
        machine.received(Array(makeRequest("GET /a HTTP/1.1").utf8), now: at(0))
        #expect(dispatchedTarget(machine.nextAction(now: at(0))) == "/a")
        #expect(machine.state == .responding(keepAlive: true))
        #expect(isNone(machine.responseCompleted(now: at(1))))
        #expect(machine.state == .idle(since: at(1)))
        #expect(isNone(machine.nextAction(now: at(1))))
    }

    @Test func answersPipelinedRequestsOneAtATimeInOrder() {
        var machine = makeMachine()
        machine.received(Array((makeRequest("GET /1 HTTP/1.1") + makeRequest("GET /2 HTTP/1.1") + makeRequest("GET /3 HTTP/1.1")).utf8), now: at(0))
        #expect(dispatchedTarget(machine.nextAction(now: at(0))) == "/1")
        // While /1 is being answered, nothing else is dispatched.
        #expect(isNone(machine.nextAction(now: at(0))))
        #expect(isNone(machine.responseCompleted(now: at(0))))
        #expect(dispatchedTarget(machine.nextAction(now: at(0))) == "/2")
        #expect(isNone(machine.responseCompleted(now: at(0))))
        #expect(dispatchedTarget(machine.nextAction(now: at(0))) == "/3")
        #expect(isNone(machine.responseCompleted(now: at(0))))
        #expect(isNone(machine.nextAction(now: at(0))))
    }

    @Test func closesAfterConnectionCloseRequest() {
        var machine = makeMachine()
        machine.received(Array(makeRequest(headers: ["Host: a", "Connection: close"]).utf8), now: at(0))
        _ = machine.nextAction(now: at(0))
        #expect(!machine.responseKeepsAlive)
        #expect(isClose(machine.responseCompleted(now: at(0))))
    }

    @Test func closesWhenResponseEndsConnection() {
        var machine = makeMachine()
        machine.received(Array(makeRequest().utf8), now: at(0))
        _ = machine.nextAction(now: at(0))
        #expect(isClose(machine.responseCompleted(keepAlive: false, now: at(0))))
    }

    @Test func sendsContinueBeforeReadingBody() {
        var machine = makeMachine()
        machine.received(Array(makeRequest("POST /u HTTP/1.1", headers: ["Host: a", "Expect: 100-continue", "Content-Length: 4"]).utf8), now: at(0))
        guard case .sendContinue = machine.nextAction(now: at(0)) else {
            Issue.record("expected 100 Continue")
            return
        }
        #expect(isNone(machine.nextAction(now: at(0))))
        machine.received(Array("data".utf8), now: at(1))
        guard case .dispatch(let request) = machine.nextAction(now: at(1)) else {
            Issue.record("expected dispatch")
            return
        }
        #expect(request.body == Array("data".utf8))
    }

    @Test func rejectsOversizedExpectContinueWithoutSendingContinue() {
        var machine = makeMachine(limits: HTTPParserLimits(maxBodyBytes: 3))
        machine.received(Array(makeRequest("POST /u HTTP/1.1", headers: ["Host: a", "Expect: 100-continue", "Content-Length: 4"]).utf8), now: at(0))
        #expect(errorKind(machine.nextAction(now: at(0))) == .contentTooLarge)
        #expect(machine.state == .closed)
    }

    @Test func answersMalformedRequestAndCloses() {
        var machine = makeMachine()
        machine.received(Array("GARBAGE\r\n\r\n".utf8), now: at(0))
        #expect(errorKind(machine.nextAction(now: at(0))) == .malformedRequest)
        #expect(isNone(machine.nextAction(now: at(0))))
    }

    @Test func closesIdleConnectionAfterIdleTimeout() {
        var machine = makeMachine()
        #expect(machine.deadline == at(30))
        #expect(isNone(machine.tick(now: at(29.9))))
        #expect(isClose(machine.tick(now: at(30))))
    }

    @Test func cutsOffSlowHeaderSenderWith408() {
        var machine = makeMachine()
        // A slowloris client: one byte every second never finishes its head.
        let bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ".utf8)
        var cutOff = false
        for (second, byte) in bytes.enumerated() {
            let now = at(Double(second))
            machine.received([byte], now: now)
            _ = machine.nextAction(now: now)
            if errorKind(machine.tick(now: now)) == .requestTimeout {
                cutOff = true
                #expect(second == 5)
                break
            }
        }
        #expect(cutOff)
    }

    @Test func cutsOffSlowBodyWith408() {
        var machine = makeMachine()
        machine.received(Array(makeRequest("POST / HTTP/1.1", headers: ["Host: a", "Content-Length: 100"]).utf8), now: at(0))
        #expect(isNone(machine.nextAction(now: at(0))))
        machine.received(Array("abc".utf8), now: at(9))
        #expect(isNone(machine.nextAction(now: at(9))))
        #expect(isNone(machine.tick(now: at(9.5))))
        #expect(errorKind(machine.tick(now: at(10))) == .requestTimeout)
    }

    @Test func neverTimesOutWhileResponding() {
        var machine = makeMachine()
        machine.received(Array(makeRequest().utf8), now: at(0))
        _ = machine.nextAction(now: at(0))
        #expect(machine.deadline == nil)
        #expect(isNone(machine.tick(now: at(1000))))
    }

    @Test func idleTimerRestartsAfterEachResponse() {
        var machine = makeMachine()
        machine.received(Array(makeRequest().utf8), now: at(20))
        _ = machine.nextAction(now: at(20))
        _ = machine.responseCompleted(now: at(25))
        #expect(isNone(machine.tick(now: at(50))))
        #expect(isClose(machine.tick(now: at(55))))
    }

    @Test func pausesReadingWhenPipelinedBytesPileUp() {
        var machine = makeMachine()
        machine.received(Array(makeRequest().utf8), now: at(0))
        _ = machine.nextAction(now: at(0))
        #expect(!machine.shouldPauseReading)
        machine.received([UInt8](repeating: 0x41, count: 70_000), now: at(0))
        #expect(machine.shouldPauseReading)
    }

    @Test func shutdownClosesIdleAtOnceAndBusyAfterResponse() {
        var idle = makeMachine()
        #expect(isClose(idle.beginShutdown()))

        var busy = makeMachine()
        busy.received(Array(makeRequest().utf8), now: at(0))
        _ = busy.nextAction(now: at(0))
        #expect(isNone(busy.beginShutdown()))
        #expect(!busy.responseKeepsAlive)
        #expect(isClose(busy.responseCompleted(now: at(1))))
    }

    @Test func answeringBeforeTheBodyEndsTheConnection() {
        var machine = makeMachine()
        machine.received(Array(makeRequest("POST /missing HTTP/1.1", headers: ["Host: a", "Expect: 100-continue", "Content-Length: 9"]).utf8), now: at(0))
        guard case .sendContinue = machine.nextAction(now: at(0)) else {
            Issue.record("expected 100 Continue decision")
            return
        }
        #expect(machine.headAwaitingBody?.target == "/missing")
        machine.answeredWithoutBody()
        #expect(machine.state == .closed)
        // The body that follows is never parsed as a request.
        machine.received(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: at(1))
        #expect(isNone(machine.nextAction(now: at(1))))
    }

    @Test func inputClosedEndsTheConnection() {
        var machine = makeMachine()
        machine.received(Array(makeRequest().utf8), now: at(0))
        _ = machine.nextAction(now: at(0))
        #expect(isClose(machine.inputClosed()))
        #expect(machine.state == .closed)
    }
}
