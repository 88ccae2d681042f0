import Testing
@testable import SluiceEngine

/// A template that cannot be rendered gives a clear error value, never a
/// wrong prompt or a crash, including hostile templates and inputs.
@Suite struct TemplateErrorTests {
    func renderError(_ source: String, _ context: [String: TemplateValue] = [:]) -> ChatTemplateError? {
        do {
            _ = try ChatTemplate(source: source).render(context: context)
            return nil
        } catch {
            return error
        }
    }

    @Test func unknownFilterIsUnsupported() {
        let error = renderError("{{ 'x' | frobnicate }}")
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("frobnicate") == true)
    }

    @Test func syntaxErrorsReportTheLine() {
        let unclosed = renderError("line1\n{% if true %}never closed")
        #expect(unclosed?.kind == .syntax)
        let badExpression = renderError("a\nb\n{{ 1 + }}")
        #expect(badExpression?.kind == .syntax)
        #expect(badExpression?.line == 3)
        #expect(renderError("{{ 'unterminated }}")?.kind == .syntax)
        #expect(renderError("{% endfor %}")?.kind == .syntax)
        #expect(renderError("{% include 'x' %}")?.kind == .unsupported)
        #expect(renderError("{{ x ")?.kind == .syntax)
    }

    @Test func raiseExceptionCarriesTheTemplatesMessage() {
        let error = renderError("{{ raise_exception('bad role') }}")
        #expect(error == ChatTemplateError(.raisedByTemplate, "bad role"))
    }

    @Test func undefinedAttributeChainsAndTypeErrorsAreEvaluationErrors() {
        #expect(renderError("{{ missing.attr }}")?.kind == .evaluation)
        #expect(renderError("{{ 1 + 'a' }}")?.kind == .evaluation)
        #expect(renderError("{{ 1 // 0 }}")?.kind == .evaluation)
        #expect(renderError("{{ 9223372036854775807 + 1 }}")?.kind == .evaluation)
        #expect(renderError("{{ nofunction() }}")?.kind == .unsupported)
    }

    @Test func outputSizeIsBounded() {
        let template = try? ChatTemplate(source: "{% for i in range(100000) %}{{ 'xxxxxxxxxx' * 1000 }}{% endfor %}",
                                         limits: .init(maxOutputBytes: 1 << 20))
        #expect(throws: ChatTemplateError.self) { try template?.render(context: [:]) }
        #expect(renderError("{% for i in range(1000000000) %}{% endfor %}")?.kind == .limitExceeded)
        #expect(renderError("{{ 'x' * 100000000 }}")?.kind == .limitExceeded)
    }

    @Test func recursionAndNestingAreBounded() {
        #expect(renderError("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")?.kind == .limitExceeded)
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        #expect(renderError("{{ \(deep) }}")?.kind == .limitExceeded)
        let nestedIfs = String(repeating: "{% if true %}", count: 500) + String(repeating: "{% endif %}", count: 500)
        #expect(renderError(nestedIfs)?.kind == .limitExceeded)
    }

    @Test func deeplyNestedValuesAreRefused() throws {
        // A template that nests a list in itself in a loop stops at the nesting limit.
        #expect(renderError("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}")?.kind
            == .limitExceeded)
        // So does a client value nested 10,000 deep (tools are client JSON).
        var nested: TemplateValue = "leaf"
        for _ in 0..<10_000 { nested = [nested] }
        #expect(renderError("{{ tools }}", ["tools": nested])?.kind == .limitExceeded)
        // Within the limit, nesting is fine.
        var shallow: TemplateValue = 1
        for _ in 0..<20 { shallow = [shallow] }
        #expect(renderError("{{ v | tojson }}", ["v": shallow]) == nil)
    }

    @Test func stepLimitStopsRunawayLoops() {
        let template = try? ChatTemplate(source: "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}",
                                         limits: .init(maxSteps: 100_000))
        #expect(throws: ChatTemplateError(.limitExceeded, "template evaluation exceeded 100000 steps")) {
            try template?.render(context: [:])
        }
    }

    @Test func hostileMessageContentIsRenderedAsData() throws {
        // Jinja syntax inside a message is text, never evaluated.
        let template = try ChatTemplate(source: TemplateReferenceTests.smolLM2Template)
        let prompt = try template.render(messages: [ChatMessage(role: "user", content: "{{ raise_exception('x') }}{% for %}")])
        #expect(prompt.contains("{{ raise_exception('x') }}{% for %}"))
    }
}
