import Testing
@testable import SluiceGrammar

@Suite struct GrammarBuilderTests {
    @Test func recursiveRulesAreDeclaredBeforeTheyAreDefined() {
        var builder = GrammarBuilder()
        let list = builder.declare("list")
        builder.define(list, .sequence([.literal("["), .optional(.rule(list)), .literal("]")]))
        let grammar = builder.build(root: .rule(list))
        #expect(grammar.rules.count == 2)
        #expect(grammar.ruleNames[grammar.root.index] == "root")
        #expect(ByteSet(UInt8(ascii: "a")...UInt8(ascii: "c")).contains(UInt8(ascii: "b")))
        #expect(!ByteSet([1, 2]).contains(3))
    }
}
