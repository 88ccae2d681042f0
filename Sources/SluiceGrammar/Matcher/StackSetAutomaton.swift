// A lazily built DFA whose states are closed stack sets: a trie walk asks for the same few
// (set, byte) moves over and over (inside a JSON string, one set covers nearly every node), so
// each move is computed once with ParseTables.advance and then is one table read.
//
// A move's result packs the target set's id and whether some parse ended its bottom frame on
// the way: value 0 = dead; otherwise bit 0 = ended, (value >> 1) - 1 = target id, -1 when no
// parse can continue (only ended).

struct StackSetAutomaton {
    let tables: ParseTables
    private var ids: [[[Int32]]: Int32] = [:]
    private(set) var sets: [[[Int32]]] = []
    /// 256 entries per state; -2 = not computed yet.
    private var moves: [Int32] = []

    init(tables: ParseTables) { self.tables = tables }

    mutating func intern(_ stacks: [[Int32]]) -> Int32 {
        if let id = ids[stacks] { return id }
        let id = Int32(sets.count)
        ids[stacks] = id
        sets.append(stacks)
        moves.append(contentsOf: repeatElement(-2, count: 256))
        return id
    }

    @inline(__always)
    mutating func move(_ state: Int32, _ byte: UInt8) -> Int32 {
        let index = Int(state) &* 256 &+ Int(byte)
        let known = moves[index]
        if known != -2 { return known }
        let result = tables.advance(sets[Int(state)], byte: byte)
        let value: Int32
        if result.isDead {
            value = 0
        } else {
            let target = result.stacks.isEmpty ? -1 : intern(result.stacks)
            value = ((target + 1) << 1) | (result.ended ? 1 : 0)
        }
        moves[index] = value
        return value
    }
}
