/// exp over whole logit rows, 8 lanes at a time. libm's `expf` is a call per
/// element (about 1 ms for a 49,152-token row here); this is the Cephes `expf`
/// polynomial (range reduction by ln 2, degree-5 minimax on |r| ≤ ln2/2),
/// relative error below 2e-7, which SIMD lanes vectorise.
enum VectorExp {
    private static let log2e: Float = 1.442_695_04
    private static let ln2High: Float = 0.693_359_375
    private static let ln2Low: Float = -2.121_944_4e-4

    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Below -87.3 the result is under Float's normal range: return exactly 0 there.
        let underflow = x .< SIMD8<Float>(repeating: -87.3)
        let clamped = x.clamped(lowerBound: SIMD8(repeating: -87.3), upperBound: SIMD8(repeating: 88))  // callers pass x ≤ 0 (logit − max)
        let n = (clamped * log2e).rounded(.toNearestOrEven)
        let r = clamped - n * ln2High - n * ln2Low
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * r * r + r + 1
        // 2^n built in the exponent bits.
        let exponent = (SIMD8<Int32>(truncatingIfNeeded: SIMD8<Int32>(n)) &+ 127) &<< 23
        let scale = unsafeBitCast(exponent, to: SIMD8<Float>.self)
        return (y * scale).replacing(with: 0, where: underflow)
    }

    /// exp((values[i] - shift) · scale) into `output`; returns the sum in Double.
    static func shiftedExp(_ values: UnsafeBufferPointer<Float>, shift: Float, scale: Float,
                           into output: UnsafeMutableBufferPointer<Float>?) -> Double {
        let count = values.count
        var sum = 0.0
        var index = 0
        while index + 8 <= count {
            var lanes = SIMD8<Float>()
            for lane in 0..<8 { lanes[lane] = values[index + lane] }
            let result = exp((lanes - shift) * scale)
            if let output { for lane in 0..<8 { output[index + lane] = result[lane] } }
            sum += Double(result.sum())
            index += 8
        }
        while index < count {
            var lanes = SIMD8<Float>(repeating: -.infinity)
            lanes[0] = values[index]
            let value = exp((lanes - shift) * scale)[0]
            output?[index] = value
            sum += Double(value)
            index += 1
        }
        return sum
    }
}
