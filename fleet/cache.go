package fleet

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/cache"
	"github.com/redis/go-redis/v9"
)

// maxSkew is the clock difference between instances that a cache entry's
// signed expiry tolerates.
const maxSkew = time.Second

// maxPending bounds the generations remembered between a miss and its Add.
const maxPending = 10_000

// CacheConfig configures the shared decision cache.
type CacheConfig struct {
	// TTL is how long an answer is shared (at most cache.MaxTTL, default
	// cache.DefaultTTL). Redis drops the entry then; every instance also
	// checks the signed expiry on read.
	TTL time.Duration
	// LocalSize and LocalTTL, when LocalSize > 0, put a local cache.LRU in
	// front of Redis: answers read from Redis or stored are also kept in
	// process for LocalTTL, and it is the fallback while Redis is
	// unavailable. An answer may then be as old as TTL + LocalTTL, which
	// must stay within cache.MaxTTL, and a forget made on another instance
	// reaches this instance's LRU only through the event feed (its Client
	// then forgets too) or after LocalTTL. Without it (the default), every check
	// that is not in Redis asks the API, and so does every check while
	// Redis is unavailable.
	LocalSize int
	LocalTTL  time.Duration
	// PendingMaxAge is how long after a miss its answer may still be
	// stored in Redis (default 15 s; see [Cache]).
	PendingMaxAge time.Duration
}

// Cache is the fleet's shared decision cache: it implements authz.Cache
// (pass it to authz.WithCache), so an answer the API gave to one instance
// answers the same check on every instance for the TTL.
//
// It keeps the local cache's rules: an entry per cache.Key (every input of
// a check), only answers the API gave, each for at most the TTL. Every
// entry carries the generations of the fleet and of its membership:
// [Cache.ForgetMembership] is one write (INCR of the membership's
// generation) and [Cache.Purge] one more (the fleet's), after which every
// older entry is a miss on every instance; Redis drops them at their TTL.
//
// An answer is stored under the generations read at the miss that led to
// it (remembered for [CacheConfig.PendingMaxAge]), never those of the
// moment it is stored: a forget that happens while the API call is in
// flight makes that answer a miss too. An Add without a recent miss on
// this instance (a Fresh check, say) is kept locally only.
//
// Every entry is signed (HMAC-SHA256 with the fleet secret, [WithSecret])
// over its Redis key, its generations, its answer and its expiry; an
// entry that does not verify, or whose expiry is past or further than the
// TTL away, is a miss. See the package documentation for what a writer of
// Redis can still do.
//
// When Redis loses its data (FLUSHALL, a restart without persistence),
// the next reader starts the fleet generation again from a random value,
// not from 0: an answer read under the old generations and stored after
// the loss never matches the new ones, so a forget made before the loss
// still holds. Keep the fleet's keys out of eviction (maxmemory-policy
// noeviction or a volatile-* policy: generation keys have no TTL), and do
// not run the fleet on a Redis that may lose acknowledged writes and come
// back with older generations (an AOF without fsync always, a failover to
// a lagging replica): a lost forget can bring back an answer for at most
// the TTL.
//
// While Redis is unavailable (or slower than the fleet timeout) the cache
// answers from its local LRU only, if it has one, and the [Fleet] reports
// it; forgets that could not be written are written again when Redis
// answers, if their entries may still live.
type Cache struct {
	f        *Fleet
	ttl      time.Duration
	pendAge  time.Duration
	local    *cache.LRU
	gkey     string
	hits     atomic.Uint64
	local1   atomic.Uint64
	misses   atomic.Uint64
	rejected atomic.Uint64

	mu      sync.Mutex
	pending map[cache.Key]gens
	forgets map[string]time.Time // membership ("" = all) → when a forget failed to reach Redis
}

var _ authz.Cache = (*Cache)(nil)

// gens are the generations an entry is valid for.
type gens struct {
	all, om string
	at      time.Time
}

// NewCache returns the fleet's shared decision cache. The Fleet must have
// a secret ([WithSecret]).
func (f *Fleet) NewCache(cfg CacheConfig) (*Cache, error) {
	if f.secret == nil {
		return nil, invalid("the shared cache needs the fleet secret (WithSecret)")
	}
	if cfg.TTL == 0 {
		cfg.TTL = cache.DefaultTTL
	}
	if cfg.PendingMaxAge == 0 {
		cfg.PendingMaxAge = 15 * time.Second
	}
	switch {
	case cfg.TTL < time.Millisecond || cfg.TTL > cache.MaxTTL:
		return nil, invalid("TTL must be between 1ms and %v, got %v", cache.MaxTTL, cfg.TTL)
	case cfg.PendingMaxAge < 0:
		return nil, invalid("negative PendingMaxAge")
	case cfg.LocalSize < 0:
		return nil, invalid("negative LocalSize")
	case cfg.LocalSize > 0 && (cfg.LocalTTL <= 0 || cfg.TTL+cfg.LocalTTL > cache.MaxTTL):
		return nil, invalid("LocalTTL must be positive and TTL+LocalTTL at most %v", cache.MaxTTL)
	}
	c := &Cache{f: f, ttl: cfg.TTL, pendAge: cfg.PendingMaxAge, gkey: f.key("gen"),
		pending: map[cache.Key]gens{}, forgets: map[string]time.Time{}}
	if cfg.LocalSize > 0 {
		lru, err := cache.New(cfg.LocalSize, cfg.LocalTTL, cache.WithClock(f.now))
		if err != nil {
			return nil, invalid("local cache: %v", err)
		}
		c.local = lru
	}
	return c, nil
}

// CacheStats counts what a Cache answered.
type CacheStats struct {
	// Hits counts answers from Redis (written by any instance); LocalHits
	// answers from the local LRU in front; Misses the rest.
	Hits, LocalHits, Misses uint64
	// Rejected counts Redis entries that did not verify (bad signature,
	// bad format, expiry further than the TTL away): each was a miss.
	Rejected uint64
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), LocalHits: c.local1.Load(), Misses: c.misses.Load(), Rejected: c.rejected.Load()}
}

// hash returns the keyed hash (HMAC-SHA256 with the fleet secret) of
// parts, each length-prefixed so no two lists share a hash, as 32 hex
// digits.
func (c *Cache) hash(parts ...string) string {
	m := hmac.New(sha256.New, c.f.secret)
	var n [4]byte
	for _, p := range parts {
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil)[:16])
}

func (c *Cache) entryKey(k cache.Key) string {
	return c.f.key("c:" + c.hash("entry", k.Client, k.MembershipID, k.Permission, k.ResourceID, k.ResourceTypeSlug, k.ResourceExternalID))
}

func (c *Cache) genKey(om string) string { return c.f.key("gen:" + c.hash("om", om)) }

// value encodes a signed entry: v1.<all>.<om>.<0|1>.<expiry ms>.<mac>.
func (c *Cache) value(ekey string, g gens, allowed bool, expiry int64) string {
	a := "0"
	if allowed {
		a = "1"
	}
	body := "v1." + g.all + "." + g.om + "." + a + "." + strconv.FormatInt(expiry, 10)
	return body + "." + c.hash(ekey, body)
}

// verify decodes v, the entry stored under ekey. valid is false when v
// is not an entry this fleet signed for ekey, or its expiry is further
// than the TTL away; current is true when it has not expired and carries
// the generations g (it was not forgotten since).
func (c *Cache) verify(ekey, v string, g gens) (allowed, current, valid bool) {
	i := strings.LastIndexByte(v, '.')
	if i < 0 {
		return false, false, false
	}
	body, mac := v[:i], v[i+1:]
	if !hmac.Equal([]byte(mac), []byte(c.hash(ekey, body))) {
		return false, false, false
	}
	f := strings.Split(body, ".")
	if len(f) != 5 || f[0] != "v1" || (f[3] != "0" && f[3] != "1") {
		return false, false, false
	}
	exp, err := strconv.ParseInt(f[4], 10, 64)
	if err != nil {
		return false, false, false
	}
	now := c.f.now().UnixMilli()
	if exp > now+(c.ttl+maxSkew).Milliseconds() {
		return false, false, false // longer than any entry lives: not one of ours
	}
	// An expired entry (Redis may keep it a moment longer) is a plain miss.
	return f[3] == "1", exp > now && f[1] == g.all && f[2] == g.om, true
}

// Get returns the shared answer for k: from the local LRU in front, if
// any, else from Redis (one MGET of the two generations and the entry).
// While Redis is unavailable only the local LRU answers.
func (c *Cache) Get(k cache.Key) (allowed, ok bool) {
	if c.local != nil {
		if a, ok := c.local.Get(k); ok {
			c.local1.Add(1)
			return a, true
		}
	}
	if !c.f.usable() {
		c.misses.Add(1)
		return false, false
	}
	ctx, cancel := c.f.ctx(context.Background())
	defer cancel()
	ekey := c.entryKey(k)
	vals, err := c.f.rdb.MGet(ctx, c.gkey, c.genKey(k.MembershipID), ekey).Result()
	c.f.observe(context.Background(), err) // the fleet timeout is not a caller giving up
	if err != nil || len(vals) != 3 {
		c.misses.Add(1)
		return false, false
	}
	c.flushForgets()
	g := gens{all: str(vals[0]), om: str(vals[1]), at: c.f.now()}
	if vals[0] == nil {
		// No fleet generation: a new fleet, or Redis lost its data
		// (FLUSHALL, a restart without persistence). Start a new random
		// one, so that no answer read under the old one — in flight now
		// on some instance — matches again once counters restart at 0.
		all, err := c.epoch()
		if err != nil {
			c.misses.Add(1)
			return false, false
		}
		g.all = all
	}
	if v, isStr := vals[2].(string); isStr {
		a, current, valid := c.verify(ekey, v, g)
		switch {
		case !valid:
			c.rejected.Add(1)
		case current:
			c.hits.Add(1)
			if c.local != nil {
				c.local.Add(k, a)
			}
			return a, true
		}
	}
	c.misses.Add(1)
	c.mu.Lock()
	if _, seen := c.pending[k]; !seen {
		if len(c.pending) >= maxPending {
			clear(c.pending)
		}
		c.pending[k] = g
	}
	c.mu.Unlock()
	return false, false
}

var (
	// initEpoch returns the fleet generation KEYS[1], set to ARGV[1] first
	// if missing.
	initEpoch = redis.NewScript(`
local g = redis.call('GET', KEYS[1])
if not g then g = ARGV[1]; redis.call('SET', KEYS[1], g) end
return g`)
	// incrEpoch increments the fleet generation KEYS[1], set to ARGV[1]
	// first if missing (a counter restarted at 0 would repeat values).
	incrEpoch = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1]) end
return redis.call('INCR', KEYS[1])`)
)

// randomGeneration is a random start for the fleet generation: a decimal
// below 2^62, so that INCR keeps working and two starts (after two
// flushes) differ but with a chance of 2^-62.
func randomGeneration() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatUint(binary.BigEndian.Uint64(b[:])>>2|1<<32, 10)
}

// epoch returns the fleet generation, starting a random one when Redis
// has none.
func (c *Cache) epoch() (string, error) {
	ctx, cancel := c.f.ctx(context.Background())
	defer cancel()
	g, err := initEpoch.Run(ctx, c.f.rdb, []string{c.gkey}, randomGeneration()).Text()
	c.f.observe(context.Background(), err)
	return g, err
}

func str(v any) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	return "0"
}

// Add stores an answer the API gave for k: in the local LRU, if any, and
// in Redis under the generations read at this instance's last miss of k
// (if that miss is recent; see [Cache]).
func (c *Cache) Add(k cache.Key, allowed bool) {
	if c.local != nil {
		c.local.Add(k, allowed)
	}
	c.mu.Lock()
	g, ok := c.pending[k]
	delete(c.pending, k)
	c.mu.Unlock()
	now := c.f.now()
	if !ok || now.Sub(g.at) > c.pendAge || !c.f.usable() {
		return
	}
	ekey := c.entryKey(k)
	ctx, cancel := c.f.ctx(context.Background())
	defer cancel()
	err := c.f.rdb.Set(ctx, ekey, c.value(ekey, g, allowed, now.Add(c.ttl).UnixMilli()), c.ttl).Err()
	c.f.observe(context.Background(), err) // the fleet timeout is not a caller giving up
}

// ForgetMembership makes every shared answer of membership om a miss, on
// every instance: one INCR of its generation. It also forgets om's answers
// in the local LRU. When Redis cannot be written the forget is written
// again when Redis answers (if entries written before it may still live).
func (c *Cache) ForgetMembership(om string) {
	if c.local != nil {
		c.local.ForgetMembership(om)
	}
	c.forget(om, c.genKey(om))
}

// Purge makes every shared answer a miss, on every instance (one INCR of
// the fleet's generation), and empties the local LRU.
func (c *Cache) Purge() {
	if c.local != nil {
		c.local.Purge()
	}
	c.forget("", c.gkey)
}

func (c *Cache) forget(om, gkey string) {
	ctx, cancel := c.f.ctx(context.Background())
	defer cancel()
	var err error
	if om == "" {
		err = incrEpoch.Run(ctx, c.f.rdb, []string{gkey}, randomGeneration()).Err()
	} else {
		err = c.f.rdb.Incr(ctx, gkey).Err()
	}
	c.f.observe(context.Background(), err) // the fleet timeout is not a caller giving up
	if err != nil {
		c.mu.Lock()
		if _, ok := c.forgets[om]; !ok {
			c.forgets[om] = c.f.now()
		}
		c.mu.Unlock()
	}
}

// flushForgets writes again the forgets that failed while Redis was
// unavailable and whose entries may still live.
func (c *Cache) flushForgets() {
	c.mu.Lock()
	if len(c.forgets) == 0 {
		c.mu.Unlock()
		return
	}
	todo := c.forgets
	c.forgets = map[string]time.Time{}
	c.mu.Unlock()
	for om, at := range todo {
		if c.f.now().Sub(at) > c.ttl+c.pendAge {
			continue // every entry it meant to forget has expired
		}
		gkey := c.gkey
		if om != "" {
			gkey = c.genKey(om)
		}
		c.forget(om, gkey)
	}
}

// Close empties the local LRU. It does not touch Redis.
func (c *Cache) Close() error {
	if c.local != nil {
		return c.local.Close()
	}
	return nil
}
