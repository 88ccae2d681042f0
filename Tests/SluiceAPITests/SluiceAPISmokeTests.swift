import Testing
@testable import SluiceAPI

@Suite struct SluiceAPISmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
