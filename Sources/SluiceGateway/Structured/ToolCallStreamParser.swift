import SluiceAPI

/// Splits one choice's generated text into content and tool calls as it arrives, for the stream
/// (OpenAI's tool-call deltas: a call's first piece carries its id and name, later pieces append
/// argument text) and, fed the whole text at once, for the non-streamed answer, so both shapes
/// come from one reading of the same text and always agree.
///
/// Before the format's trigger (`<tool_call>`) text is content, held back only while it could be
/// the start of the trigger. From the trigger on, the text is scanned as JSON: each top-level
/// object is one call, its `name` string and the raw text of its arguments value (`arguments`, or
/// `parameters` for Llama 3) are taken as written, so the streamed fragments concatenate to
/// exactly the non-streamed `arguments`. Text between and around the objects (the tags) is
/// dropped. If the trigger appeared but no call could be read (only possible when the model was
/// unconstrained, `tool_choice: auto`), the withheld text is given back as content at the end.
struct ToolCallStreamParser: Sendable {
    enum Piece: Equatable, Sendable {
        case content(String)
        case callStarted(index: Int, id: String, name: String)
        case arguments(index: Int, String)
    }

    let format: ToolCallFormat
    private let makeID: @Sendable () -> String
    private let trigger: [Character]

    private var inCalls = false
    private var held = ""
    /// Everything from the trigger on, for the fallback.
    private var region = ""
    private(set) var content = ""
    private(set) var calls: [WireToolCall] = []

    // JSON scanner state over the calls region.
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var expectingKey = false
    private var stringText = ""
    private var stringIsKey = false
    private var currentKey: String?
    /// Inside the arguments value of the current call (its depth when it started, and whether it
    /// is a container whose end is a closing bracket at that depth).
    private var argumentsDepth: Int?
    private var argumentsStarted = false
    private var pendingArguments = ""
    private var callName: String?
    private var callStarted = false
    private var callIndex = -1

    init(format: ToolCallFormat, makeID: @escaping @Sendable () -> String = ToolCallStreamParser.randomCallID) {
        self.format = format
        self.makeID = makeID
        self.trigger = Array(format.trigger)
    }

    /// `call_` and 24 random letters and digits, like OpenAI's.
    static func randomCallID() -> String {
        var generator = SystemRandomNumberGenerator()
        return ResponseIdentity.makeID(prefix: "call_", using: &generator)
    }

    var hasCalls: Bool { !calls.isEmpty }

    mutating func append(_ text: String) -> [Piece] {
        var pieces: [Piece] = []
        if inCalls {
            region += text
            scan(text, into: &pieces)
            return pieces
        }
        held += text
        let heldCharacters = Array(held)
        if let start = Self.find(trigger, in: heldCharacters) {
            let before = String(heldCharacters[..<start])
            let rest = String(heldCharacters[start...])
            held = ""
            emitContent(before, into: &pieces)
            inCalls = true
            region = rest
            scan(rest, into: &pieces)
            return pieces
        }
        // Keep back the longest tail that could still grow into the trigger.
        var keep = min(trigger.count - 1, heldCharacters.count)
        while keep > 0, Array(heldCharacters.suffix(keep)) != Array(trigger.prefix(keep)) { keep -= 1 }
        emitContent(String(heldCharacters.dropLast(keep)), into: &pieces)
        held = String(heldCharacters.suffix(keep))
        return pieces
    }

    /// The text ended: held-back content is released; a calls region without a single readable
    /// call becomes content after all.
    mutating func finish() -> [Piece] {
        var pieces: [Piece] = []
        if !inCalls {
            emitContent(held, into: &pieces)
            held = ""
        } else if calls.isEmpty {
            emitContent(region, into: &pieces)
            region = ""
        }
        return pieces
    }

    private mutating func emitContent(_ text: String, into pieces: inout [Piece]) {
        guard !text.isEmpty else { return }
        content += text
        pieces.append(.content(text))
    }

    private static func find(_ needle: [Character], in haystack: [Character]) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }

    // MARK: The JSON scanner

    private mutating func scan(_ text: String, into pieces: inout [Piece]) {
        for character in text {
            step(character, into: &pieces)
        }
    }

    private mutating func step(_ character: Character, into pieces: inout [Piece]) {
        // A scalar arguments value ends before the comma or brace that follows it.
        if argumentsDepth == 1, !inString, depth == 1, character == "," || character == "}" || character.isWhitespace {
            argumentsDepth = nil
        }
        let inArguments = argumentsDepth != nil
        if inArguments { appendArguments(character, into: &pieces) }
        if inString {
            if escaped {
                escaped = false
                if !inArguments { stringText.append(character) }
            } else if character == "\\" {
                escaped = true
                if !inArguments { stringText.append(character) }
            } else if character == "\"" {
                inString = false
                if !inArguments { endString(into: &pieces) }
            } else if !inArguments {
                stringText.append(character)
            }
            if inArguments, argumentsDepth == 1, !inString { argumentsDepth = nil }  // a string value ended
            return
        }
        switch character {
        case "\"":
            guard depth > 0 else { return }
            inString = true
            stringText = ""
            stringIsKey = depth == 1 && expectingKey && !inArguments
        case "{", "[":
            if depth == 0, character == "{" { beginCall() }
            guard depth > 0 || character == "{" else { return }
            depth += 1
            if depth == 2, argumentsDepth == nil, currentKey == format.argumentsKey {
                // The arguments value is a container: it started with this bracket.
                startArguments(with: character, into: &pieces)
            }
            expectingKey = character == "{" && depth == 1
        case "}", "]":
            guard depth > 0 else { return }
            depth -= 1
            if let start = argumentsDepth, depth < start {
                endArguments(into: &pieces)
            }
            if depth == 0 { endCall(into: &pieces) }
        case ",":
            if depth == 1 {
                if argumentsDepth != nil { endArguments(into: &pieces) }
                expectingKey = true
                currentKey = nil
            }
        case ":":
            if depth == 1 { expectingKey = false }
        default:
            // A scalar arguments value (a number, true, …) starts with its first non-space character.
            if depth == 1, currentKey == format.argumentsKey, argumentsDepth == nil, !character.isWhitespace, !expectingKey {
                startArguments(with: character, into: &pieces)
            }
        }
    }

    private mutating func endString(into pieces: inout [Piece]) {
        guard depth == 1 else { return }
        if stringIsKey {
            currentKey = stringText
            return
        }
        if currentKey == "name", callName == nil {
            callName = stringText
            startCallIfNamed(into: &pieces)
        }
    }

    private mutating func beginCall() {
        callName = nil
        callStarted = false
        argumentsStarted = false
        argumentsDepth = nil
        pendingArguments = ""
        currentKey = nil
        expectingKey = true
    }

    private mutating func startArguments(with character: Character, into pieces: inout [Piece]) {
        argumentsDepth = character == "{" || character == "[" ? 2 : 1
        argumentsStarted = true
        appendArguments(character, into: &pieces)
    }

    private mutating func appendArguments(_ character: Character, into pieces: inout [Piece]) {
        if callStarted {
            calls[callIndex].function.arguments.append(character)
            // One piece per call per append, not one per character.
            if case .arguments(let index, let text)? = pieces.last, index == callIndex {
                pieces[pieces.count - 1] = .arguments(index: index, text + String(character))
            } else {
                pieces.append(.arguments(index: callIndex, String(character)))
            }
        } else {
            pendingArguments.append(character)
        }
    }

    private mutating func endArguments(into pieces: inout [Piece]) {
        argumentsDepth = nil
        currentKey = nil
    }

    private mutating func startCallIfNamed(into pieces: inout [Piece]) {
        guard let name = callName, !callStarted else { return }
        callIndex = calls.count
        calls.append(WireToolCall(id: makeID(), name: name, arguments: ""))
        callStarted = true
        pieces.append(.callStarted(index: callIndex, id: calls[callIndex].id, name: name))
        if !pendingArguments.isEmpty {
            calls[callIndex].function.arguments = pendingArguments
            pieces.append(.arguments(index: callIndex, pendingArguments))
            pendingArguments = ""
        }
    }

    private mutating func endCall(into pieces: inout [Piece]) {
        argumentsDepth = nil
        if callStarted, !argumentsStarted {  // a call without arguments: an empty object, as OpenAI sends
            calls[callIndex].function.arguments = "{}"
            pieces.append(.arguments(index: callIndex, "{}"))
        }
        callName = nil
        callStarted = false
    }
}
