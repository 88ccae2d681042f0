// Every reachable rule's automaton in one numbering: a parse position is a global id
// (rule base + DFA state). A parse stack is [position] from the outermost rule (bottom) to the
// current one (top); frames below the top hold the position to continue in once the rule above
// them ends. All moves of the matcher are here: `close` (calls and rule ends, no byte) and
// `advance` (one byte), over a set of stacks — the live parses of a nondeterministic grammar.

struct ParseTables: Sendable {
    /// Per position: next position per byte class of its rule (-1: none), from `rowStart`.
    let next: [Int32]
    let rowStart: [Int32]
    /// Per position: the offset of its rule's byte-class table (256 entries) in `classOf`.
    let classTable: [Int32]
    let classOf: [UInt8]
    /// Per position: `Flags` bits, one array so the walk touches one cache line for them.
    let flags: [UInt8]
    enum Flags {
        static let accepting: UInt8 = 1
        /// Some byte moves it (only such stacks are kept in a closed set).
        static let hasBytes: UInt8 = 2
        static let hasCalls: UInt8 = 4
    }
    /// Per position: (start position of the callee, position to return to).
    let calls: [[(start: Int32, returnTo: Int32)]]
    /// Per position: its rule and its state within the rule's automaton.
    let ruleOf: [Int32]
    let localState: [Int32]
    let rootStart: Int32

    var positionCount: Int { flags.count }

    @inline(__always)
    func target(_ position: Int, _ byte: UInt8) -> Int32 {
        next[Int(rowStart[position]) &+ Int(classOf[Int(classTable[position]) &+ Int(byte)])]
    }

    @inline(__always)
    func has(_ position: Int, _ flag: UInt8) -> Bool { flags[position] & flag != 0 }

    /// The most live parses a set keeps. A grammar whose ambiguity exceeds it (none that a JSON
    /// Schema compiles to: alternatives diverge within a few bytes) loses the extra parses;
    /// the mask then narrows but never admits a token no parse allows.
    static let maxStacks = 1024

    /// Adds `stack` and everything it reaches without a byte: calling a rule (push the callee's
    /// start, the frame below continues at the return position) and ending the top rule (pop).
    /// Keeps only stacks whose top can take a byte; the empty stack (the root rule ended) is
    /// recorded as `ended`. `seen` deduplicates, which also ends nullable loops; left recursion,
    /// the one unbounded case, is refused when the grammar is compiled.
    func close(_ stack: [Int32], into stacks: inout [[Int32]], ended: inout Bool, seen: inout Set<[Int32]>) {
        var work = [stack]
        while var current = work.popLast() {
            guard seen.insert(current).inserted else { continue }
            guard let top = current.last else { ended = true; continue }
            let position = Int(top)
            if has(position, Flags.hasBytes) {
                guard stacks.count < Self.maxStacks else { continue }
                stacks.append(current)
            }
            for call in calls[position] {
                var pushed = current
                pushed[pushed.count - 1] = call.returnTo
                pushed.append(call.start)
                work.append(pushed)
            }
            if has(position, Flags.accepting) {
                current.removeLast()
                work.append(current)
            }
        }
    }

    /// The closed set after consuming `byte` from every stack of `set`.
    func advance(_ set: [[Int32]], byte: UInt8) -> StackSet {
        var stacks: [[Int32]] = []
        var ended = false
        var seen = Set<[Int32]>()
        for stack in set {
            let target = self.target(Int(stack[stack.count - 1]), byte)
            guard target >= 0 else { continue }
            var moved = stack
            moved[moved.count - 1] = target
            close(moved, into: &stacks, ended: &ended, seen: &seen)
        }
        return StackSet(stacks: stacks, ended: ended)
    }

    /// The closed set of one stack.
    func closed(_ stack: [Int32]) -> StackSet {
        var stacks: [[Int32]] = []
        var ended = false
        var seen = Set<[Int32]>()
        close(stack, into: &stacks, ended: &ended, seen: &seen)
        return StackSet(stacks: stacks, ended: ended)
    }
}

/// A closed set of parse stacks, in a canonical order (so equal sets hash equal), and whether
/// some parse ended its bottom rule.
struct StackSet: Sendable, Hashable {
    var stacks: [[Int32]]
    var ended: Bool

    init(stacks: [[Int32]], ended: Bool) {
        self.stacks = stacks.count > 1 ? stacks.sorted { $0.lexicographicallyPrecedes($1) } : stacks
        self.ended = ended
    }

    /// Neither a parse that can continue nor one that ended: the bytes were not allowed.
    var isDead: Bool { stacks.isEmpty && !ended }
}
