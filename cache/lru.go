package cache

import (
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// MaxTTL is the longest time-to-live [New] accepts.
//
// Answers must be current: every second an entry lives is a second in which a
// revoked role may still be allowed. One minute is already long for
// authorization; prefer a few seconds ([DefaultTTL]), which is enough to
// absorb bursts of identical checks without letting old answers linger.
const MaxTTL = time.Minute

// DefaultTTL is a sensible time-to-live for callers with no better number:
// short enough that a changed assignment takes effect within seconds.
const DefaultTTL = 5 * time.Second

// DefaultSize is a sensible bound on the number of entries for callers with
// no better number (about 3 MB at the measured cost per entry, key strings included).
const DefaultSize = 10_000

// ErrInvalidConfig is returned by [New] for a size, TTL or option it cannot
// accept. The returned error wraps it and says which argument was wrong.
var ErrInvalidConfig = errors.New("cache: invalid configuration")

// Key identifies one decision: every input that can change the answer.
//
// Key is comparable and is compared field by field; it is never joined into
// one string, so no two different inputs can share an entry.
//
// Client identifies the API key that obtained the answer, so that clients
// with different API keys sharing one cache never see each other's answers.
// It must be derived from the key (for example a short hash), never the key
// itself. Set either ResourceID, or ResourceTypeSlug and ResourceExternalID;
// the two ways of naming the same resource are separate entries, and
// [LRU.ForgetMembership] removes both.
type Key struct {
	Client             string
	MembershipID       string
	Permission         string
	ResourceID         string
	ResourceTypeSlug   string
	ResourceExternalID string
}

// Option configures an [LRU] in [New].
type Option func(*config)

type config struct {
	now func() time.Time
}

// WithClock sets the function the cache reads the current time from (the
// default is [time.Now]). Tests use it to expire entries without sleeping.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// LRU is a bounded, short-lived decision cache: at most size entries, each
// answered for less than its TTL, the least recently used evicted first.
//
// Expiry is checked when an entry is read, against the clock; an expired
// entry is never returned. No goroutine runs in the background. An LRU is
// safe for concurrent use.
type LRU struct {
	ttl  time.Duration
	now  func() time.Time
	base time.Time // deadlines are stored as nanoseconds since base
	seed maphash.Seed
	hash func(Key) uint64 // replaceable by tests to force collisions

	mu      sync.Mutex
	entries *simplelru.LRU[uint64, entry]
	// byMembership indexes the hashes of each membership's entries, so
	// ForgetMembership touches only those. The eviction callback keeps it
	// in step with entries on every removal.
	byMembership map[string]map[uint64]struct{}
	closed       bool
}

// entry is what the LRU stores under the hash of its key. The full key is
// kept and compared on every read, so two keys with the same hash can only
// miss, never answer for each other.
type entry struct {
	key      Key
	deadline int64 // nanoseconds since LRU.base; expired when now >= deadline
	allowed  bool
}

// New returns an LRU holding at most size entries, each for less than ttl.
//
// New rejects a size of zero or less, a ttl of zero or less and a ttl above
// [MaxTTL]: the underlying library would read zero as "unbounded" or
// "forever", which this cache never means.
func New(size int, ttl time.Duration, opts ...Option) (*LRU, error) {
	if size <= 0 {
		return nil, fmt.Errorf("%w: size must be at least 1, got %d", ErrInvalidConfig, size)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("%w: ttl must be positive, got %v", ErrInvalidConfig, ttl)
	}
	if ttl > MaxTTL {
		return nil, fmt.Errorf("%w: ttl must be at most %v, got %v", ErrInvalidConfig, MaxTTL, ttl)
	}
	cfg := config{now: time.Now}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidConfig)
		}
		opt(&cfg)
	}
	if cfg.now == nil {
		return nil, fmt.Errorf("%w: WithClock needs a non-nil function", ErrInvalidConfig)
	}

	c := &LRU{
		ttl:          ttl,
		now:          cfg.now,
		base:         cfg.now(),
		seed:         maphash.MakeSeed(),
		byMembership: make(map[string]map[uint64]struct{}),
	}
	c.hash = func(k Key) uint64 { return maphash.Comparable(c.seed, k) }
	entries, err := simplelru.NewLRU(size, c.unindex)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	c.entries = entries
	return c, nil
}

// sinceBase returns the clock's current time as nanoseconds since c.base.
// With the real clock the difference uses the monotonic reading, so a jump
// of the wall clock neither extends nor shortens an entry's life.
func (c *LRU) sinceBase() int64 { return int64(c.now().Sub(c.base)) }

// Get returns the cached answer for k. ok is false when there is none: never
// stored, evicted, forgotten, or expired (an entry expires exactly TTL after
// it was added).
func (c *LRU) Get(k Key) (allowed bool, ok bool) {
	h := c.hash(k)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.entries.Get(h)
	if !found || e.key != k {
		return false, false
	}
	if c.sinceBase() >= e.deadline {
		c.entries.Remove(h)
		return false, false
	}
	return e.allowed, true
}

// Add stores the answer for k, replacing any earlier one, for the cache's
// TTL from now. When the cache is full the least recently used entry is
// evicted.
//
// Callers store only answers the API actually gave (allowed or denied);
// never store anything derived from an error, a timeout or a partial
// response.
func (c *LRU) Add(k Key, allowed bool) {
	h := c.hash(k)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if old, found := c.entries.Peek(h); found && old.key != k {
		// Another key with the same hash: drop it (and its index entry)
		// before taking its place.
		c.entries.Remove(h)
	}
	c.entries.Add(h, entry{key: k, deadline: c.sinceBase() + int64(c.ttl), allowed: allowed})
	set := c.byMembership[k.MembershipID]
	if set == nil {
		set = make(map[uint64]struct{})
		c.byMembership[k.MembershipID] = set
	}
	set[h] = struct{}{}
}

// ForgetMembership removes every entry of the organization membership om,
// whatever its client, permission or resource. It costs time in proportion
// to that membership's entries, not to the size of the cache.
//
// Call it after changing the membership's role assignments.
func (c *LRU) ForgetMembership(om string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h := range c.byMembership[om] {
		c.entries.Remove(h) // unindex deletes h from the set we range over; allowed in Go
	}
	delete(c.byMembership, om)
}

// Purge removes every entry.
//
// Call it after a change whose effect is not limited to one membership:
// a role's permissions edited, a resource deleted or moved to another parent.
func (c *LRU) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.purgeLocked()
}

func (c *LRU) purgeLocked() {
	c.byMembership = make(map[string]map[uint64]struct{}) // unindex on the fresh map is a no-op
	c.entries.Purge()
}

// Len returns the number of entries held, including expired entries not yet
// read or evicted.
func (c *LRU) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries.Len()
}

// Close removes every entry and stops storing new ones: after Close, Get
// always misses and Add does nothing. Close is idempotent and always returns
// nil; no goroutine needs stopping, as expiry is checked on read.
//
// Whoever created the cache closes it; a client given a shared cache does not.
func (c *LRU) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.purgeLocked()
	return nil
}

// unindex is the eviction callback of c.entries: it runs, with c.mu held, for
// every entry leaving the cache (evicted, removed, purged), and keeps
// byMembership in step.
func (c *LRU) unindex(h uint64, e entry) {
	set := c.byMembership[e.key.MembershipID]
	delete(set, h)
	if len(set) == 0 {
		delete(c.byMembership, e.key.MembershipID)
	}
}
