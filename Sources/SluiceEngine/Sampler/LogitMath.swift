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
        for value in logits { sum += Double(expf(value - maximum)) }  // float exp, double sum
        return Double(maximum) + log(sum)
    }

    /// Ids of the `count` largest values, largest first (ties: lower id first).
    /// A bounded min-heap: O(n log count), and O(1) for the many values that do
    /// not beat the current k-th best (a single comparison against a cached threshold).
    static func topIndices(_ values: UnsafeBufferPointer<Float>, count: Int) -> [Int] {
        let k = min(count, values.count)
        guard k > 0 else { return [] }
        // Min-heap over (value, index); heapValues[0] is the k-th best so far.
        var heapValues = [Float](repeating: 0, count: k)
        var heapIndices = [Int](repeating: 0, count: k)
        @inline(__always) func below(_ valueA: Float, _ indexA: Int, _ valueB: Float, _ indexB: Int) -> Bool {
            valueA != valueB ? valueA < valueB : indexA > indexB
        }
        var size = 0
        for index in 0..<values.count {
            let value = values[index]
            if size < k {
                var child = size
                size += 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard below(value, index, heapValues[parent], heapIndices[parent]) else { break }
                    heapValues[child] = heapValues[parent]
                    heapIndices[child] = heapIndices[parent]
                    child = parent
                }
                heapValues[child] = value
                heapIndices[child] = index
                continue
            }
            // Later indices lose ties, so only a strictly larger value enters.
            guard value > heapValues[0] else { continue }
            var parent = 0
            while true {
                let left = 2 * parent + 1
                if left >= k { break }
                let right = left + 1
                var smallest = left
                if right < k, below(heapValues[right], heapIndices[right], heapValues[left], heapIndices[left]) {
                    smallest = right
                }
                guard below(heapValues[smallest], heapIndices[smallest], value, index) else { break }
                heapValues[parent] = heapValues[smallest]
                heapIndices[parent] = heapIndices[smallest]
                parent = smallest
            }
            heapValues[parent] = value
            heapIndices[parent] = index
        }
        return (0..<size).sorted { below(heapValues[$1], heapIndices[$1], heapValues[$0], heapIndices[$0]) }
            .map { heapIndices[$0] }
    }
}
