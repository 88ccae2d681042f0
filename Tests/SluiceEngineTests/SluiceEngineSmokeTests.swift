import Testing
@testable import SluiceEngine

@Suite struct SluiceEngineSmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
