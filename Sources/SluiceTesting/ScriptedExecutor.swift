import Foundation
import SluiceEngine
import SluiceGateway
import SluiceScheduler
import Synchronization

/// A deterministic stand-in for the forward pass behind `EngineService`: the next token depends
/// only on the last fed token, following a script (`successor`); a token not in the script starts
/// it; the script's last token is followed by EOS (or, when `endless`, by its first token again).
/// Records every plan and checks its block tables cover the positions written.
public final class ScriptedExecutor: InferenceExecutor, @unchecked Sendable {
    public let vocabularySize: Int
    public let script: [Int]
    private let successor: [Int: Int]
    private let recorded = Mutex<[StepPlan]>([])
    // The settings below are set by a test before the engine thread starts, then only read by it.
    public var blockSize = 16
    /// Seconds each step takes (cancellation and timeout tests need a stream still running).
    public var stepDelay: Double = 0
    public var failing = false

    public init(tokenizer: Tokenizer, script text: String, endless: Bool = false) {
        vocabularySize = tokenizer.vocabularySize
        script = tokenizer.encode(text, addSpecialTokens: false)
        var next: [Int: Int] = [:]
        for (index, token) in script.enumerated() {
            if index + 1 < script.count {
                next[token] = script[index + 1]
            } else {
                next[token] = endless ? script[0] : (tokenizer.eosTokenId ?? 0)
            }
        }
        successor = next
    }

    public var plans: [StepPlan] { recorded.withLock { $0 } }

    public func execute(_ plan: StepPlan, withLogits body: (LogitRowsView) -> Void) throws(GatewayError) {
        recorded.withLock { $0.append(plan) }
        if stepDelay > 0 { Thread.sleep(forTimeInterval: stepDelay) }
        if failing { throw GatewayError(.engineFailed, "scripted failure") }
        var rows: [Float] = []
        for entry in plan.sequences {
            let needed = (entry.startPosition + entry.tokens.count + blockSize - 1) / blockSize
            if entry.blockTable.count < needed { throw GatewayError(.engineFailed, "block table too short for \(entry.sequenceID)") }
            guard entry.needsLogits, let last = entry.tokens.last else { continue }
            var row = Array(repeating: Float(-10), count: vocabularySize)
            let next = successor[Int(last)] ?? script[0]
            row[next] = 10
            // A runner-up, so logprobs have alternatives and sampling at temperature 1 is not certain.
            row[(next + 1) % vocabularySize] = 8
            rows += row
        }
        let width = vocabularySize
        rows.withUnsafeBufferPointer { all in
            body(LogitRowsView(count: all.count / width) { UnsafeBufferPointer(rebasing: all[$0 * width..<($0 + 1) * width]) })
        }
    }
}
