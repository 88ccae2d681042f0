import CKernels
import Foundation
import Synchronization
import Testing

/// The persistent pool: every thread index runs exactly once per call, the
/// caller participates, and repeated calls (spinning and parked workers) work.
@Suite struct KernelPoolTests {
    /// Counts calls per thread index; each index writes only its own slot.
    private final class Tally {
        var counts: [Int]
        var nth: [Int32]
        init(size: Int) {
            counts = [Int](repeating: 0, count: size)
            nth = [Int32](repeating: 0, count: size)
        }
    }

    private static let record: @convention(c) (UnsafeMutableRawPointer?, Int32, Int32) -> Void = { ctx, ith, nth in
        guard let ctx else { return }
        let tally = Unmanaged<Tally>.fromOpaque(ctx).takeUnretainedValue()
        tally.counts.withUnsafeMutableBufferPointer { $0[Int(ith)] += 1 }
        tally.nth.withUnsafeMutableBufferPointer { $0[Int(ith)] = nth }
    }

    @Test(arguments: [1, 2])
    func everyThreadRunsOncePerCall(threads: Int32) throws {
        let pool = try #require(ck_pool_create(threads))
        defer { ck_pool_destroy(pool) }
        let size = Int(ck_pool_size(pool))
        #expect(size >= 1 && size <= Int(threads))
        let tally = Tally(size: 8)
        let ctx = Unmanaged.passUnretained(tally).toOpaque()
        let calls = 2000
        for _ in 0..<calls { ck_pool_run(pool, Self.record, ctx) }
        #expect(Array(tally.counts.prefix(size)) == [Int](repeating: calls, count: size))
        #expect(tally.counts.dropFirst(size).allSatisfy { $0 == 0 })
        #expect(Array(tally.nth.prefix(size)) == [Int32](repeating: Int32(size), count: size))
    }

    @Test func parkedWorkersWakeForTheNextCall() async throws {
        let pool = try #require(ck_pool_create(2))
        defer { ck_pool_destroy(pool) }
        let tally = Tally(size: 8)
        let ctx = Unmanaged.passUnretained(tally).toOpaque()
        ck_pool_run(pool, Self.record, ctx)
        try await Task.sleep(for: .milliseconds(50))  // longer than the spin phase: workers park
        ck_pool_run(pool, Self.record, ctx)
        let size = Int(ck_pool_size(pool))
        #expect(Array(tally.counts.prefix(size)) == [Int](repeating: 2, count: size))
    }

    /// Work claimed from a shared counter: every item done exactly once per run,
    /// alternating with static runs so the two protocols follow each other.
    @available(macOS 15.0, *)  // Synchronization.Atomic
    private final class Claims {
        let items = 4096
        let counter = Atomic<Int>(0)
        let done: UnsafeMutablePointer<UInt8>
        init() {
            done = UnsafeMutablePointer<UInt8>.allocate(capacity: items)
            reset()
        }
        func reset() {
            counter.store(0, ordering: .sequentiallyConsistent)
            done.initialize(repeating: 0, count: items)
        }
        deinit { done.deallocate() }
    }

    @available(macOS 15.0, *)
    private static let claim: @convention(c) (UnsafeMutableRawPointer?, Int32, Int32) -> Void = { ctx, _, _ in
        guard let ctx else { return }
        let claims = Unmanaged<Claims>.fromOpaque(ctx).takeUnretainedValue()
        while true {
            let i = claims.counter.wrappingAdd(16, ordering: .relaxed).oldValue
            if i >= claims.items { return }
            for j in i..<min(i + 16, claims.items) { claims.done[j] &+= 1 }
        }
    }

    @available(macOS 15.0, *)
    @Test(arguments: [1, 2])
    func dynamicRunsCoverEveryItemOnce(threads: Int32) throws {
        let pool = try #require(ck_pool_create(threads))
        defer { ck_pool_destroy(pool) }
        let claims = Claims()
        let tally = Tally(size: 8)
        for round in 0..<500 {
            claims.reset()
            ck_pool_run_dynamic(pool, Self.claim, Unmanaged.passUnretained(claims).toOpaque())
            let wrong = (0..<claims.items).filter { claims.done[$0] != 1 }.count
            #expect(wrong == 0, "round \(round): \(wrong) items not done exactly once")
            ck_pool_run(pool, Self.record, Unmanaged.passUnretained(tally).toOpaque())
        }
        let size = Int(ck_pool_size(pool))
        #expect(Array(tally.counts.prefix(size)) == [Int](repeating: 500, count: size))
    }

    /// A matmul issued from inside a pool run (nested use) runs inline instead of deadlocking.
    private final class Nested {
        let pool: OpaquePointer
        var innerThreads: [Int32] = [0, 0, 0, 0, 0, 0, 0, 0]
        init(pool: OpaquePointer) { self.pool = pool }
    }

    private static let nested: @convention(c) (UnsafeMutableRawPointer?, Int32, Int32) -> Void = { ctx, ith, _ in
        guard let ctx else { return }
        let outer = Unmanaged<Nested>.fromOpaque(ctx).takeUnretainedValue()
        let tally = Tally(size: 8)
        ck_pool_run(outer.pool, record, Unmanaged.passUnretained(tally).toOpaque())
        outer.innerThreads.withUnsafeMutableBufferPointer { $0[Int(ith)] = tally.nth[0] }
    }

    @Test func nestedRunExecutesInline() throws {
        let pool = try #require(ck_pool_create(2))
        defer { ck_pool_destroy(pool) }
        let outer = Nested(pool: pool)
        ck_pool_run(pool, Self.nested, Unmanaged.passUnretained(outer).toOpaque())
        let size = Int(ck_pool_size(pool))
        #expect(Array(outer.innerThreads.prefix(size)) == [Int32](repeating: 1, count: size))
    }

    @Test func nilPoolRunsInlineAsOneThread() {
        let tally = Tally(size: 8)
        ck_pool_run(nil, Self.record, Unmanaged.passUnretained(tally).toOpaque())
        #expect(tally.counts[0] == 1 && tally.nth[0] == 1)
        #expect(ck_pool_size(nil) == 1)
    }

    @Test func neverMoreThreadsThanCores() throws {
        let pool = try #require(ck_pool_create(1024))
        defer { ck_pool_destroy(pool) }
        #expect(Int(ck_pool_size(pool)) <= max(1, ProcessInfo.processInfo.activeProcessorCount))
    }
}
