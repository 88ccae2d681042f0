import Testing
@testable import SluiceGateway

@Suite struct SluiceGatewaySmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
