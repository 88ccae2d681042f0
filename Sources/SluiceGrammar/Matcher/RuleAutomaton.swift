// One rule body compiled to a deterministic automaton over bytes whose states may also call
// other rules: Thompson NFA from the GrammarExpr, then subset construction. Byte moves are
// deterministic; a state's rule calls are grouped by callee (call R, then continue in one DFA
// state), so the only nondeterminism left for the matcher is "take a byte, call a rule, or end
// the rule here", which it tracks as a set of stacks.
//
// Bounded repetitions are expanded (`x{0,200}` is 200 optional copies): a counter is a DFA
// state per count. `maxStates` caps the expansion; larger grammars are refused with a
// GrammarError instead of taking unbounded time and memory.

struct RuleAutomaton {
    /// The byte classes of the rule (bytes no ByteSet of it tells apart): class per byte.
    var classOf: [UInt8] = []
    var classCount = 0
    /// Per DFA state: next state per byte class (-1: no move), `classCount` entries each. Rows
    /// per class rather than per byte keep the tables small enough to stay in cache during a
    /// trie walk (a bounded repetition has hundreds of states).
    var next: [Int32] = []
    var accepting: [Bool] = []
    /// Per DFA state: (callee rule index, the state to continue in after the callee ends).
    var calls: [[(callee: Int32, returnState: Int32)]] = []
    var stateCount: Int { accepting.count }
    /// The start state is always 0.

    static func compile(_ body: GrammarExpr, ruleCount: Int, maxStates: Int) throws(GrammarError) -> RuleAutomaton {
        var nfa = NFA(maxStates: maxStates)
        let start = nfa.newState()
        let end = nfa.newState()
        try nfa.build(body, from: start, to: end, ruleCount: ruleCount)
        return try determinize(nfa, start: start, end: end, maxStates: maxStates)
    }

    private static func determinize(_ nfa: NFA, start: Int32, end: Int32, maxStates: Int) throws(GrammarError) -> RuleAutomaton {
        var automaton = RuleAutomaton()
        var ids: [[Int32]: Int32] = [:]
        var sets: [[Int32]] = []
        func intern(_ set: [Int32]) throws(GrammarError) -> Int32 {
            if let id = ids[set] { return id }
            guard sets.count < maxStates else { throw GrammarError("a rule's automaton exceeds \(maxStates) states") }
            let id = Int32(sets.count)
            ids[set] = id
            sets.append(set)
            return id
        }
        _ = try intern(nfa.closure([start]))
        // Bytes no ByteSet of the rule tells apart move alike: work per class, not per byte
        // (a JSON string character has ~15 classes; this is most of the compile time saved).
        let (classOf, representatives) = nfa.byteClasses()
        automaton.classOf = classOf
        automaton.classCount = representatives.count
        var index = 0
        var targets: [[Int32]] = Array(repeating: [], count: representatives.count)
        while index < sets.count {
            let set = sets[index]
            for byteClass in 0..<targets.count { targets[byteClass].removeAll(keepingCapacity: true) }
            var callTargets: [Int32: [Int32]] = [:]
            for state in set {
                for (bytes, target) in nfa.byteEdges[Int(state)] {
                    for (byteClass, byte) in representatives.enumerated() where bytes.contains(byte) { targets[byteClass].append(target) }
                }
                for (callee, target) in nfa.callEdges[Int(state)] { callTargets[callee, default: []].append(target) }
            }
            var classTarget = [Int32](repeating: -1, count: representatives.count)
            var byTargets: [[Int32]: Int32] = [:]
            for byteClass in 0..<targets.count where !targets[byteClass].isEmpty {
                var key = targets[byteClass]
                key.sort()
                key = key.enumerated().filter { $0.offset == 0 || key[$0.offset - 1] != $0.element }.map(\.element)
                if let known = byTargets[key] { classTarget[byteClass] = known; continue }
                let id = try intern(nfa.closure(key))
                byTargets[key] = id
                classTarget[byteClass] = id
            }
            var calls: [(callee: Int32, returnState: Int32)] = []
            for callee in callTargets.keys.sorted() {
                calls.append((callee, try intern(nfa.closure(callTargets[callee]!))))
            }
            automaton.next.append(contentsOf: classTarget)
            automaton.accepting.append(set.contains(end))
            automaton.calls.append(calls)
            index += 1
        }
        return automaton
    }
}

/// Thompson construction: `build(e, from: a, to: b)` adds paths from a to b spelling L(e).
private struct NFA {
    var epsilon: [[Int32]] = []
    var byteEdges: [[(ByteSet, Int32)]] = []
    var callEdges: [[(Int32, Int32)]] = []
    let maxStates: Int

    init(maxStates: Int) { self.maxStates = maxStates }

    mutating func newState() -> Int32 {
        epsilon.append([])
        byteEdges.append([])
        callEdges.append([])
        return Int32(epsilon.count - 1)
    }

    mutating func build(_ expr: GrammarExpr, from: Int32, to: Int32, ruleCount: Int) throws(GrammarError) {
        // The NFA of an expanded repetition is what grows; check here so a huge `x{0,100000}`
        // fails fast rather than after building it.
        guard epsilon.count <= maxStates * 4 else { throw GrammarError("a rule's automaton exceeds \(maxStates) states") }
        switch expr {
        case .literal(let bytes):
            guard !bytes.isEmpty else { epsilon[Int(from)].append(to); return }
            var current = from
            for (index, byte) in bytes.enumerated() {
                let target = index == bytes.count - 1 ? to : newState()
                byteEdges[Int(current)].append((ByteSet([byte]), target))
                current = target
            }
        case .bytes(let set):
            if !set.isEmpty { byteEdges[Int(from)].append((set, to)) }
        case .sequence(let items):
            guard !items.isEmpty else { epsilon[Int(from)].append(to); return }
            var current = from
            for (index, item) in items.enumerated() {
                let target = index == items.count - 1 ? to : newState()
                try build(item, from: current, to: target, ruleCount: ruleCount)
                current = target
            }
        case .choice(let alternatives):
            for alternative in alternatives { try build(alternative, from: from, to: to, ruleCount: ruleCount) }
        case .repetition(let item, let min, let max):
            guard min >= 0, max.map({ $0 >= min }) ?? true else {
                throw GrammarError("repetition bounds \(min)...\(max.map(String.init) ?? "") are invalid")
            }
            var current = from
            for _ in 0..<min {
                let target = newState()
                try build(item, from: current, to: target, ruleCount: ruleCount)
                current = target
            }
            if let max {
                for _ in min..<max {
                    epsilon[Int(current)].append(to)
                    let target = newState()
                    try build(item, from: current, to: target, ruleCount: ruleCount)
                    current = target
                }
                epsilon[Int(current)].append(to)
            } else {
                // A fresh loop state so the loop cannot mix with other paths through `current`.
                let loop = newState()
                epsilon[Int(current)].append(loop)
                try build(item, from: loop, to: loop, ruleCount: ruleCount)
                epsilon[Int(loop)].append(to)
            }
        case .rule(let id):
            guard id.index >= 0 && id.index < ruleCount else { throw GrammarError("reference to undefined rule \(id.index)") }
            callEdges[Int(from)].append((Int32(id.index), to))
        }
    }

    /// Partitions the 256 bytes by membership in every ByteSet of the NFA: (class of each
    /// byte, one representative byte per class).
    func byteClasses() -> (classOf: [UInt8], representatives: [UInt8]) {
        var distinct = Set<ByteSet>()
        for edges in byteEdges { for (bytes, _) in edges { distinct.insert(bytes) } }
        // Class ids fit a byte: there are at most 256 classes.
        var classOf = [Int](repeating: 0, count: 256)
        for bytes in distinct {
            var renumber: [Int: Int] = [:]
            for byte in 0..<256 {
                let key = classOf[byte] * 2 + (bytes.contains(UInt8(byte)) ? 1 : 0)
                if let known = renumber[key] { classOf[byte] = known } else {
                    renumber[key] = renumber.count
                    classOf[byte] = renumber.count - 1
                }
            }
        }
        var representatives: [UInt8] = []
        var seen = Set<Int>()
        for byte in 0..<256 where seen.insert(classOf[byte]).inserted {
            precondition(classOf[byte] == representatives.count)
            representatives.append(UInt8(byte))
        }
        return (classOf.map { UInt8($0) }, representatives)
    }

    func closure(_ states: [Int32]) -> [Int32] {
        var seen = Set(states)
        var work = states
        while let state = work.popLast() {
            for target in epsilon[Int(state)] where seen.insert(target).inserted { work.append(target) }
        }
        return seen.sorted()
    }
}
