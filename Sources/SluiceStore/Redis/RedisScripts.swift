/// The Lua scripts. Each reads the clock with `redis.call('TIME')` (one clock for all
/// replicas; Redis 7 replicates scripts by effects, so TIME before writes is allowed).
/// Numbers are written with `string.format('%.0f')`: Lua's default number-to-string
/// (`%.14g`) would round microsecond timestamps (16 digits).
enum RedisScripts {
    /// Shared helpers; the GCRA arithmetic mirrors `GCRA` in Swift operation by operation.
    private static let prelude = """
    local PERIOD = 60000000
    local function int(x) return string.format('%.0f', x) end
    local function now_us(passed)
      local given = tonumber(passed)
      if given ~= nil and given > 0 then return given end
      local t = redis.call('TIME')
      return tonumber(t[1]) * 1000000 + tonumber(t[2])
    end
    local function cost(q, limit) return math.ceil(q * PERIOD / limit) end
    local function remaining(debt, limit)
      local units = math.floor((PERIOD - debt) * limit / PERIOD)
      if units < 0 then units = 0 end
      if units > limit then units = limit end
      return units
    end
    local function store_tat(key, tat, now)
      if tat <= now then
        redis.call('DEL', key)
      else
        redis.call('SET', key, int(tat), 'PX', int(math.ceil((tat - now) / 1000) + 1000))
      end
    end

    """

    /// All limits of one request, all or nothing, as a Lua function shared by `admit` and `serve`.
    /// `admission(k_req, k_tok, k_conc, k_budget, k_resv, request_id, rpm, tpm, reserved, max_conc, lease_us,
    /// budget, budget_ttl, resv_life, now, served)` returns the 10-value decision array of `admit`.
    /// With `served` (a request answered at once, e.g. a cache hit) the commit is the net effect of
    /// `admit` followed by `settle` at the reserved size with the lease released: the same rpm and
    /// budget charges, the token TAT moved on to the full cost (`GCRA.settle` of tpm cost → reserved,
    /// which collapses to `store_tat(new TAT + delta)` because the admitted TAT is ≥ now), and no
    /// lease or reservation left behind. `AdmissionPlanner.admitAndSettle` is its Swift twin.
    private static let admission = """
    local function evaluate(key, limit, q, now)
      local stored = redis.call('GET', key)
      local tat = now
      if stored then tat = tonumber(stored) end
      local base = math.max(tat, now)
      local new_tat = base + cost(q, limit)
      local debt = new_tat - now
      local rem_now = remaining(base - now, limit)
      if debt > PERIOD then
        return {false, base, debt - PERIOD, rem_now, base - now, rem_now, base - now}
      end
      return {true, new_tat, 0, remaining(debt, limit), debt, rem_now, base - now}
    end
    local function admission(k_req, k_tok, k_conc, k_budget, k_resv, request_id, rpm, tpm, reserved, max_conc,
                              lease_us, budget, budget_ttl, resv_life, now, served)
      local tpm_cost = reserved
      if tpm > 0 and reserved > tpm then tpm_cost = tpm end
      -- Phase 1: decide every limit; nothing is consumed here (expired leases are only swept).
      -- evaluate returns {allowed, new TAT, retry, remaining after, reset after, remaining now, reset now}:
      -- the "after" values go on an admission, the "now" values on a rejection (nothing consumed).
      local req = {true, 0, 0, 0, 0, 0, 0}
      local tok = {true, 0, 0, 0, 0, 0, 0}
      if rpm > 0 then req = evaluate(k_req, rpm, 1, now) end
      if tpm > 0 then tok = evaluate(k_tok, tpm, tpm_cost, now) end
      local budget_ok = true
      if budget >= 0 then
        local used = tonumber(redis.call('GET', k_budget) or '0')
        budget_ok = used + reserved <= budget
      end
      local conc_ok = true
      if max_conc > 0 then
        redis.call('ZREMRANGEBYSCORE', k_conc, '-inf', int(now))
        conc_ok = redis.call('ZCARD', k_conc) < max_conc
      end
      local rate_ok = req[1] and tok[1]
      if not (budget_ok and rate_ok and conc_ok) then
        local reason = 3
        if not budget_ok then reason = 1 elseif not rate_ok then reason = 2 end
        return {0, reason, math.max(req[3], tok[3]), rpm, req[6], req[7], tpm, tok[6], tok[7], tpm_cost}
      end

      -- Phase 2: commit every limit.
      if rpm > 0 then store_tat(k_req, req[2], now) end
      -- A request of 0 tokens (a cache hit) leaves the token TAT as it is: max(TAT, now) is
      -- what any later evaluation reads either way, so the write is skipped.
      if tpm > 0 and reserved > 0 then
        if served then
          store_tat(k_tok, tok[2] + cost(reserved, tpm) - cost(tpm_cost, tpm), now)
        else
          store_tat(k_tok, tok[2], now)
        end
      end
      if budget >= 0 then
        redis.call('INCRBY', k_budget, int(reserved))
        redis.call('EXPIRE', k_budget, int(budget_ttl))
      end
      if not served then
        if max_conc > 0 then
          redis.call('ZADD', k_conc, int(now + lease_us), request_id)
          local keep_ms = math.ceil(lease_us / 1000) + 1000
          if redis.call('PTTL', k_conc) < keep_ms then redis.call('PEXPIRE', k_conc, int(keep_ms)) end
        end
        redis.call('SET', k_resv, int(tpm_cost) .. ' ' .. int(reserved),
                   'PX', int(math.ceil(math.max(lease_us, resv_life) / 1000)))
      end
      return {1, 0, 0, rpm, req[4], req[5], tpm, tok[4], tok[5], tpm_cost}
    end

    """

    /// All limits of one request, all or nothing.
    /// KEYS: 1 request TAT, 2 token TAT, 3 lease ZSET, 4 budget counter, 5 reservation.
    /// ARGV: 1 request id, 2 rpm (0 none), 3 tpm (0 none), 4 reserved tokens, 5 max concurrent (0 none),
    ///       6 lease µs, 7 budget tokens (-1 none), 8 budget counter TTL s, 9 reservation lifetime µs,
    ///       10 time µs (0: Redis TIME; a caller clock only for deterministic tests).
    /// Returns {allowed, reason (0 ok, 1 quota, 2 rate, 3 concurrency), retry µs,
    ///          rpm limit, rpm remaining, rpm reset µs, tpm limit, tpm remaining, tpm reset µs, tpm cost}.
    static let admit = RedisScript(name: "admit", source: prelude + admission + """
    return admission(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]),
                     tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]),
                     tonumber(ARGV[9]), now_us(ARGV[10]), false)
    """)

    /// A request served at once, in one round trip: optionally the cache lookup (a miss returns
    /// at once and consumes nothing), then the admission at its known cost, settled in the same
    /// step (`admission(..., served)`), then the usage counters. A rejection consumes nothing and
    /// records no usage. Used for cache hits (`RedisCacheHitServer`) and `admitAndSettle`.
    /// KEYS: 1 request TAT, 2 token TAT, 3 lease ZSET, 4 budget counter, 5 cache entry, 6 usage hash.
    /// ARGV: 1 look up the cache entry (1/0), 2 admit (1/0: the caller has no limits), 3 rpm, 4 tpm,
    ///       5 tokens charged, 6 max concurrent, 7 budget tokens (-1 none), 8 budget counter TTL s,
    ///       9 time µs (0: TIME), 10 record usage (1/0), 11 prompt tokens, 12 completion tokens,
    ///       13 usage retention s.
    /// Returns {0} on a miss; else {1 served / 2 rejected, entry bytes ('' without lookup or when
    /// rejected), then the 10 decision values of `admit` (all 0 when not admitted: no limits)}.
    static let serve = RedisScript(name: "serve", source: prelude + admission + """
    local body = ''
    if ARGV[1] == '1' then
      body = redis.call('GET', KEYS[5])
      if not body then return {0} end
    end
    local d = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
    if ARGV[2] == '1' then
      d = admission(KEYS[1], KEYS[2], KEYS[3], KEYS[4], '', '', tonumber(ARGV[3]), tonumber(ARGV[4]),
                    tonumber(ARGV[5]), tonumber(ARGV[6]), 0, tonumber(ARGV[7]), tonumber(ARGV[8]), 0,
                    now_us(ARGV[9]), true)
      if d[1] == 0 then
        return {2, '', d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10]}
      end
    end
    if ARGV[10] == '1' then
      -- The day's hash gets its expiry when this creates it (every writer sets one); zero
      -- counts are not written (a cache hit adds no tokens). Fewer calls: this runs per hit.
      if redis.call('HINCRBY', KEYS[6], 'req', 1) == 1 then redis.call('EXPIRE', KEYS[6], ARGV[13]) end
      if ARGV[11] ~= '0' then redis.call('HINCRBY', KEYS[6], 'in', ARGV[11]) end
      if ARGV[12] ~= '0' then redis.call('HINCRBY', KEYS[6], 'out', ARGV[12]) end
    end
    return {1, body, d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10]}
    """)

    /// Idempotent reconcile of a reservation with the real token count.
    /// KEYS: 1 token TAT, 2 budget counter, 3 reservation, 4 lease ZSET.
    /// ARGV: 1 request id, 2 tpm (0 none), 3 actual tokens, 4 release lease (1/0), 5 time µs (0: TIME).
    /// Returns 1 when settled, 0 when the reservation was already settled or expired.
    static let settle = RedisScript(name: "settle", source: prelude + """
    local now = now_us(ARGV[5])
    if ARGV[4] == '1' then redis.call('ZREM', KEYS[4], ARGV[1]) end
    local stored = redis.call('GET', KEYS[3])
    if not stored then return 0 end
    redis.call('DEL', KEYS[3])
    local tpm_cost, budget_cost = string.match(stored, '^(%d+) (%d+)$')
    tpm_cost = tonumber(tpm_cost)
    budget_cost = tonumber(budget_cost)
    if tpm_cost == nil or budget_cost == nil then return 0 end
    local actual = tonumber(ARGV[3])
    if actual < 0 then actual = 0 end
    local tpm = tonumber(ARGV[2])
    if tpm > 0 then
      local delta = cost(actual, tpm) - cost(tpm_cost, tpm)
      local current = redis.call('GET', KEYS[1])
      if current then
        local tat = tonumber(current)
        if delta > 0 then store_tat(KEYS[1], math.max(tat, now) + delta, now)
        else store_tat(KEYS[1], tat + delta, now) end
      elseif delta > 0 then
        store_tat(KEYS[1], now + delta, now)
      end
    end
    local used = redis.call('GET', KEYS[2])
    if used then
      local adjusted = tonumber(used) + actual - budget_cost
      if adjusted < 0 then adjusted = 0 end
      redis.call('SET', KEYS[2], int(adjusted), 'KEEPTTL')
    end
    return 1
    """)

    /// Pushes a live lease's expiry out (long streams). KEYS: 1 lease ZSET. ARGV: 1 request id, 2 lease µs, 3 time µs (0: TIME).
    static let renewLease = RedisScript(name: "renew_lease", source: prelude + """
    local now = now_us(ARGV[3])
    local changed = redis.call('ZADD', KEYS[1], 'XX', 'CH', int(now + tonumber(ARGV[2])), ARGV[1])
    local keep_ms = math.ceil(tonumber(ARGV[2]) / 1000) + 1000
    if redis.call('PTTL', KEYS[1]) < keep_ms then redis.call('PEXPIRE', KEYS[1], int(keep_ms)) end
    return changed
    """)

    /// Creates a key record unless the id exists. KEYS: 1 record hash, 2 id set. ARGV: 1 id, 2 JSON, 3 version.
    static let createKey = RedisScript(name: "create_key", source: """
    if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
    redis.call('HSET', KEYS[1], 'record', ARGV[2], 'version', ARGV[3])
    redis.call('SADD', KEYS[2], ARGV[1])
    return 1
    """)

    /// Compare-and-set of a key record on its version, so concurrent admin updates from
    /// two replicas never lose one another. KEYS: 1 record hash. ARGV: 1 expected version, 2 JSON, 3 new version.
    /// Returns 1 on success, 0 on a version mismatch, -1 when the key does not exist.
    static let updateKey = RedisScript(name: "update_key", source: """
    local current = redis.call('HGET', KEYS[1], 'version')
    if not current then return -1 end
    if current ~= ARGV[1] then return 0 end
    redis.call('HSET', KEYS[1], 'record', ARGV[2], 'version', ARGV[3])
    return 1
    """)

    static let all: [RedisScript] = [admit, serve, settle, renewLease, createKey, updateKey]
}
