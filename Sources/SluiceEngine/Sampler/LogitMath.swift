import Foundation

/// Selection and normalisation over a vocabulary-sized logit row, without
/// sorting the whole row (49,152 entries for the default model).
enum LogitMath {
    /// log Σ exp(x), computed around the maximum in Double so large logits neither overflow nor lose precision.
    static func logSumExp(_ logits: UnsafeBufferPointer<Float>) -> Double {
        var maximum = -Float.infinity
        for value in logits where value > maximum { maximum = value }
        guard maximum.isFinite else { return Double(maximum) }
        var sum = 0.0
        for value in logits { sum += Double(expf(value - maximum)) }  // float exp, double sum: ~1e-7 relative
        return Double(maximum) + log(sum)
    }

    /// Ids of the `count` largest values, largest first (ties: lower id first).
    /// A bounded min-heap: O(n log count).
    static func topIndices(_ values: UnsafeBufferPointer<Float>, count: Int) -> [Int] {
        let k = min(count, values.count)
        guard k > 0 else { return [] }
        // heap[0] is the smallest of the kept candidates.
        var heap: [Int] = []
        heap.reserveCapacity(k)
        func worse(_ a: Int, _ b: Int) -> Bool {  // a ranks below b
            values[a] != values[b] ? values[a] < values[b] : a > b
        }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, worse(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count, worse(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { return }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        for index in 0..<values.count {
            if heap.count < k {
                heap.append(index)
                var child = heap.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard worse(heap[child], heap[parent]) else { break }
                    heap.swapAt(child, parent)
                    child = parent
                }
            } else if worse(heap[0], index) {
                heap[0] = index
                siftDown(0)
            }
        }
        return heap.sorted { worse($1, $0) }
    }
}
