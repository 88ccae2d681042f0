import CKernels
import Testing

/// Matmul of every weight type against an f64 reference built from the golden
/// dequantization, on every dispatch path, for raw GGUF and packed weights,
/// odd shapes and 1/2-thread pools.
@Suite struct KernelMatmulTests {
    static let rowCounts = [1, 3, 33]

    private func check(_ y: [Float], against ref: (y: [Double], tolerance: [Double]), _ what: String) {
        var worst = 0.0, bad = 0
        for i in 0..<ref.y.count {
            let err = abs(Double(y[i]) - ref.y[i])
            if !(err <= ref.tolerance[i]) { bad += 1 }
            worst = max(worst, err / ref.tolerance[i])
        }
        #expect(bad == 0, "\(what): \(bad) of \(ref.y.count) outside tolerance, worst error/tolerance \(worst)")
    }

    @Test(arguments: QuantFixture.typeNames)
    func rawMatmulMatchesReferenceOnEveryPath(typeName: String) throws {
        let fixture = try QuantFixture.load(typeName)
        let isFloat = ["F32", "F16", "BF16"].contains(typeName)
        for nOut in [8, 40] {
            let (raw, values) = fixture.matrix(nOut: nOut)
            for nRows in Self.rowCounts {
                let x = KernelReference.activations(count: nRows * fixture.cols, seed: UInt64(nRows * 131 + nOut))
                let ref = KernelReference.matmul(weights: values, nOut: nOut, nIn: fixture.cols, x: x, nRows: nRows,
                                                 quantizedActivations: !isFloat)
                for path in KernelRunner.availablePaths {
                    let y = KernelRunner.withPath(level: path.level, vnni: path.vnni) {
                        KernelRunner.matmul(pool: nil, type: fixture.typeID, weights: raw, nOut: nOut, nIn: fixture.cols,
                                            x: x, nRows: nRows)
                    }
                    check(y, against: ref, "\(typeName) nOut \(nOut) rows \(nRows) level \(path.level) vnni \(path.vnni)")
                }
            }
        }
    }

    @Test(arguments: QuantFixture.typeNames)
    func packedMatmulMatchesReferenceOnEveryPathAndPool(typeName: String) throws {
        let fixture = try QuantFixture.load(typeName)
        let isFloat = ["F32", "F16", "BF16"].contains(typeName)
        let pools = [ck_pool_create(1), ck_pool_create(2)]
        defer { pools.forEach { ck_pool_destroy($0) } }
        for nOut in [8, 40, 64] {
            let (raw, values) = fixture.matrix(nOut: nOut)
            let packed = try #require(raw.withUnsafeBytes {
                ck_weights_create(fixture.typeID, $0.baseAddress, Int64(nOut), Int64(fixture.cols))
            })
            defer { ck_weights_destroy(packed) }
            #expect(ck_weights_n_out(packed) == Int64(nOut) && ck_weights_n_in(packed) == Int64(fixture.cols))
            for nRows in Self.rowCounts {
                let x = KernelReference.activations(count: nRows * fixture.cols, seed: UInt64(nRows * 7 + nOut))
                let ref = KernelReference.matmul(weights: values, nOut: nOut, nIn: fixture.cols, x: x, nRows: nRows,
                                                 quantizedActivations: !isFloat)
                for path in KernelRunner.availablePaths {
                    for pool in [nil] + pools {
                        let y = KernelRunner.withPath(level: path.level, vnni: path.vnni) {
                            KernelRunner.matmulPacked(pool: pool, packed: packed, x: x, nRows: nRows)
                        }
                        check(y, against: ref, "packed \(typeName) nOut \(nOut) rows \(nRows) level \(path.level) vnni \(path.vnni) threads \(ck_pool_size(pool))")
                    }
                }
            }
        }
    }

    /// Paths differ only in float summation order, so they agree far more
    /// tightly than either agrees with the unquantized reference.
    @Test(arguments: QuantFixture.typeNames)
    func dispatchPathsAgreeWithPortable(typeName: String) throws {
        let fixture = try QuantFixture.load(typeName)
        let nOut = 48, nRows = 5
        let (raw, _) = fixture.matrix(nOut: nOut)
        let x = KernelReference.activations(count: nRows * fixture.cols, seed: 99)
        let portable = KernelRunner.withPath(level: 0, vnni: false) {
            KernelRunner.matmul(pool: nil, type: fixture.typeID, weights: raw, nOut: nOut, nIn: fixture.cols, x: x, nRows: nRows)
        }
        let scale = portable.map { abs($0) }.max() ?? 1
        for path in KernelRunner.availablePaths.dropFirst() {
            let y = KernelRunner.withPath(level: path.level, vnni: path.vnni) {
                KernelRunner.matmul(pool: nil, type: fixture.typeID, weights: raw, nOut: nOut, nIn: fixture.cols, x: x, nRows: nRows)
            }
            let worst = zip(y, portable).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-4 * scale, "\(typeName) level \(path.level) vnni \(path.vnni): max diff \(worst)")
        }
    }

    /// Packed kernels of every path against the portable packed kernel and the
    /// portable raw-row kernel: same integer products, so only float rounding differs.
    @Test(arguments: ["Q4_0", "Q4_1", "Q8_0", "Q4_K"])
    func packedPathsAgreeWithPortable(typeName: String) throws {
        let fixture = try QuantFixture.load(typeName)
        let nOut = 56, nRows = 11
        let (raw, _) = fixture.matrix(nOut: nOut)
        let x = KernelReference.activations(count: nRows * fixture.cols, seed: 1234)
        let packed = try #require(raw.withUnsafeBytes {
            ck_weights_create(fixture.typeID, $0.baseAddress, Int64(nOut), Int64(fixture.cols))
        })
        defer { ck_weights_destroy(packed) }
        let portableRaw = KernelRunner.withPath(level: 0, vnni: false) {
            KernelRunner.matmul(pool: nil, type: fixture.typeID, weights: raw, nOut: nOut, nIn: fixture.cols, x: x, nRows: nRows)
        }
        let scale = portableRaw.map { abs($0) }.max() ?? 1
        for path in KernelRunner.availablePaths {
            let y = KernelRunner.withPath(level: path.level, vnni: path.vnni) {
                KernelRunner.matmulPacked(pool: nil, packed: packed, x: x, nRows: nRows)
            }
            let worst = zip(y, portableRaw).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-4 * scale, "packed \(typeName) level \(path.level) vnni \(path.vnni): max diff \(worst)")
        }
    }

    /// n_in of one and three blocks (shorter than any unrolling) on every path.
    @Test(arguments: ["Q4_0", "Q4_1", "Q8_0", "F16", "BF16", "F32"])
    func shortRowsMatchReference(typeName: String) throws {
        let fixture = try QuantFixture.load(typeName)
        let isFloat = ["F32", "F16", "BF16"].contains(typeName)
        for nIn in [32, 96] {
            let nOut = 19, nRows = 9
            let (raw, values) = fixture.matrix(nOut: nOut, nIn: nIn)
            let x = KernelReference.activations(count: nRows * nIn, seed: UInt64(nIn))
            let ref = KernelReference.matmul(weights: values, nOut: nOut, nIn: nIn, x: x, nRows: nRows, quantizedActivations: !isFloat)
            let packed = try #require(raw.withUnsafeBytes { ck_weights_create(fixture.typeID, $0.baseAddress, Int64(nOut), Int64(nIn)) })
            defer { ck_weights_destroy(packed) }
            for path in KernelRunner.availablePaths {
                KernelRunner.withPath(level: path.level, vnni: path.vnni) {
                    check(KernelRunner.matmul(pool: nil, type: fixture.typeID, weights: raw, nOut: nOut, nIn: nIn, x: x, nRows: nRows),
                          against: ref, "raw \(typeName) nIn \(nIn) level \(path.level)")
                    check(KernelRunner.matmulPacked(pool: nil, packed: packed, x: x, nRows: nRows),
                          against: ref, "packed \(typeName) nIn \(nIn) level \(path.level) vnni \(path.vnni)")
                }
            }
        }
    }

    /// One call over several matrices sharing x (Q/K/V-like, with types that have
    /// no packed layout among them) gives exactly what separate calls give.
    @Test func packedManyMatchesSeparateCalls() throws {
        let q41 = try QuantFixture.load("Q4_1"), q80 = try QuantFixture.load("Q8_0"), q4k = try QuantFixture.load("Q4_K")
        let q40 = try QuantFixture.load("Q4_0"), f16 = try QuantFixture.load("F16"), q6k = try QuantFixture.load("Q6_K")
        // More matrices than one call's job holds (CK_MATMUL_MANY_MAX), odd widths.
        let parts = [(q41, 40), (q80, 8), (q4k, 24), (q41, 17), (q40, 16), (q41, 3), (q80, 33), (f16, 5), (q6k, 9), (q41, 1)]
        let nIn = q41.cols, nRows = 13
        var packed: [OpaquePointer] = []
        defer { packed.forEach { ck_weights_destroy($0) } }
        for (fixture, nOut) in parts {
            let (raw, _) = fixture.matrix(nOut: nOut)
            packed.append(try #require(raw.withUnsafeBytes {
                ck_weights_create(fixture.typeID, $0.baseAddress, Int64(nOut), Int64(nIn))
            }))
        }
        let x = KernelReference.activations(count: nRows * nIn, seed: 77)
        let pool = try #require(ck_pool_create(2))
        defer { ck_pool_destroy(pool) }
        let separate = packed.map { KernelRunner.matmulPacked(pool: pool, packed: $0, x: x, nRows: nRows) }
        let outputs = parts.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: nRows * $0.1) }
        defer { outputs.forEach { $0.deallocate() } }
        outputs.forEach { $0.initialize(repeating: .nan) }
        let ws: [OpaquePointer?] = packed
        let ys: [UnsafeMutablePointer<Float>?] = outputs.map { $0.baseAddress }
        x.withUnsafeBufferPointer { xp in
            ck_matmul_packed_many(pool, Int32(parts.count), ws, xp.baseAddress, Int64(nRows), ys)
        }
        for i in parts.indices {
            #expect(Array(outputs[i]) == separate[i], "matrix \(i) differs between one call and separate calls")
        }
    }

    /// A row's result is bit-identical whatever else is in the batch and however
    /// many threads run: continuous batching then never changes a sequence's
    /// greedy output. (Each row's arithmetic is the same in every row tile,
    /// and each output column is computed by one thread.)
    @Test(arguments: ["Q4_0", "Q4_1", "Q8_0", "Q4_K", "Q6_K", "F16"])
    func resultsAreBatchAndThreadInvariant(typeName: String) throws {
        let fixture = try QuantFixture.load(typeName)
        let nOut = 72, nRows = 19, nIn = fixture.cols
        let (raw, _) = fixture.matrix(nOut: nOut)
        let x = KernelReference.activations(count: nRows * nIn, seed: 4242)
        let packed = try #require(raw.withUnsafeBytes { ck_weights_create(fixture.typeID, $0.baseAddress, Int64(nOut), Int64(nIn)) })
        defer { ck_weights_destroy(packed) }
        let pool = try #require(ck_pool_create(2))
        defer { ck_pool_destroy(pool) }
        for path in KernelRunner.availablePaths {
            KernelRunner.withPath(level: path.level, vnni: path.vnni) {
                let batched = KernelRunner.matmulPacked(pool: pool, packed: packed, x: x, nRows: nRows)
                let single = KernelRunner.matmulPacked(pool: nil, packed: packed, x: x, nRows: nRows)
                #expect(batched == single, "\(typeName) level \(path.level): 2 threads differ from 1")
                for r in [0, 7, 8, 18] {
                    let row = Array(x[r * nIn..<(r + 1) * nIn])
                    let alone = KernelRunner.matmulPacked(pool: pool, packed: packed, x: row, nRows: 1)
                    #expect(alone == Array(batched[r * nOut..<(r + 1) * nOut]),
                            "\(typeName) level \(path.level) vnni \(path.vnni): row \(r) alone differs from in the batch")
                }
            }
        }
    }

    @Test func weightsCreateRejectsBadShapes() {
        let bytes = [UInt8](repeating: 0, count: 4096)
        bytes.withUnsafeBytes { w in
            #expect(ck_weights_create(Int32(CK_TYPE_Q4_1), w.baseAddress, 4, 48) == nil)  // n_in not a block multiple
            #expect(ck_weights_create(Int32(CK_TYPE_Q4_K), w.baseAddress, 1, 32) == nil)
            #expect(ck_weights_create(7, w.baseAddress, 1, 32) == nil)                      // unsupported type
            #expect(ck_weights_create(Int32(CK_TYPE_Q8_0), w.baseAddress, 0, 32) == nil)
            #expect(ck_weights_create(Int32(CK_TYPE_Q8_0), nil, 1, 32) == nil)
        }
    }

    @Test func largeModelShapedMatmulUsesAllThreads() throws {
        // [576 -> 1536] like SmolLM2's ffn_up, Q4_1 and Q8_0, split over 2 threads.
        for typeName in ["Q4_1", "Q8_0"] {
            let fixture = try QuantFixture.load(typeName)
            let nIn = fixture.cols, nOut = 1536, nRows = 4
            let (raw, values) = fixture.matrix(nOut: nOut)
            let x = KernelReference.activations(count: nRows * nIn, seed: 5)
            let ref = KernelReference.matmul(weights: values, nOut: nOut, nIn: nIn, x: x, nRows: nRows, quantizedActivations: true)
            let pool = try #require(ck_pool_create(2))
            defer { ck_pool_destroy(pool) }
            check(KernelRunner.matmul(pool: pool, type: fixture.typeID, weights: raw, nOut: nOut, nIn: nIn, x: x, nRows: nRows),
                  against: ref, "raw \(typeName)")
            let packed = try #require(raw.withUnsafeBytes { ck_weights_create(fixture.typeID, $0.baseAddress, Int64(nOut), Int64(nIn)) })
            defer { ck_weights_destroy(packed) }
            check(KernelRunner.matmulPacked(pool: pool, packed: packed, x: x, nRows: nRows), against: ref, "packed \(typeName)")
        }
    }
}
