import Testing
@testable import SluiceGateway
import SluiceHTTP
import SluiceStore

@Suite struct AccessRateLimitHeaderTests {
    @Test(arguments: [
        (Duration.zero, "0s"), (.microseconds(250), "250µs"), (.milliseconds(12), "12ms"),
        (.microseconds(12_345), "12.345ms"), (.seconds(1), "1s"), (.milliseconds(1500), "1.5s"),
        (.seconds(59), "59s"), (.seconds(360), "6m0s"), (.milliseconds(61_250), "1m1.25s"),
        (.seconds(3600), "1h0m0s"), (.seconds(3723), "1h2m3s"), (.microseconds(59_987_230), "59.98723s"),
    ])
    func formatsDurationsLikeGo(duration: Duration, expected: String) {
        #expect(RateLimitHeaders.goDuration(duration) == expected)
    }

    @Test func negativeDurationsFormatAsZero() {
        #expect(RateLimitHeaders.goDuration(.seconds(-3)) == "0s")
    }

    @Test(arguments: [(Duration.zero, 1), (.microseconds(1), 1), (.seconds(1), 1), (.milliseconds(1001), 2),
                      (.seconds(30), 30)])
    func retryAfterRoundsUpToWholeSecondsAtLeastOne(wait: Duration, seconds: Int) {
        #expect(RateLimitHeaders.retryAfterSeconds(wait) == seconds)
    }

    @Test func buildsBothTriosOnlyForLimitsThatExist() {
        let both = RateLimitStatus(requests: LimitStatus(limit: 60, remaining: 59, resetAfter: .seconds(1)),
                                   tokens: LimitStatus(limit: 150_000, remaining: 149_984, resetAfter: .seconds(360)))
        let fields = Dictionary(uniqueKeysWithValues: RateLimitHeaders.fields(both).map { ($0.name, $0.value) })
        #expect(fields == ["x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "59",
                           "x-ratelimit-reset-requests": "1s", "x-ratelimit-limit-tokens": "150000",
                           "x-ratelimit-remaining-tokens": "149984", "x-ratelimit-reset-tokens": "6m0s"])
        let tokensOnly = RateLimitStatus(tokens: LimitStatus(limit: 10, remaining: 0, resetAfter: .milliseconds(12)))
        #expect(RateLimitHeaders.fields(tokensOnly).map(\.name) == ["x-ratelimit-limit-tokens",
                                                                    "x-ratelimit-remaining-tokens",
                                                                    "x-ratelimit-reset-tokens"])
        #expect(RateLimitHeaders.fields(RateLimitStatus()).isEmpty)
    }

    @Test func applyReplacesHeadersAlreadyPresent() {
        var headers: HTTPHeaders = ["x-ratelimit-remaining-requests": "99"]
        RateLimitHeaders.apply(RateLimitStatus(requests: LimitStatus(limit: 5, remaining: 4, resetAfter: .seconds(12))),
                               to: &headers)
        #expect(headers.values("x-ratelimit-remaining-requests") == ["4"])
    }
}
