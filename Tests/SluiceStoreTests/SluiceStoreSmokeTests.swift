import Testing
@testable import SluiceStore

@Suite struct SluiceStoreSmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
