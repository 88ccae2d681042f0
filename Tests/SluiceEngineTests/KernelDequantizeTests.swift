import CKernels
import Testing

/// Dequantization of every supported GGUF type against golden data from the
/// `gguf` Python package (scripts/kernels/gen_quant_fixtures.py).
@Suite struct KernelDequantizeTests {
    @Test(arguments: QuantFixture.typeNames)
    func dequantizeMatchesGgufPackage(typeName: String) throws {
        let fixture = try QuantFixture.load(typeName)
        #expect(ck_type_supported(fixture.typeID) == 1)
        #expect(ck_type_block_size(fixture.typeID) == Int64(fixture.blockElements))
        #expect(ck_type_block_bytes(fixture.typeID) == Int64(fixture.blockBytes))
        var out = [Float](repeating: .nan, count: fixture.cols)
        for r in 0..<fixture.rows {
            fixture.raw.withUnsafeBytes { raw in
                out.withUnsafeMutableBufferPointer { dst in
                    ck_dequantize_row(fixture.typeID, raw.baseAddress! + r * fixture.rowBytes, dst.baseAddress, Int64(fixture.cols))
                }
            }
            let expected = fixture.dequantized[r * fixture.cols..<(r + 1) * fixture.cols]
            let mismatches = zip(out, expected).filter { $0.0.bitPattern != $0.1.bitPattern }.count
            #expect(mismatches == 0, "row \(r) of \(typeName): \(mismatches) values differ")
        }
    }

    @Test func unsupportedTypesReportZeroSizes() {
        for id: Int32 in [-1, 4, 5, 6, 7, 9, 10, 11, 15, 29, 31, 1000] {
            #expect(ck_type_supported(id) == 0)
            #expect(ck_type_block_size(id) == 0)
            #expect(ck_type_block_bytes(id) == 0)
        }
    }

    @Test func quantizedActivationsRoundTripWithinHalfAStep() {
        let n = 256
        let x = KernelReference.activations(count: n, seed: 7)
        var blocks = [ck_block_q8](repeating: ck_block_q8(), count: n / 32)
        for path in KernelRunner.availablePaths {
            KernelRunner.withPath(level: path.level, vnni: path.vnni) {
                x.withUnsafeBufferPointer { xp in
                    blocks.withUnsafeMutableBufferPointer { bp in ck_quantize_row_q8(xp.baseAddress, bp.baseAddress, Int64(n)) }
                }
            }
            for (b, block) in blocks.enumerated() {
                let q = withUnsafeBytes(of: block.q) { Array($0.bindMemory(to: Int8.self)) }
                let amax = x[b * 32..<(b + 1) * 32].map { abs($0) }.max() ?? 0
                // d is stored as f16 like ggml's block_q8_0/q8_1: within half an
                // f16 ulp (2^-11 relative) of amax/127, and q was rounded with the
                // f32 scale, so each value is off by half a step plus 127 * that.
                let dErr = abs(block.d - amax / 127)
                #expect(dErr <= amax / 127 / 2048 * 1.0001)
                #expect(q.allSatisfy { $0 >= -127 })
                for j in 0..<32 {
                    #expect(abs(Float(q[j]) * block.d - x[b * 32 + j]) <= block.d * 0.5001 + 127 * dErr + 1e-7)
                }
                let sum = q.reduce(0) { $0 + Int($1) }
                #expect(abs(block.s - block.d * Float(sum)) <= 1e-5 * max(1, abs(block.s)), "level \(path.level)")
            }
        }
    }
}
