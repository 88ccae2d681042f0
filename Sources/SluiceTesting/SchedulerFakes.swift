import SluiceScheduler

/// A "model" whose next token is a pure function of the token history and the choice index,
/// so a preempted-and-recomputed sequence must produce exactly the tokens of an undisturbed run.
public enum FakeModel {
    public static let vocabulary: UInt64 = 500
    public static func next(history: [TokenID], choice: Int) -> TokenID {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(choice &* 7919)
        for token in history { h = (h ^ UInt64(UInt32(bitPattern: token))) &* 0x0000_0100_0000_01b3 }
        h ^= h >> 29
        return TokenID(h % vocabulary)
    }
    /// EOS stand-in: the service would detect it and report `.stop`.
    public static func isEOS(_ token: TokenID) -> Bool { token % 41 == 0 }

    /// The undisturbed generation for a prompt: stops at EOS (included) or after `maxNewTokens`.
    public static func reference(prompt: [TokenID], choice: Int, maxNewTokens: Int, stopAtEOS: Bool) -> (tokens: [TokenID], reason: FinishReason) {
        var history = prompt
        var out: [TokenID] = []
        while out.count < maxNewTokens {
            let token = next(history: history, choice: choice)
            history.append(token)
            out.append(token)
            if stopAtEOS, isEOS(token) { return (out, .stop) }
        }
        return (out, .length)
    }
}

/// Executes plans against simulated paged KV memory. Like real KV, a slot depends on the whole
/// history before it: each stores its token, its position and a hash of every token up to it,
/// computed from what attention would read back through the block table. Reading a history
/// back verifies that chain, so a wrong table, a block shared across different prefixes or a block
/// reused while still owned is reported, and would also change the sampled tokens.
public struct FakeExecutor {
    public struct Slot: Equatable { var token: TokenID; var position: Int; var context: UInt64 }
    public let blockSize: Int
    public var memory: [[Slot?]]
    public var stopAtEOS: Bool
    public var problems: [String] = []

    public init(config: SchedulerConfig, stopAtEOS: Bool = true) {
        blockSize = config.blockSize
        memory = Array(repeating: Array(repeating: nil, count: config.blockSize), count: config.totalBlocks)
        self.stopAtEOS = stopAtEOS
    }

    public static func context(after previous: UInt64, token: TokenID) -> UInt64 {
        (previous ^ UInt64(UInt32(bitPattern: token))) &* 0x0000_0100_0000_01b3 &+ 0x9e37
    }

    /// Reads positions 0..<end through the table, checking each slot's context chain.
    private mutating func read(_ table: [BlockID], upTo end: Int, for id: SequenceID) -> (tokens: [TokenID], context: UInt64)? {
        var tokens: [TokenID] = []
        var context: UInt64 = 0
        for position in 0..<end {
            guard let slot = memory[Int(table[position / blockSize])][position % blockSize],
                  slot.position == position, slot.context == Self.context(after: context, token: slot.token) else {
                problems.append("\(id): KV slot for position \(position) missing or computed for another prefix")
                return nil
            }
            tokens.append(slot.token)
            context = slot.context
        }
        return (tokens, context)
    }

    public mutating func run(_ plan: StepPlan) -> StepOutput {
        var samples: [SequenceSample] = []
        for entry in plan.sequences {
            let id = entry.sequenceID
            let end = entry.startPosition + entry.tokens.count
            guard entry.blockTable.count * blockSize >= end else {
                problems.append("\(id): table too short for position \(end)")
                continue
            }
            guard var (history, context) = read(entry.blockTable, upTo: entry.startPosition, for: id) else { continue }
            for (offset, token) in entry.tokens.enumerated() {
                let position = entry.startPosition + offset
                context = Self.context(after: context, token: token)
                memory[Int(entry.blockTable[position / blockSize])][position % blockSize] =
                    Slot(token: token, position: position, context: context)
                history.append(token)
            }
            guard entry.needsLogits else { continue }
            let token = FakeModel.next(history: history, choice: id.choice)
            samples.append(SequenceSample(sequenceID: id, token: token,
                                          finishReason: stopAtEOS && FakeModel.isEOS(token) ? .stop : nil))
        }
        return StepOutput(samples: samples)
    }
}
