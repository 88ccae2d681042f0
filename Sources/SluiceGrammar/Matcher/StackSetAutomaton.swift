// A lazily built DFA whose states are closed stack sets: a trie walk asks for the same few
// (set, byte) moves over and over (inside a JSON string, one set covers nearly every node), so
// each move is computed once with ParseTables.advance and then is one table read.
//
// Fast path: a set holding one single-frame stack [p] (the usual state of a position-mask walk
// inside a call-free stretch of a rule: string characters, digits, a counter of a bounded
// repetition) is the id `simpleBase + p` and moves by one read of the rule's byte table, with no
// interning: a bounded repetition makes a new position per byte, which the memo cannot reuse.
//
// A move's result packs the target state and whether some parse ended its bottom frame on the
// way: value 0 = dead; otherwise bit 0 = ended, (value >> 1) - 1 = target id, -1 when no parse
// can continue (only ended).

struct StackSetAutomaton {
    static let simpleBase: Int32 = 1 << 29
    let tables: ParseTables
    private var ids: [[[Int32]]: Int32] = [:]
    private var sets: [[[Int32]]] = []
    /// 256 entries per interned state; -2 = not computed yet.
    private var moves: [Int32] = []

    init(tables: ParseTables) { self.tables = tables }

    mutating func intern(_ stacks: [[Int32]]) -> Int32 {
        if stacks.count == 1, stacks[0].count == 1 { return Self.simpleBase + stacks[0][0] }
        if let id = ids[stacks] { return id }
        let id = Int32(sets.count)
        ids[stacks] = id
        sets.append(stacks)
        moves.append(contentsOf: repeatElement(-2, count: 256))
        return id
    }

    /// The stacks of a state id.
    func stacks(of state: Int32) -> [[Int32]] {
        state >= Self.simpleBase ? [[state - Self.simpleBase]] : sets[Int(state)]
    }

    @inline(__always)
    mutating func move(_ state: Int32, _ byte: UInt8) -> Int32 {
        if state >= Self.simpleBase {
            let position = Int(state - Self.simpleBase)
            let target = tables.target(position, byte)
            guard target >= 0 else { return 0 }
            let flags = tables.flags[Int(target)]
            if flags & ParseTables.Flags.hasCalls == 0 {
                let next: Int32 = flags & ParseTables.Flags.hasBytes != 0 ? Self.simpleBase + target : -1
                let ended: Int32 = flags & ParseTables.Flags.accepting != 0 ? 1 : 0
                return next < 0 && ended == 0 ? 0 : ((next + 1) << 1) | ended
            }
            return pack(tables.closed([target]))
        }
        let index = Int(state) &* 256 &+ Int(byte)
        let known = moves[index]
        if known != -2 { return known }
        let value = pack(tables.advance(sets[Int(state)], byte: byte))
        moves[index] = value
        return value
    }

    private mutating func pack(_ result: StackSet) -> Int32 {
        guard !result.isDead else { return 0 }
        let target = result.stacks.isEmpty ? -1 : intern(result.stacks)
        return ((target + 1) << 1) | (result.ended ? 1 : 0)
    }
}
