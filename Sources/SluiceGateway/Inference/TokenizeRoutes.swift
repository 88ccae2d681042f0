import SluiceAPI
import SluiceHTTP

// `POST /tokenize` and `POST /detokenize` as vLLM and llama.cpp offer them, for clients that count
// tokens before sending:
//   {"model"?, "prompt": str, "add_special_tokens"?: bool} → {"tokens": [int], "count", "max_model_len"}
//   {"model"?, "tokens": [int]}                              → {"prompt": str}
// llama.cpp's `content` is accepted in place of `prompt`.
extension InferenceRoutes {
    func tokenize(_ request: HTTPRequest) -> HTTPResponse {
        do throws(APIError) {
            let body = try Self.jsonObject(request.body)
            try checkModel(body)
            guard case .string(let text)? = body["prompt"] ?? body["content"] else {
                throw APIError.invalidRequest("Missing required parameter: 'prompt' (a string).", param: "prompt")
            }
            var addSpecial = true
            if let value = body["add_special_tokens"] {
                guard case .bool(let flag) = value else {
                    throw APIError.invalidRequest("Invalid type for 'add_special_tokens': expected a boolean.", param: "add_special_tokens")
                }
                addSpecial = flag
            }
            let tokens = model.tokenizer.encode(text, addSpecialTokens: addSpecial, parseSpecial: true)
            let list = tokens.map(String.init).joined(separator: ",")
            let json = "{\"tokens\":[\(list)],\"count\":\(tokens.count),\"max_model_len\":\(model.maxModelLength)}"
            return HTTPResponse(headers: ["Content-Type": "application/json"], bytes: Array(json.utf8))
        } catch {
            return error.response()
        }
    }

    func detokenize(_ request: HTTPRequest) -> HTTPResponse {
        do throws(APIError) {
            let body = try Self.jsonObject(request.body)
            try checkModel(body)
            guard case .array(let items)? = body["tokens"] else {
                throw APIError.invalidRequest("Missing required parameter: 'tokens' (an array of token ids).", param: "tokens")
            }
            var ids: [Int] = []
            for (index, item) in items.enumerated() {
                guard case .integer(let value) = item, value >= 0, value < Int64(model.tokenizer.vocabularySize) else {
                    throw APIError.invalidRequest("Invalid 'tokens[\(index)]': expected a token id below \(model.tokenizer.vocabularySize).", param: "tokens[\(index)]")
                }
                ids.append(Int(value))
            }
            let json = "{\"prompt\":\(JSONText.quoted(model.tokenizer.decode(ids)))}"
            return HTTPResponse(headers: ["Content-Type": "application/json"], bytes: Array(json.utf8))
        } catch {
            return error.response()
        }
    }

    static func jsonObject(_ bytes: [UInt8]) throws(APIError) -> JSONValue {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw APIError.invalidJSON(error) }
        guard case .object = value else {
            throw APIError.invalidRequest("The request body must be a JSON object.", param: nil)
        }
        return value
    }

    private func checkModel(_ body: JSONValue) throws(APIError) {
        guard let value = body["model"], value != .null else { return }
        guard case .string(let name) = value, name == model.id else {
            if case .string(let name) = value { throw APIError.modelNotFound(name) }
            throw APIError.invalidRequest("Invalid type for 'model': expected a string.", param: "model")
        }
    }
}
