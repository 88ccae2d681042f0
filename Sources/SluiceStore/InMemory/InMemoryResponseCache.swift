import Synchronization

/// Response cache of the embedded store: entries with a TTL, bounded in count and
/// bytes; when full, expired entries go first, then the oldest inserted (FIFO).
public final class InMemoryResponseCache: ResponseCache {
    private struct Entry {
        var value: [UInt8]
        var expiresAt: Int64
        var generation: UInt64
    }

    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        /// Insertion order; stale items (overwritten entries) are skipped by generation.
        var order: [(key: [UInt8], generation: UInt64)] = []
        var orderHead = 0
        var bytes = 0
        var nextGeneration: UInt64 = 0
    }

    public let maxEntries: Int
    public let maxBytes: Int
    private let clock: any StoreClock
    private let state = Mutex(State())

    public init(maxEntries: Int = 10_000, maxBytes: Int = 256 << 20, clock: any StoreClock = SystemStoreClock()) {
        self.maxEntries = max(1, maxEntries)
        self.maxBytes = max(1, maxBytes)
        self.clock = clock
    }

    public func get(tenant: String, key: [UInt8]) async throws(StoreError) -> [UInt8]? {
        let digest = CacheEntryKey.digest(tenant: tenant, key: key)
        let now = clock.nowMicroseconds()
        return state.withLock { state in
            guard let entry = state.entries[digest] else { return nil }
            guard entry.expiresAt > now else {
                state.bytes -= entry.value.count
                state.entries[digest] = nil
                return nil
            }
            return entry.value
        }
    }

    public func put(tenant: String, key: [UInt8], value: [UInt8], ttl: Duration) async throws(StoreError) {
        guard ttl > .zero, value.count <= maxBytes else { return }
        let digest = CacheEntryKey.digest(tenant: tenant, key: key)
        let expiresAt = clock.nowMicroseconds() + ttl.microseconds
        state.withLock { state in
            if let old = state.entries[digest] { state.bytes -= old.value.count }
            state.nextGeneration += 1
            state.entries[digest] = Entry(value: value, expiresAt: expiresAt, generation: state.nextGeneration)
            state.order.append((digest, state.nextGeneration))
            state.bytes += value.count
            evict(&state)
        }
    }

    public var count: Int { state.withLock { $0.entries.count } }

    private func evict(_ state: inout State) {
        while state.entries.count > maxEntries || state.bytes > maxBytes, state.orderHead < state.order.count {
            let (key, generation) = state.order[state.orderHead]
            state.orderHead += 1
            if let entry = state.entries[key], entry.generation == generation {
                state.bytes -= entry.value.count
                state.entries[key] = nil
            }
        }
        // Compact the order log once its dead prefix dominates, keeping appends amortised O(1).
        if state.orderHead > 1024 && state.orderHead * 2 > state.order.count {
            state.order.removeFirst(state.orderHead)
            state.orderHead = 0
        }
        if state.order.count > 4 * max(state.entries.count, 256) {
            let live = state.entries
            state.order = state.order.filter { live[$0.key]?.generation == $0.generation }
            state.orderHead = 0
        }
    }
}
