import CKernels
import Foundation
import SluiceTesting

/// Errors from loading the golden quantization fixtures.
enum KernelFixtureError: Error, CustomStringConvertible {
    case missingResource(String)
    case badManifest(String)

    var description: String {
        switch self {
        case .missingResource(let name): "missing fixture resource \(name)"
        case .badManifest(let why): "bad quant fixture manifest: \(why)"
        }
    }
}

/// One GGUF tensor type's golden data written by scripts/kernels/gen_quant_fixtures.py:
/// raw blocks of a [rows][cols] matrix and its dequantization by the `gguf` Python package.
struct QuantFixture: Sendable, CustomStringConvertible {
    let name: String
    let typeID: Int32
    let blockElements: Int
    let blockBytes: Int
    let rows: Int
    let cols: Int
    let raw: [UInt8]
    let dequantized: [Float]

    var description: String { name }
    var rowBytes: Int { cols / blockElements * blockBytes }

    static let typeNames = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"]

    static func directory() throws -> URL {
        guard let base = Bundle.module.resourceURL else { throw KernelFixtureError.missingResource("bundle") }
        return base.appendingPathComponent("Fixtures/quant")
    }

    static func load(_ name: String) throws -> QuantFixture {
        let dir = try directory()
        let manifestData = try Data(contentsOf: dir.appendingPathComponent("manifest.json"))
        guard let manifest = try JSONSerialization.jsonObject(with: manifestData) as? [String: Any],
              let rows = manifest["rows"] as? Int, let cols = manifest["cols"] as? Int,
              let types = manifest["types"] as? [String: Any],
              let entry = types[name] as? [String: Any],
              let id = entry["id"] as? Int,
              let blockElements = entry["block_elements"] as? Int,
              let blockBytes = entry["block_bytes"] as? Int
        else { throw KernelFixtureError.badManifest("no entry for \(name)") }
        let raw = [UInt8](try Data(contentsOf: dir.appendingPathComponent("\(name).bin")))
        let f32Data = try Data(contentsOf: dir.appendingPathComponent("\(name).f32"))
        guard f32Data.count == rows * cols * 4, raw.count == rows * cols / blockElements * blockBytes else {
            throw KernelFixtureError.badManifest("sizes of \(name) do not match \(rows)x\(cols)")
        }
        let values = f32Data.withUnsafeBytes { buf in
            (0..<rows * cols).map { Float(bitPattern: UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        return QuantFixture(name: name, typeID: Int32(id), blockElements: blockElements, blockBytes: blockBytes,
                            rows: rows, cols: cols, raw: raw, dequantized: values)
    }

    /// A [nOut][nIn] matrix made by cycling through the fixture's rows (each cut to
    /// its first nIn elements, a multiple of the block size), with its golden dequantization.
    func matrix(nOut: Int, nIn: Int? = nil) -> (raw: [UInt8], values: [Float]) {
        let nIn = nIn ?? cols
        let inBytes = nIn / blockElements * blockBytes
        var raw: [UInt8] = []
        var values: [Float] = []
        raw.reserveCapacity(nOut * inBytes)
        values.reserveCapacity(nOut * nIn)
        for o in 0..<nOut {
            let r = o % rows
            raw += self.raw[r * rowBytes..<r * rowBytes + inBytes]
            values += dequantized[r * cols..<r * cols + nIn]
        }
        return (raw, values)
    }
}

enum KernelReference {
    /// Activations with the spread of real hidden states: mostly small, a few outliers.
    static func activations(count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in
            let v = Float.random(in: -1...1, using: &rng)
            return i % 97 == 5 ? v * 8 : v
        }
    }

    /// y[r][o] in f64 from golden dequantized weights, plus a bound on the error that
    /// 8-bit block quantization of x may add: sum_i |w_i| * amax(block of i) * (1/254 + 1/2048)
    /// (round-to-nearest error of a 127-step scale, plus 127 steps of the f16
    /// rounding of the stored scale, half an ulp = 2^-11 relative, as ggml
    /// stores it), and float rounding slack.
    static func matmul(weights: [Float], nOut: Int, nIn: Int, x: [Float], nRows: Int,
                       quantizedActivations: Bool) -> (y: [Double], tolerance: [Double]) {
        var y = [Double](repeating: 0, count: nRows * nOut)
        var tol = [Double](repeating: 0, count: nRows * nOut)
        for r in 0..<nRows {
            let xr = Array(x[r * nIn..<(r + 1) * nIn])
            var blockMax = [Double](repeating: 0, count: nIn / 32 + 1)
            for i in 0..<nIn { blockMax[i / 32] = max(blockMax[i / 32], Double(abs(xr[i]))) }
            for o in 0..<nOut {
                var sum = 0.0, mag = 0.0, quantErr = 0.0
                for i in 0..<nIn {
                    let w = Double(weights[o * nIn + i])
                    sum += w * Double(xr[i])
                    mag += abs(w * Double(xr[i]))
                    quantErr += abs(w) * blockMax[i / 32] * (1.0 / 254 + 1.0 / 2048)
                }
                y[r * nOut + o] = sum
                tol[r * nOut + o] = (quantizedActivations ? quantErr * 1.01 : 0) + 2e-5 * mag + 1e-6
            }
        }
        return (y, tol)
    }
}

/// Runs ck_matmul / ck_matmul_packed from Swift arrays.
enum KernelRunner {
    static func matmul(pool: OpaquePointer?, type: Int32, weights: [UInt8], nOut: Int, nIn: Int,
                       x: [Float], nRows: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: nRows * nOut)
        weights.withUnsafeBytes { w in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    ck_matmul(pool, type, w.baseAddress, Int64(nOut), Int64(nIn), xp.baseAddress, Int64(nRows), yp.baseAddress)
                }
            }
        }
        return y
    }

    static func matmulPacked(pool: OpaquePointer?, packed: OpaquePointer, x: [Float], nRows: Int) -> [Float] {
        let nOut = Int(ck_weights_n_out(packed))
        var y = [Float](repeating: .nan, count: nRows * nOut)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                ck_matmul_packed(pool, packed, xp.baseAddress, Int64(nRows), yp.baseAddress)
            }
        }
        return y
    }

    /// Dispatch levels this CPU can run, as (level, vnni) pairs, portable first.
    static var availablePaths: [(level: Int32, vnni: Bool)] {
        var paths: [(Int32, Bool)] = []
        for level in 0...ck_cpu_level_detected() {
            paths.append((level, false))
            if level == 1 && ck_cpu_has_avx_vnni() != 0 { paths.append((1, true)) }
            if level == 2 && ck_cpu_has_vnni() != 0 { paths.append((2, true)) }
        }
        return paths
    }

    /// Runs body with the dispatcher forced to one path, restoring automatic selection after.
    static func withPath<T>(level: Int32, vnni: Bool, _ body: () throws -> T) rethrows -> T {
        ck_force_cpu_level(level)
        ck_force_vnni(vnni ? 1 : 0)
        defer {
            ck_force_cpu_level(-1)
            ck_force_vnni(1)
        }
        return try body()
    }
}
