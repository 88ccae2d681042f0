import Testing
@testable import SluiceHTTP

@Suite struct HTTPResponseSSETests {
    /// Proxies such as nginx buffer responses unless told not to; a stream must reach the client
    /// event by event.
    @Test func serverSentEventsAreMarkedUnbuffered() {
        let response = HTTPResponse.serverSentEvents { _ in }
        #expect(response.headers["Content-Type"] == "text/event-stream")
        #expect(response.headers["Cache-Control"] == "no-cache")
        #expect(response.headers["X-Accel-Buffering"] == "no")
    }
}
