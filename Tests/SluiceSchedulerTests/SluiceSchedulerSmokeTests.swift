import Testing
@testable import SluiceScheduler

@Suite struct SluiceSchedulerSmokeTests {
    @Test func moduleLinks() {
        #expect(Bool(true))
    }
}
