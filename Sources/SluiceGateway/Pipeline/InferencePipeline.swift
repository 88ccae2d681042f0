import Foundation
import SluiceAPI
import SluiceHTTP

/// The one path every inference route takes (TGI's and vLLM's shape: endpoints are adapters onto
/// one generate path):
///
///     parse and validate → authorize the model once → response-cache lookup → admission
///     → submit to the backend → stream or collect → settle → cache fill
///
/// (metrics and the access log wrap it in `RequestMiddleware` and the engine service). A route
/// contributes only its `WireAdapter`. The caller's `AccessContext` is read once, where the auth
/// middleware left it, and passed explicitly from there on.
public struct InferencePipeline: Sendable {
    public let model: ServedLanguageModel
    public let backend: any InferenceBackend
    /// The served model id for a requested id or alias; nil: 404 model_not_found.
    let resolveModel: @Sendable (String) -> String?
    /// Seconds after which a job is cancelled with a 504 (nil: no limit).
    let requestTimeoutSeconds: Double?
    /// Quiet streams send a `: keep-alive` comment this often.
    let keepAlive: Duration
    /// Who may reuse whose prefix-cache blocks (`--prefix-cache-scope`).
    let prefixCacheScope: PrefixCacheScope
    /// Unix seconds for `created` (injected for tests).
    let unixTime: @Sendable () -> Int
    static let systemFingerprint = "fp_sluice"

    public init(model: ServedLanguageModel, backend: any InferenceBackend,
                resolveModel: (@Sendable (String) -> String?)? = nil, requestTimeoutSeconds: Double? = nil,
                sseKeepAliveSeconds: Double = 15, prefixCacheScope: PrefixCacheScope = .shared,
                unixTime: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }) {
        self.model = model
        self.backend = backend
        let servedID = model.id
        self.resolveModel = resolveModel ?? { $0 == servedID ? servedID : nil }
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.keepAlive = .milliseconds(Int(sseKeepAliveSeconds * 1000))
        self.prefixCacheScope = prefixCacheScope
        self.unixTime = unixTime
    }

    /// Serves one request of the adapter's endpoint. Every failure, at any stage, becomes an
    /// OpenAI error response here (or an error event once a stream has started).
    func serve<Adapter: WireAdapter>(_: Adapter.Type, _ request: HTTPRequest) async -> HTTPResponse {
        let access = AccessContext.current
        let wire: Adapter.Request
        let cache: ResponseCacheSlot?
        do throws(APIError) {
            wire = try Adapter.validate(body: request.body)
            let requested = Adapter.model(of: wire)
            guard let served = resolveModel(requested) else { throw APIError.modelNotFound(requested) }
            try access?.authorize(model: requested, servedID: served)
            // Looked up before the prompt is rendered, so a hit costs no tokenisation; a hit is
            // admitted, settled and counted in the same store step (one Redis round trip).
            cache = access.map { access in
                ResponseCacheSlot(access: access, headers: request.headers, sampling: Adapter.sampling(of: wire),
                                  cacheable: Adapter.isCacheable(wire), key: { Adapter.cacheKey(wire) })
            }
            if let hit = try await cache?.serve() { return Self.replay(hit, output: Adapter.output(of: wire)) }
        } catch {
            return error.response()
        }
        var response = await generate(Adapter.self, wire, access: access, cache: cache)
        if let cache, cache.isEnabled { ResponseCachePolicy.mark(&response.headers, hit: false) }
        return response
    }

    /// A cache miss (or no cache): tokenize, admit, run, answer.
    private func generate<Adapter: WireAdapter>(_: Adapter.Type, _ wire: Adapter.Request, access: AccessContext?,
                                                cache: ResponseCacheSlot?) async -> HTTPResponse {
        var job: InferenceJob
        let ticket: AdmissionTicket?
        do throws(APIError) {
            job = try Adapter.job(for: wire, model: model)
            job.timeoutSeconds = requestTimeoutSeconds
            job.cacheSalt = prefixCacheScope.cacheSalt(tenant: access?.tenant)
            // Reserved: every prompt once, every choice of every prompt at its maximum.
            ticket = try await access?.admit(promptTokens: job.promptTokenCount, maxTokens: job.maxCompletionTokens)
        } catch {
            return error.response()
        }
        let handle: InferenceHandle
        if job.maxNewTokens == 0 {
            handle = .nothingToGenerate(job)
        } else {
            switch backend.submit(job) {
            case .failure(let failure):
                await ticket?.settle(promptTokens: 0, completionTokens: 0)
                return APIError(failure, promptParam: Adapter.promptParam).response()
            case .success(let submitted):
                handle = submitted
            }
        }
        let adapter = Adapter(request: wire, job: job, model: model, identity: identity(prefix: Adapter.idPrefix))
        let run = PipelineRun(adapter: adapter, handle: handle, choices: job.choiceCount, ticket: ticket, cache: cache,
                              output: Adapter.output(of: wire))
        return run.output.stream ? run.stream(keepAlive: keepAlive) : await run.collect()
    }

    func identity(prefix: String) -> ResponseIdentity {
        var generator = SystemRandomNumberGenerator()
        return ResponseIdentity(id: ResponseIdentity.makeID(prefix: prefix, using: &generator), created: unixTime(),
                                model: model.id, systemFingerprint: Self.systemFingerprint)
    }

    /// A cache hit (already admitted and counted by `ResponseCacheSlot.serve`), replayed in the
    /// shape asked for: a stream of the cached chunks, or the cached JSON body.
    static func replay(_ hit: CachedResponse, output: OutputOptions) -> HTTPResponse {
        var headers: HTTPHeaders = [:]
        ResponseCachePolicy.mark(&headers, hit: true)
        if output.stream {
            let bytes = hit.serverSentEvents(includeUsage: output.includeUsage)
            return HTTPResponse.serverSentEvents(headers: headers, keepAliveInterval: nil) { writer in
                try await writer.bodyWriter.write(bytes)
            }
        }
        headers.replaceOrAdd("Content-Type", "application/json")
        return HTTPResponse(headers: headers, bytes: hit.body)
    }
}
