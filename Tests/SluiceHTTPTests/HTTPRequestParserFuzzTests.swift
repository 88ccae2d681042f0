import SluiceTesting
import Testing
@testable import SluiceHTTP

/// Seeded random mutations of valid requests: the parser must never crash,
/// and whatever it accepts must be self-consistent.
@Suite struct HTTPRequestParserFuzzTests {
    static let seeds: [[UInt8]] = [
        makeRequest("GET /a?b=c HTTP/1.1", headers: ["Host: a", "Connection: keep-alive"]),
        makeRequest("POST /b HTTP/1.1", headers: ["Host: a", "Content-Length: 11"], body: "hello world"),
        makeRequest("POST /c HTTP/1.1", headers: ["Host: a", "Transfer-Encoding: chunked"], body: "3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n"),
    ].map { Array($0.utf8) }

    @Test func survivesRandomMutations() {
        var random = SplitMix64(seed: 0x5EED)
        let limits = HTTPParserLimits(maxHeaderSectionBytes: 512, maxHeaderCount: 8, maxBodyBytes: 64)
        var accepted = 0
        var rejected = 0
        for round in 0..<20_000 {
            var bytes = Self.seeds[round % Self.seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
                case 2: if bytes.count > 1 { bytes.remove(at: position) }
                default: bytes.insert(contentsOf: bytes[position..<min(bytes.count, position + 8)], at: position)
                }
            }
            let cut = Int.random(in: 0...bytes.count, using: &random)
            do {
                let events = try parseEvents(bytes, pieces: [0..<cut, cut..<bytes.count], limits: limits)
                accepted += 1
                for case .end(let body) in events { #expect(body.count <= limits.maxBodyBytes) }
                for case .head(let head) in events { #expect(head.headers.count <= limits.maxHeaderCount) }
            } catch {
                rejected += 1
            }
        }
        // Both outcomes must occur, or the mutations are not exercising anything.
        #expect(accepted > 100)
        #expect(rejected > 100)
    }
}
