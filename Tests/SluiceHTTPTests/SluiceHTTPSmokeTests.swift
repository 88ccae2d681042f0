import Testing
@testable import SluiceHTTP

@Suite struct SluiceHTTPSmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
