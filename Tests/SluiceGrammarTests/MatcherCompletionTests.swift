import Foundation
import Testing
@testable import SluiceGrammar

/// bytesToComplete, needsCompletionCheck and restrictToCompletion (CompletionDistance.swift).
@Suite struct MatcherCompletionTests {
    /// The shortest completion by breadth-first search over bytes with the reference
    /// recognizer; nil when none within `limit` bytes.
    static func bruteForceDistance(_ reference: MatcherReferenceRecognizer, _ history: [UInt8], limit: Int) -> Int? {
        var frontier: [[UInt8]] = [history]
        for length in 0...limit {
            if frontier.contains(where: { reference.isComplete($0) }) { return length }
            guard length < limit else { break }
            var next: [[UInt8]] = []
            for text in frontier {
                for byte in RandomGrammar.alphabet where reference.isPrefix(text + [byte]) { next.append(text + [byte]) }
            }
            frontier = next
            if frontier.isEmpty { return nil }
        }
        return nil
    }

    @Test func bytesToCompleteEqualsBruteForce() throws {
        var random = SplitMix64(seed: 0xD157)
        var compared = 0
        for trial in 0..<150 {
            let grammar = RandomGrammar.make(&random)
            let (vocabulary, tokens) = RandomGrammar.vocabulary(&random)
            let reference = MatcherReferenceRecognizer(grammar)
            var matcher = GrammarMatcher(try CompiledGrammar(grammar, vocabulary: vocabulary))
            var history: [UInt8] = []
            for _ in 0..<8 {
                let limit = 6
                let expected = Self.bruteForceDistance(reference, history, limit: limit)
                let distance = matcher.bytesToComplete
                if let expected {
                    #expect(distance == expected, "trial \(trial) history \(String(decoding: history, as: UTF8.self)) grammar \(grammar)")
                } else {
                    #expect(distance > limit, "trial \(trial) history \(String(decoding: history, as: UTF8.self)) grammar \(grammar)")
                }
                compared += 1
                let allowed = MatcherTestSupport.allowed(&matcher).subtracting([RandomGrammar.endToken])
                guard let token = allowed.sorted().randomElement(using: &random) else { break }
                let accepted = matcher.accept(token: token); #expect(accepted)
                history += tokens[token]!
            }
        }
        #expect(compared > 400)
    }

    /// The mask as a set of ids.
    static func ids(_ words: [UInt64]) -> [Int] {
        var ids: [Int] = []
        for (index, word) in words.enumerated() {
            var bits = word
            while bits != 0 {
                ids.append(index * 64 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return ids
    }

    /// One budgeted step: fillMask, then restrictToCompletion when needsCompletionCheck says so.
    /// Checks that a skipped check was safe (every allowed token keeps the bound) and that the
    /// restriction never empties the mask. Returns the allowed ids.
    static func budgetedStep(_ matcher: inout GrammarMatcher, remaining: Int, verifySkip: Bool,
                             restricted: inout Int, comment: @autoclosure () -> String) -> [Int] {
        let vocabulary = matcher.grammar.vocabulary
        var words = [UInt64](repeating: 0, count: vocabulary.maskWordCount)
        words.withUnsafeMutableBufferPointer { matcher.fillMask($0) }
        let before = ids(words)
        if matcher.needsCompletionCheck(remainingTokens: remaining) {
            let removed = words.withUnsafeMutableBufferPointer { matcher.restrictToCompletion(within: remaining, $0) }
            if removed { restricted += 1 }
            let after = ids(words)
            #expect(!before.isEmpty == !after.isEmpty, "\(comment())")
            #expect(Set(after).isSubset(of: before))
            #expect(removed == (after.count != before.count))
            return after
        }
        if verifySkip {
            for token in before where !vocabulary.endTokens.contains(token) {
                var copy = matcher
                let accepted = copy.accept(token: token); #expect(accepted)
                #expect(copy.bytesToComplete <= remaining - 1, "skipped check but token \(token) breaks the budget: \(comment())")
            }
        }
        return before
    }

    /// A random walk that prefers long tokens (and, given `preferred`, those bytes) to provoke
    /// growth: picks the end token only when nothing else is allowed or at random when complete.
    static func pick(_ allowed: [Int], tokens: [[UInt8]?], end: Set<Int>, random: inout SplitMix64,
                     preferred: Set<UInt8> = []) -> Int? {
        guard !allowed.isEmpty else { return nil }
        let text = allowed.filter { !end.contains($0) }
        if text.isEmpty || (allowed.count != text.count && random.next() % 4 == 0) { return allowed.first(where: end.contains) }
        if !preferred.isEmpty, random.next() % 2 == 0 {
            let growing = text.filter { tokens[$0]!.contains(where: preferred.contains) }
            if let token = growing.randomElement(using: &random) { return token }
        }
        let longest = text.map { tokens[$0]!.count }.max()!
        if random.next() % 3 != 0 { return text.filter { tokens[$0]!.count == longest }.randomElement(using: &random) }
        return text.randomElement(using: &random)
    }

    @Test func budgetedRandomWalksEndComplete() throws {
        var random = SplitMix64(seed: 0xB0D6E7)
        var walks = 0
        var restricted = 0
        for trial in 0..<200 {
            let grammar = RandomGrammar.make(&random)
            var (_, tokens) = RandomGrammar.vocabulary(&random)
            for byte in RandomGrammar.alphabet { tokens.append([byte]) }
            for _ in 0..<6 { tokens.append((0..<Int(random.next() % 4) + 4).map { _ in RandomGrammar.alphabet[Int(random.next() % 3)] }) }
            let vocabulary = TokenVocabulary(tokens: tokens, endTokens: [RandomGrammar.endToken])
            let compiled = try CompiledGrammar(grammar, vocabulary: vocabulary)
            let start = GrammarMatcher(compiled).bytesToComplete
            guard start < 40 else { continue }
            for _ in 0..<3 {
                let budget = start + Int(random.next() % 6)
                var matcher = GrammarMatcher(compiled)
                var history: [UInt8] = []
                for used in 0..<budget {
                    let remaining = budget - used
                    #expect(matcher.bytesToComplete <= remaining, "trial \(trial) budget \(budget) after \(String(decoding: history, as: UTF8.self))")
                    let allowed = Self.budgetedStep(&matcher, remaining: remaining, verifySkip: true, restricted: &restricted,
                                                    comment: "trial \(trial) \(grammar) after \(String(decoding: history, as: UTF8.self))")
                    guard let token = Self.pick(allowed, tokens: tokens, end: vocabulary.endTokens, random: &random) else { break }
                    let accepted = matcher.accept(token: token); #expect(accepted)
                    if matcher.isFinished { break }
                    history += tokens[token]!
                }
                #expect(matcher.isFinished || matcher.isComplete, "trial \(trial) budget \(budget) ended incomplete: \(String(decoding: history, as: UTF8.self)) grammar \(grammar)")
                walks += 1
            }
        }
        #expect(walks > 300)
        #expect(restricted > 20)
    }

    static let recursiveSchema = ##"{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}},"required":["name","children"]}"##
    static let openMapSchema = #"{"type":"object","additionalProperties":{"type":"array","items":{"type":"string"}}}"#
    static let stringSchema = #"{"type":"string"}"#

    /// Every single byte, JSON-ish pieces that open structures, and an end token (id 0).
    static func handVocabulary() -> [[UInt8]?] {
        var tokens: [[UInt8]?] = [nil]
        for byte in 0...255 { tokens.append([UInt8(byte)]) }
        for text in [#"{""#, #"[{""#, #"{"name":""#, #"","children":[{"#, #""children":[{""#, #"name"#, #"children"#,
                     #"":[""#, #"",""#, #"":""#, "hello", " world", " the quick brown fox", "\\n", "\\u00e9", "}]", "}]}",
                     #""}"#, "},{", #"},{"name":"x","children":[{"name":""#, "é", "日本", "  "] {
            tokens.append(Array(text.utf8))
        }
        return tokens
    }

    static func budgetedJSONWalks(_ schemas: [String], vocabulary: TokenVocabulary, budget: Int, walksPerSchema: Int,
                                  verifySkips: Int = 2, seed: UInt64) throws -> (walks: Int, restricted: Int) {
        let tokens = vocabulary.tokens
        var random = SplitMix64(seed: seed)
        var walks = 0
        var restricted = 0
        let growing = Set(#"{["#.utf8)
        for schema in schemas {
            let compiled = try CompiledGrammar(try schemaGrammar(schema), vocabulary: vocabulary)
            #expect(GrammarMatcher(compiled).bytesToComplete <= budget)
            for walk in 0..<walksPerSchema {
                var matcher = GrammarMatcher(compiled)
                var output: [UInt8] = []
                for used in 0..<budget {
                    let allowed = budgetedStep(&matcher, remaining: budget - used, verifySkip: walk < verifySkips, restricted: &restricted,
                                               comment: "\(schema) after \(String(decoding: output, as: UTF8.self))")
                    guard let token = pick(allowed, tokens: tokens, end: vocabulary.endTokens, random: &random, preferred: growing) else { break }
                    let accepted = matcher.accept(token: token); #expect(accepted)
                    if matcher.isFinished { break }
                    output += tokens[token]!
                }
                let text = String(decoding: output, as: UTF8.self)
                #expect(matcher.isFinished || matcher.isComplete, "\(schema) ended incomplete: \(text)")
                let parsed = try? JSONSerialization.jsonObject(with: Data(output), options: .fragmentsAllowed)
                #expect(parsed != nil, "not JSON: \(text)")
                if schema == recursiveSchema, let parsed { #expect(validTree(parsed), "\(text)") }
                walks += 1
            }
        }
        return (walks, restricted)
    }

    static func validTree(_ value: Any) -> Bool {
        guard let object = value as? [String: Any], object["name"] is String, let children = object["children"] as? [Any] else { return false }
        return children.allSatisfy(validTree)
    }

    @Test func budgetedJSONWalksParse() throws {
        let tokens = Self.handVocabulary()
        let (walks, restricted) = try Self.budgetedJSONWalks([Self.recursiveSchema, Self.openMapSchema, Self.stringSchema],
                                                             vocabulary: TokenVocabulary(tokens: tokens, endTokens: [0]),
                                                             budget: 64, walksPerSchema: 40, seed: 99)
        #expect(walks == 120)
        #expect(restricted > 40)
    }

    /// Every schema of the structured-output corpus (tests/python/fixtures/structured_schemas):
    /// budgeted walks over the hand vocabulary end complete and parse as JSON.
    @Test func budgetedWalksOverTheSchemaCorpus() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = root.appendingPathComponent("tests/python/fixtures/structured_schemas")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(names.count > 100)
        let vocabulary = TokenVocabulary(tokens: Self.handVocabulary(), endTokens: [0])
        let tokens = vocabulary.tokens
        var random = SplitMix64(seed: 11)
        var walks = 0
        var restricted = 0
        for name in names {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            guard let grammar = try? schemaGrammar(text), let compiled = try? CompiledGrammar(grammar, vocabulary: vocabulary) else { continue }
            let start = GrammarMatcher(compiled).bytesToComplete
            guard start < 400 else { continue }
            for walk in 0..<3 {
                let budget = start + [0, 8, 40][walk]
                var matcher = GrammarMatcher(compiled)
                var output: [UInt8] = []
                for used in 0..<budget {
                    let allowed = Self.budgetedStep(&matcher, remaining: budget - used, verifySkip: walk == 2, restricted: &restricted,
                                                    comment: "\(name) after \(String(decoding: output, as: UTF8.self))")
                    guard let token = Self.pick(allowed, tokens: tokens, end: vocabulary.endTokens, random: &random,
                                                preferred: Set(#"{["#.utf8)) else { break }
                    let accepted = matcher.accept(token: token)
                    #expect(accepted)
                    if matcher.isFinished { break }
                    output += tokens[token]!
                }
                let document = String(decoding: output, as: UTF8.self)
                #expect(matcher.isFinished || matcher.isComplete, "\(name) budget \(budget) ended incomplete: \(document)")
                #expect((try? JSONSerialization.jsonObject(with: Data(output), options: .fragmentsAllowed)) != nil,
                        "\(name): not JSON: \(document)")
                walks += 1
            }
        }
        #expect(walks > 300)
        print("schema corpus: \(walks) budgeted walks, \(restricted) restricted masks")
    }

    /// The check is skipped while the budget is far, and fires near its end.
    @Test func checkOnlyNearTheEnd() throws {
        let vocabulary = TokenVocabulary(tokens: Self.handVocabulary(), endTokens: [0])
        let compiled = try CompiledGrammar(try schemaGrammar(Self.recursiveSchema), vocabulary: vocabulary)
        var matcher = GrammarMatcher(compiled)
        #expect(matcher.bytesToComplete == #"{"name":"","children":[]}"#.utf8.count)
        var words = [UInt64](repeating: 0, count: vocabulary.maskWordCount)
        let accepted = matcher.accept(bytes: Array(#"{"name":"abc"#.utf8)); #expect(accepted)
        words.withUnsafeMutableBufferPointer { matcher.fillMask($0) }
        #expect(!matcher.needsCompletionCheck(remainingTokens: 1000))
        #expect(matcher.needsCompletionCheck(remainingTokens: 5))
        #expect(matcher.bytesToComplete == #"","children":[]}"#.utf8.count)
    }

    /// The same over the default model's real vocabulary (49,152 byte-level BPE tokens), with timings: fillMask + needsCompletionCheck on every step,
    /// restrictToCompletion where the check fired; and a walk whose budget is far, where the
    /// check must not fire.
    @Test func budgetedJSONWalksOverTheRealVocabulary() throws {
        let (vocabulary, _) = try MatcherRealVocabularyTests.loaded.get()
        // 235 of the 256 bytes are tokens: all printable ASCII, tab, newline and UTF-8
        // continuation bytes, which is every byte a shortest JSON completion can need (the
        // missing ones are other control bytes and UTF-8 lead bytes C0 C1 F1 F2 F5...FF).
        let singleBytes = Set(vocabulary.tokens.compactMap { $0?.count == 1 ? $0![0] : nil })
        #expect(singleBytes.isSuperset(of: [0x09, 0x0A] + Array(0x20...0x7E) + Array(0x80...0xBF)))
        let (walks, restricted) = try Self.budgetedJSONWalks([Self.recursiveSchema, Self.openMapSchema, Self.stringSchema],
                                                             vocabulary: vocabulary, budget: 64, walksPerSchema: 6,
                                                             verifySkips: 0, seed: 7)
        #expect(walks == 18)
        #expect(restricted > 0)
        print("real vocabulary: \(walks) budgeted walks, \(restricted) restricted masks")

        // Timings (this build's configuration): a far budget, then its last 64 tokens.
        let compiled = try CompiledGrammar(try schemaGrammar(Self.recursiveSchema), vocabulary: vocabulary)
        var random = SplitMix64(seed: 3)
        var plain: [Double] = []
        var checked: [Double] = []
        var restrictions: [Double] = []
        var fired = 0
        let budget = 300
        var matcher = GrammarMatcher(compiled)
        var words = [UInt64](repeating: 0, count: vocabulary.maskWordCount)
        let clock = ContinuousClock()
        var output: [UInt8] = []
        for used in 0..<budget {
            let remaining = budget - used
            // Warm the position's cache first: cache walks are not what is measured here.
            words.withUnsafeMutableBufferPointer { matcher.fillMask($0) }
            let start = clock.now
            words.withUnsafeMutableBufferPointer { matcher.fillMask($0) }
            let middle = clock.now
            let needed = matcher.needsCompletionCheck(remainingTokens: remaining)
            let end = clock.now
            plain.append((middle - start) / .microseconds(1))
            checked.append((end - start) / .microseconds(1))
            if needed {
                fired += 1
                let before = clock.now
                _ = words.withUnsafeMutableBufferPointer { matcher.restrictToCompletion(within: remaining, $0) }
                restrictions.append((clock.now - before) / .microseconds(1))
            }
            // One token raises the distance by far less than 100 bytes in this grammar.
            if remaining > matcher.bytesToComplete + 100 {
                #expect(!needed, "check fired \(remaining) tokens before the end at \(matcher.bytesToComplete) bytes")
            }
            let allowed = Self.ids(words)
            // The end token only when nothing else is allowed: a long walk.
            let text = allowed.filter { !vocabulary.endTokens.contains($0) }
            guard let token = Self.pick(text.isEmpty ? allowed : text, tokens: vocabulary.tokens, end: vocabulary.endTokens,
                                        random: &random, preferred: Set("{[".utf8)) else { break }
            let accepted = matcher.accept(token: token)
            #expect(accepted)
            if matcher.isFinished { break }
            output += vocabulary.tokens[token]!
        }
        #expect(matcher.isFinished || matcher.isComplete)
        #expect((try? JSONSerialization.jsonObject(with: Data(output))) != nil, "\(String(decoding: output, as: UTF8.self))")
        func summary(_ values: [Double]) -> String {
            guard !values.isEmpty else { return "none" }
            let sorted = values.sorted()
            let mean = values.reduce(0, +) / Double(values.count)
            return "n \(values.count) mean \(Int(mean)) µs p50 \(Int(sorted[sorted.count / 2])) µs p99 \(Int(sorted[min(sorted.count - 1, sorted.count * 99 / 100)])) µs"
        }
        print("""
            far-budget walk (\(plain.count) steps, check fired \(fired)): fillMask \(summary(plain)); \
            fillMask + needsCompletionCheck \(summary(checked)); restrictToCompletion \(summary(restrictions))
            """)
    }
}
