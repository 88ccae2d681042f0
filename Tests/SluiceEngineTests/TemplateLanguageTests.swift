import Testing
@testable import SluiceEngine

/// The Jinja subset, one feature per test.
@Suite struct TemplateLanguageTests {
    func render(_ source: String, _ context: [String: TemplateValue] = [:]) throws -> String {
        try ChatTemplate(source: source).render(context: context)
    }

    @Test func trimBlocksAndLstripBlocksMatchHuggingFaceSettings() throws {
        let source = "<ul>\n    {% if true %}\n    <li>a</li>\n    {% endif %}\n</ul>"
        #expect(try render(source) == "<ul>\n    <li>a</li>\n</ul>")
        // Variable tags are not lstripped; trim_blocks only follows block tags.
        #expect(try render("{% for x in xs %}\n  {{ x }}\n{% endfor %}", ["xs": [1, 2]]) == "  1\n  2\n")
        // `{%+` keeps the indentation, `+%}` keeps the newline.
        #expect(try render("  {%+ if true +%}\nA{% endif %}") == "  \nA")
    }

    @Test func dashMarkersStripAllAdjacentWhitespace() throws {
        #expect(try render("a  \n {{- 'b' -}} \n\n c") == "abc")
        #expect(try render("a\n{%- if true -%}\n  b  \n{%- endif %}") == "ab")
        #expect(try render("x {# comment #} y") == "x  y")
        #expect(try render("x\n  {#- comment -#}\n  y") == "xy")
    }

    @Test func newlinesAreNormalisedAndOneTrailingNewlineDropped() throws {
        #expect(try render("Hi\n") == "Hi")
        #expect(try render("Hi\n\n") == "Hi\n")
        #expect(try render("a\r\nb\rc") == "a\nb\nc")
    }

    @Test func rawBlocksAreLiteral() throws {
        #expect(try render("{% raw %}{{ not evaluated }}{% endraw %}") == "{{ not evaluated }}")
    }

    @Test func conditionalsWithElifAndElse() throws {
        let source = "{% if n > 2 %}big{% elif n == 2 %}two{% else %}small{% endif %}"
        #expect(try render(source, ["n": 3]) == "big")
        #expect(try render(source, ["n": 2]) == "two")
        #expect(try render(source, ["n": 1]) == "small")
    }

    @Test func loopVariablesAndElse() throws {
        let source = "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% else %}empty{% endfor %}"
        #expect(try render(source, ["xs": ["a", "b"]]) == "102TrueFalse2;211FalseTrue2;")
        #expect(try render(source, ["xs": []]) == "empty")
        #expect(try render("{% for x in xs if x > 1 %}{{ x }}{{ loop.length }} {% endfor %}", ["xs": [1, 2, 3]]) == "22 32 ")
        #expect(try render("{% for x in 'ab' %}{{ loop.cycle('odd', 'even') }}{% endfor %}") == "oddeven")
    }

    @Test func breakAndContinue() throws {
        #expect(try render("{% for x in range(10) %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}") == "023")
    }

    @Test func setIsLoopScopedButNamespaceIsShared() throws {
        let source = "{% set n = 0 %}{% set ns = namespace(n=0) %}{% for x in [1, 2, 3] %}{% set n = n + x %}{% set ns.n = ns.n + x %}{% endfor %}{{ n }}/{{ ns.n }}"
        #expect(try render(source) == "0/6")
    }

    @Test func blockSetCapturesOutput() throws {
        #expect(try render("{% set greeting %}Hello {{ name }}{% endset %}[{{ greeting | upper }}]", ["name": "Bo"]) == "[HELLO BO]")
        #expect(try render("{% set a, b = [1, 2] %}{{ b }}{{ a }}") == "21")
    }

    @Test func macrosWithDefaultsAndKeywordArguments() throws {
        let source = "{% macro tag(name, close=true) %}<{{ name }}>{% if close %}</{{ name }}>{% endif %}{% endmacro %}{{ tag('a') }}{{ tag('b', close=false) }}"
        #expect(try render(source) == "<a></a><b>")
    }

    @Test func arithmeticFollowsPython() throws {
        #expect(try render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }}")
            == "3 -4 1 2 3.5 1024 7 9")
        #expect(try render("{{ 'ab' * 3 }} {{ 'a' + 'b' }} {{ 1 ~ 'x' ~ none }} {{ 4 / 2 }}") == "ababab ab 1xNone 2.0")
    }

    @Test func comparisonsLogicAndMembership() throws {
        #expect(try render("{{ 1 < 2 and not false }} {{ 'b' in 'abc' }} {{ 3 not in [1, 2] }} {{ 'k' in {'k': 1} }} {{ none or 'x' }}")
            == "True True True True x")
        #expect(try render("{{ 'yes' if flag else 'no' }}|{{ 'only' if flag }}|", ["flag": false]) == "no||")
    }

    @Test func indexingSlicingAndAttributes() throws {
        let context: [String: TemplateValue] = ["xs": [1, 2, 3, 4], "s": "hello", "d": .object(["a": .object(["b": "deep"])])]
        #expect(try render("{{ xs[0] }}{{ xs[-1] }}{{ xs[1:3] }}{{ xs[::-1] }}{{ s[::-1] }}{{ s[1:] }}{{ d.a.b }}{{ d['a']['b'] }}", context)
            == "14[2, 3][4, 3, 2, 1]ollehellodeepdeep")
        #expect(try render("{{ xs[10] is defined }}{{ d.missing is defined }}{{ d.missing }}", context) == "FalseFalse")
    }

    @Test func testsWithIsAndIsNot() throws {
        let source = "{{ x is string }}{{ x is not none }}{{ y is none }}{{ z is defined }}{{ 4 is divisibleby 2 }}{{ 3 is odd }}{{ d is mapping }}{{ xs is iterable }}{{ 1 is number }}"
        #expect(try render(source, ["x": "s", "y": nil, "d": .object(["a": 1]), "xs": [1]]) == "TrueTrueTrueFalseTrueTrueTrueTrueTrue")
    }

    @Test func stringMethods() throws {
        #expect(try render("{{ '  a b  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  a'.lstrip() }}|{{ 'a  '.rstrip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}")
            == "a b|a|a|a|['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']")
        #expect(try render("{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith('bc') }}{{ 'abc'.startswith(('x', 'a')) }}{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}{{ 'a-b'.replace('-', '+') }}{{ 'hello world'.title() }}")
            == "TrueTrueTrueABaba+bHello World")
    }

    @Test func dictMethods() throws {
        let context: [String: TemplateValue] = ["d": .object(["b": 1, "a": 2])]
        #expect(try render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ d.get('a') }}{{ d.get('z', 'none') }}{{ d.keys() | list }}", context)
            == "b=1;a=2;2none['b', 'a']")
    }

    @Test func filters() throws {
        #expect(try render("{{ '  x ' | trim }}{{ [1, 2] | length }}{{ 'ab' | upper }}{{ 'AB' | lower }}{{ [1, 2] | join('-') }}{{ [3, 4] | first }}{{ [3, 4] | last }}")
            == "x2ABab1-234")
        #expect(try render("{{ missing | default('dflt') }}{{ '' | default('e', true) }}{{ 'a.b' | replace('.', '!') }}{{ 'abc' | list }}{{ 3 | string }}{{ '42' | int + 1 }}{{ 'hello' | capitalize }}{{ '<b>' | safe }}")
            == "dfltea!b['a', 'b', 'c']343Hello<b>")
        let users: TemplateValue = [.object(["name": "a", "admin": true]), .object(["name": "b", "admin": false])]
        #expect(try render("{{ users | selectattr('admin') | map(attribute='name') | join(',') }}|{{ users | rejectattr('admin') | map(attribute='name') | list }}|{{ users | selectattr('name', 'equalto', 'b') | list | length }}", ["users": users])
            == "a|['b']|1")
        #expect(try render("{{ [3, 1, 2] | sort | list }}{{ [1, 2] | reverse | list }}{{ ['a', 'b'] | map('upper') | join }}") == "[1, 2, 3][2, 1]AB")
    }

    @Test func aggregateAndEscapeFilters() throws {
        #expect(try render("{{ [3, 1, 2] | min }}{{ [3, 1, 2] | max }}{{ [1, 2, 3] | sum }}{{ xs | sum(attribute='n') }}{{ '<a href=\"x\">&' | e }}",
                           ["xs": [.object(["n": 2]), .object(["n": 5])]]) == "1367&lt;a href=&#34;x&#34;&gt;&amp;")
    }

    @Test func tojsonMatchesPythonJsonDumps() throws {
        let value: TemplateValue = .object(["b": [1, 2.5, true, nil], "a": "é\"\n"])
        #expect(try render("{{ v | tojson }}", ["v": value]) == #"{"b": [1, 2.5, true, null], "a": "é\"\n"}"#)
        #expect(try render("{{ v | tojson(indent=2) }}", ["v": .object(["k": [1]])]) == "{\n  \"k\": [\n    1\n  ]\n}")
    }

    @Test func printsValuesLikePython() throws {
        #expect(try render("{{ [1, 'a', none, true, 1.0] }} {{ {'k': 'v'} }} {{ none }} {{ missing }}") == "[1, 'a', None, True, 1.0] {'k': 'v'} None ")
    }

    @Test func filterBlocksAndGenerationTags() throws {
        #expect(try render("{% filter upper %}abc{% endfilter %}") == "ABC")
        #expect(try render("{% generation %}kept{% endgeneration %}") == "kept")
    }

    @Test func stringLiteralEscapes() throws {
        #expect(try render(#"{{ 'a\nb' }}{{ "q\"q" }}{{ 'it\'s' }}{{ 'x' 'y' }}"#) == "a\nbq\"qit'sxy")
    }

    @Test func strftimeNowUsesInjectedDate() throws {
        let template = try ChatTemplate(source: "{% if strftime_now is defined %}{{ strftime_now('%d %b %Y') }}{% else %}none{% endif %}")
        #expect(try template.render(context: [:]) == "none")
        #expect(try template.render(context: [:], date: .init(timeIntervalSince1970: 0)) == "01 Jan 1970")
    }
}
