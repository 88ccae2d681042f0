/// Counts of the most recent tokens, for presence/frequency/repetition
/// penalties. Updating is O(1) per token; the counts are a small dictionary of
/// the distinct tokens in the window, not a vocabulary-sized array.
struct TokenPenaltyWindow: Sendable {
    /// 0: unbounded (every token seen so far).
    let capacity: Int
    private var recent: [Int] = []
    private var head = 0  // index of the oldest token once the ring is full
    private(set) var counts: [Int: Int] = [:]

    init(capacity: Int) { self.capacity = max(0, capacity) }

    mutating func add(_ token: Int) {
        if capacity > 0 && recent.count == capacity {
            let evicted = recent[head]
            recent[head] = token
            head = (head + 1) % capacity
            if let count = counts[evicted] { counts[evicted] = count > 1 ? count - 1 : nil }
        } else {
            recent.append(token)
        }
        counts[token, default: 0] += 1
    }
}
