import Foundation
import SluiceTesting
import Testing
@testable import SluiceEngine

/// The real SmolLM2 file parses with the values llama.cpp's gguf tools report,
/// and random damage to its header only ever produces errors, never a crash.
@Suite struct GGUFRealModelTests {
    @Test func parsesTheDefaultModel() throws {
        let file = try GGUFFile(path: try ModelFixture.requireDefaultModel())
        #expect(file.version == 3)
        #expect(file.tensors.count == 272)
        #expect(file.metadata.count == 33)
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.int("llama.block_count") == 30)
        #expect(try file.int("llama.embedding_length") == 576)
        #expect(try file.float("llama.rope.freq_base") == 100_000)
        #expect(try file.stringArray("tokenizer.ggml.tokens").count == 49152)
        #expect(try file.stringArray("tokenizer.ggml.merges").count == 48900)
        #expect(try file.int32Array("tokenizer.ggml.token_type").count == 49152)
        #expect(try file.bool("tokenizer.ggml.add_bos_token") == false)
        let embd = try #require(file.tensor(named: "token_embd.weight"))
        #expect(embd.type == .q8_0)
        #expect(embd.shape == [576, 49152])
        #expect(file.data(of: embd).count == 576 / 32 * 34 * 49152)
        let q = try #require(file.tensor(named: "blk.29.attn_q.weight"))
        #expect(q.type == .q4_1)
        #expect(q.shape == [576, 576])
        // The last tensor's data ends at (or just before, by padding) the end of the file.
        let end = file.tensors.map { file.dataOffset + $0.offset + $0.byteCount }.max() ?? 0
        #expect(end <= file.fileSize && file.fileSize - end < file.alignment)
    }

    /// Deterministic fuzzing: random truncations and byte flips of the real
    /// header (metadata + tensor table), parsed in place. Each case must either
    /// parse or throw a GGUFError; a crash fails the whole test run.
    @Test func damagedHeadersThrowOrParseButNeverCrash() throws {
        let path = try ModelFixture.requireDefaultModel()
        let original = try GGUFFile(path: path)
        let headerEnd = original.dataOffset
        // Keep a little tensor data after the header so some mutants parse tensors.
        var image = Array(original.rawBytes)
        var rng = GGUFFuzzRandom(seed: 0x5EED_6475)
        var parsed = 0
        var rejected = 0

        // 1. Truncations anywhere in the header, and a few inside the data.
        for _ in 0..<400 {
            let cut = Int(rng.next() % UInt64(headerEnd + 4096))
            image.withUnsafeBytes { all in
                let slice = UnsafeRawBufferPointer(rebasing: all[0..<cut])
                do {
                    _ = try GGUFFile(borrowing: slice)
                    parsed += 1
                } catch {
                    rejected += 1
                }
            }
        }
        // Small header truncations must always fail (tensor table incomplete).
        #expect(rejected >= 390)

        // 2. Byte flips: half near the start (counts, first keys), half in the
        // tensor table at the end of the header, some anywhere in the header.
        let tableStart = max(0, headerEnd - 272 * 80)
        for i in 0..<3000 {
            let flips = 1 + Int(rng.next() % 4)
            var saved: [(Int, UInt8)] = []
            for _ in 0..<flips {
                let region = rng.next() % 3
                let pos: Int = switch region {
                case 0: Int(rng.next() % 4096)
                case 1: tableStart + Int(rng.next() % UInt64(headerEnd - tableStart))
                default: Int(rng.next() % UInt64(headerEnd))
                }
                saved.append((pos, image[pos]))
                // Either a random byte or a high bit, which turns lengths huge.
                image[pos] = rng.next() % 2 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : image[pos] ^ 0x80
            }
            image.withUnsafeBytes { all in
                do {
                    let file = try GGUFFile(borrowing: all)
                    // Whatever parsed must be usable: every tensor's data is in bounds.
                    for t in file.tensors { _ = file.data(of: t).last }
                    parsed += 1
                } catch {
                    rejected += 1
                }
            }
            for (pos, byte) in saved.reversed() { image[pos] = byte }
            if i % 1000 == 0 { #expect(image.count == original.fileSize) }
        }
        #expect(parsed + rejected == 3400)
        #expect(rejected > 100)
    }
}

/// Small deterministic PRNG for tests (GGUFFuzzRandom, Steele et al. 2014).
struct GGUFFuzzRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
