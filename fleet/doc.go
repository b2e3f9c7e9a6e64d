// Package fleet runs fgakit across many app instances that share one
// WorkOS API key: one request budget, one decision cache and one event
// feed for the whole fleet, kept in Redis. It is a module of its own
// (github.com/fgakit/fgakit/fleet), so that users of fgakit who run one
// process never download a Redis client.
//
// WorkOS allows 6,000 requests a minute per API key — for the whole
// product, not per process. Twenty instances with local limiters each
// believe they have the whole budget; twenty local caches cannot share an
// answer; twenty event pollers read the same feed. With a [Fleet]:
//
//   - [Limiter] ([Fleet.NewLimiter]) paces every instance's requests on one
//     GCRA schedule in Redis, so the fleet sends at most the budget plus
//     one burst in any window. Pass it to authz.WithLimiter.
//   - [Cache] ([Fleet.NewCache]) shares each answer the API gave with every
//     instance for a short TTL, with per-membership generations so that
//     forgetting a membership is one write. Pass it to authz.WithCache.
//   - [Feed] ([Fleet.StartFeed]) lets one instance at a time (the holder of
//     a lease) poll the Events API and hands every event to every
//     instance through a Redis stream, into each instance's [events.State]
//     ([FeedConfig].State): the events, since when the State knows every
//     change ([events.State.Cover]), and whether the feed lags
//     ([events.State.SetLagging]).
//     Its cursor lives in Redis ([Fleet.CursorStore], an
//     events.CursorStore).
//
// # Wiring
//
//	rdb := redis.NewClient(fleet.RedisOptions("redis:6379"))
//	f, _ := fleet.New(rdb, fleet.WithSecret(secret), fleet.WithLogger(slog.Default()))
//	lim, _ := f.NewLimiter(fleet.LimitConfig{PerMinute: authz.WorkOSRateLimit, Burst: 100, LocalPerMinute: authz.WorkOSRateLimit / instances})
//	shared, _ := f.NewCache(fleet.CacheConfig{TTL: 5 * time.Second, LocalSize: 10_000, LocalTTL: time.Second})
//	state, _ := events.NewState()
//	feed, _ := f.StartFeed(fleet.FeedConfig{APIKey: apiKey, Limiter: lim, State: state})
//	defer feed.Close()
//	client, _ := authz.New(apiKey, authz.WithLimiter(lim), authz.WithCache(shared), authz.WithFreshness(state))
//
// # What each path costs
//
// A limiter slot is one Redis round trip (one EVALSHA). A cache lookup is
// one round trip (MGET of two generations and the entry), none when the
// local LRU in front answers; storing an answer is one SET; forgetting a
// membership or purging is one INCR. The feed costs the fleet one GET
// /events per poll interval (12 a minute by default), not one per
// instance, plus one script with each poll (the page, the cursor and the
// coverage); each instance holds one blocking XREAD, reads the coverage
// (one script) each time it has read the stream to its end, and sends one
// lease command (a renewal, or an attempt to take it) every Lease/6. An event about a membership makes every
// instance's Client forget it: one INCR per instance (the same counter;
// harmless, and the instances need not agree on who writes it).
//
// # Fail safe
//
// Redis is a place to share what the API said, never a source of access:
//
//   - Nothing is allowed because of Redis alone. A cache entry is an
//     answer the API gave to some instance, signed with HMAC-SHA256 under
//     the fleet secret ([WithSecret]) over its key, its answer, its
//     generations and its expiry; an entry that does not verify, or
//     claims to live longer than the TTL, is a miss (and counted,
//     [CacheStats].Rejected). Events read from the stream can only make an
//     events.State call more tokens stale, which makes the token layer
//     answer less and the API more.
//   - Redis unreachable, or slower than the fleet timeout ([WithTimeout],
//     100 ms by default): each instance falls back to its local behaviour
//     — the limiter to a local token bucket holding this instance's share
//     of the budget ([LimitConfig].LocalPerMinute: keep the shares' sum
//     within the budget), the cache to its local LRU (or to the API), the
//     feed to polling the Events API itself after one lease — and reports
//     it once (an error wrapping [ErrUnavailable] to [WithErrorHandler]
//     and the logger; [Fleet.Status]). It tries Redis again once per
//     probe interval ([WithProbeInterval]) and reports the recovery.
//     Forgets that could not be written are written again then.
//   - An error is never an answer: a limiter with no slot before the
//     deadline fails the call at once ([ErrNoSlot]); a cache that cannot
//     read Redis misses.
//
// # What a writer of Redis can do
//
// Anyone who can write to your Redis can deny service: delete or corrupt
// entries (misses: the API is asked), book the limiter's schedule ahead
// (calls fail with [ErrNoSlot]), hold the feed's lease or append
// malformed events (instances learn of changes late; with the events
// package's default lag policy the token layer then answers as it would
// without events). They cannot make a check allowed that the API would
// deny: they cannot sign an entry without the fleet secret, nor move an
// allow to another key, nor extend it past its TTL. The one thing they
// can do to an allow is keep a real one alive until its TTL ends after a
// forget (by resetting a generation counter) — the same staleness a cache
// has without a forget. Keep the TTL short, and keep the fleet secret out
// of Redis and away from the API key.
//
// # Priorities
//
// The limiter has one queue: the feed's GET /events (12 a minute, 0.2 %
// of the budget) waits in line with the checks, at most as far ahead as
// the checks' deadlines book the schedule (1 s in the simulation, see
// BENCHMARKS.md). That was measured as the only cost of having no
// priorities, so there are none. A slot is reserved up to the caller's
// deadline ahead: give a background job's calls short deadlines, so that
// it fails fast instead of booking the schedule far ahead of the
// interactive checks.
//
// # Limits
//
// The limiter's schedule lives in Redis's clock (TIME), so instances'
// clocks need not agree; cache expiry is checked against each instance's
// clock and tolerates a second of skew. A slot reserved by a caller that
// then gives up is not returned: the fleet sends fewer requests, never
// more. The feed delivers each event at least once (again after a
// failover or a Redis restart); events.State ignores an event ID it has
// applied. An instance's State knows nothing from before it was created
// until it has read the stream to its end; then the feed covers it since
// the fleet's read began, or, when the stream was trimmed before the
// instance read it ([FeedConfig].StreamMaxLen), since the first event it
// read — tokens issued before that are asked of the API until they
// expire (safe; costs calls). An instance that falls further behind the
// stream than StreamMaxLen events misses the trimmed ones; keep it well
// above the events of one token lifetime.
//
// After a FLUSHALL, or a Redis restarted empty, the limiter's schedule
// starts with its burst spent, the cache starts new random generations
// (an answer in flight across the loss is never stored under generations
// that a counter restarted at 0 would repeat), and the feed's next leader
// reads back from range_start. Keep the fleet's keys out of eviction, and
// avoid a Redis that may come back with older data after acknowledging
// writes: an older generation can bring back an answer for at most the
// TTL.
package fleet
