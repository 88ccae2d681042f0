// The vocabulary's token byte strings as a prefix tree, laid out in preorder so a mask
// computation is one forward scan: a node's children follow it, `subtreeEnd` skips a dead
// subtree in one jump, and the parse state of a node's parent sits at `depth - 1` of a small
// per-walk array. Built once per vocabulary; immutable.

struct TokenTrie: Sendable {
    /// Per node (index 0 is the root, the empty prefix): the byte on the edge from its parent.
    let byte: [UInt8]
    /// Per node: its depth (the length of its prefix; the root is 0).
    let depth: [UInt16]
    /// Per node: the index just past its subtree.
    let subtreeEnd: [Int32]
    /// Per node: `tokenIds[tokenStart[n] ..< tokenStart[n + 1]]` are the tokens whose bytes end here.
    let tokenStart: [Int32]
    let tokenIds: [Int32]
    let maxDepth: Int

    var nodeCount: Int { byte.count }

    /// `tokens`: (id, bytes) of every token a grammar may allow (non-empty bytes).
    init(tokens: [(id: Int, bytes: [UInt8])]) {
        let sorted = tokens.sorted { lhs, rhs in
            lhs.bytes.lexicographicallyPrecedes(rhs.bytes) || (lhs.bytes == rhs.bytes && lhs.id < rhs.id)
        }
        var byte: [UInt8] = [0]
        var depth: [UInt16] = [0]
        var subtreeEnd: [Int32] = [0]
        var tokenStart: [Int32] = [0]
        var tokenIds: [Int32] = []
        // Nodes of the current path (root first), still open: their subtreeEnd is set on close.
        var path: [Int] = [0]
        var previous: [UInt8] = []
        var maxDepth = 0
        for (id, bytes) in sorted {
            var common = 0
            while common < previous.count && common < bytes.count && previous[common] == bytes[common] { common += 1 }
            while path.count > common + 1 { subtreeEnd[path.removeLast()] = Int32(byte.count) }
            for index in common..<bytes.count {
                byte.append(bytes[index])
                depth.append(UInt16(index + 1))
                subtreeEnd.append(0)
                // Token ids of node n are appended while n is the last node, so the CSR start of
                // the next node is always the current count.
                tokenStart.append(Int32(tokenIds.count))
                path.append(byte.count - 1)
            }
            tokenIds.append(Int32(id))
            maxDepth = max(maxDepth, bytes.count)
            previous = bytes
        }
        while let node = path.popLast() { subtreeEnd[node] = Int32(byte.count) }
        tokenStart.append(Int32(tokenIds.count))
        self.byte = byte
        self.depth = depth
        self.subtreeEnd = subtreeEnd
        self.tokenStart = tokenStart
        self.tokenIds = tokenIds
        self.maxDepth = maxDepth
    }
}
