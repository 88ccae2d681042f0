import SluiceAPI
import Testing
@testable import SluiceGrammar

/// The grammar of one schema (JSON text), compiled on its own builder.
func schemaGrammar(_ schemaText: String, options: JSONSchemaOptions = JSONSchemaOptions()) throws -> Grammar {
    let schema = try JSONParser.parse(schemaText)
    var builder = GrammarBuilder()
    let root = try JSONSchemaCompiler(options: options).compile(schema, into: &builder)
    return builder.build(root: root)
}

/// The JSONSchemaError compiling `schemaText` throws (nil, and a recorded issue, when it compiles).
func schemaError(_ schemaText: String, options: JSONSchemaOptions = JSONSchemaOptions(),
                 sourceLocation: SourceLocation = #_sourceLocation) -> JSONSchemaError? {
    let schema: JSONValue
    do { schema = try JSONParser.parse(schemaText) } catch {
        Issue.record("schema does not parse: \(error)", sourceLocation: sourceLocation)
        return nil
    }
    var builder = GrammarBuilder()
    do {
        _ = try JSONSchemaCompiler(options: options).compile(schema, into: &builder)
        Issue.record("schema compiled, expected an error", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Checks documents (compact JSON text) against the grammar of a schema.
func expectSchema(_ schemaText: String, options: JSONSchemaOptions = JSONSchemaOptions(),
                  accepts valid: [String], rejects invalid: [String] = [],
                  sourceLocation: SourceLocation = #_sourceLocation) {
    let grammar: Grammar
    do { grammar = try schemaGrammar(schemaText, options: options) } catch {
        Issue.record("schema does not compile: \(error)", sourceLocation: sourceLocation)
        return
    }
    let recognizer = ReferenceRecognizer(grammar)
    for document in valid {
        #expect(recognizer.accepts(document), "should accept \(document)", sourceLocation: sourceLocation)
    }
    for document in invalid {
        #expect(!recognizer.accepts(document), "should reject \(document)", sourceLocation: sourceLocation)
    }
}
