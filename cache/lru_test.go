package cache

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// newTestLRU returns an LRU on a fake clock, closed when the test ends.
func newTestLRU(t *testing.T, size int, ttl time.Duration) (*LRU, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	c, err := New(size, ttl, WithClock(clock.Now))
	if err != nil {
		t.Fatalf("New(%d, %v): %v", size, ttl, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, clock
}

func key(om, resource string) Key {
	return Key{Client: "client-a", MembershipID: om, Permission: "documents:read", ResourceID: resource}
}

// result is what Get returned, for cmp.Diff.
type result struct{ Allowed, OK bool }

func get(c interface{ Get(Key) (bool, bool) }, k Key) result {
	allowed, ok := c.Get(k)
	return result{allowed, ok}
}

func TestNewRejectsBadArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		size int
		ttl  time.Duration
		opts []Option
	}{
		{name: "zero size", size: 0, ttl: time.Second},
		{name: "negative size", size: -1, ttl: time.Second},
		{name: "zero ttl", size: 1, ttl: 0},
		{name: "negative ttl", size: 1, ttl: -time.Second},
		{name: "ttl above MaxTTL", size: 1, ttl: MaxTTL + time.Nanosecond},
		{name: "nil clock", size: 1, ttl: time.Second, opts: []Option{WithClock(nil)}},
		{name: "nil option", size: 1, ttl: time.Second, opts: []Option{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.size, tt.ttl, tt.opts...)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New(%d, %v) error = %v, want ErrInvalidConfig", tt.size, tt.ttl, err)
			}
			if c != nil {
				t.Errorf("New(%d, %v) returned a cache with its error", tt.size, tt.ttl)
			}
		})
	}
}

func TestNewAcceptsLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		size int
		ttl  time.Duration
	}{
		{name: "smallest", size: 1, ttl: time.Nanosecond},
		{name: "MaxTTL", size: 1, ttl: MaxTTL},
		{name: "defaults", size: DefaultSize, ttl: DefaultTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.size, tt.ttl)
			if err != nil {
				t.Fatalf("New(%d, %v): %v", tt.size, tt.ttl, err)
			}
			if err := c.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

func TestGetAdd(t *testing.T) {
	t.Parallel()
	allowedKey := key("om_1", "res_allowed")
	deniedKey := key("om_1", "res_denied")
	tests := []struct {
		name string
		add  map[Key]bool
		get  Key
		want result
	}{
		{name: "empty cache misses", get: allowedKey, want: result{false, false}},
		{name: "allowed answer hits", add: map[Key]bool{allowedKey: true}, get: allowedKey, want: result{true, true}},
		{name: "denied answer hits as denied", add: map[Key]bool{deniedKey: false}, get: deniedKey, want: result{false, true}},
		{name: "other resource misses", add: map[Key]bool{allowedKey: true}, get: deniedKey, want: result{false, false}},
		{name: "other permission misses", add: map[Key]bool{allowedKey: true},
			get: Key{Client: "client-a", MembershipID: "om_1", Permission: "documents:write", ResourceID: "res_allowed"}, want: result{false, false}},
		{name: "other membership misses", add: map[Key]bool{allowedKey: true}, get: key("om_2", "res_allowed"), want: result{false, false}},
		{name: "external reference is its own entry", add: map[Key]bool{allowedKey: true},
			get: Key{Client: "client-a", MembershipID: "om_1", Permission: "documents:read", ResourceTypeSlug: "document", ResourceExternalID: "res_allowed"}, want: result{false, false}},
		{name: "fields do not run together", add: map[Key]bool{{Client: "client-a", MembershipID: "om_1", Permission: "p", ResourceTypeSlug: "ab", ResourceExternalID: "c"}: true},
			get: Key{Client: "client-a", MembershipID: "om_1", Permission: "p", ResourceTypeSlug: "a", ResourceExternalID: "bc"}, want: result{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestLRU(t, 10, time.Second)
			for k, v := range tt.add {
				c.Add(k, v)
			}
			if diff := cmp.Diff(tt.want, get(c, tt.get)); diff != "" {
				t.Errorf("Get(%+v) mismatch (-want +got):\n%s", tt.get, diff)
			}
		})
	}
}

func TestAddReplacesAnswer(t *testing.T) {
	t.Parallel()
	c, _ := newTestLRU(t, 10, time.Second)
	k := key("om_1", "res_1")
	c.Add(k, true)
	c.Add(k, false)
	if diff := cmp.Diff(result{false, true}, get(c, k)); diff != "" {
		t.Errorf("Get after a newer deny (-want +got):\n%s", diff)
	}
	if got := c.Len(); got != 1 {
		t.Errorf("Len = %d, want 1", got)
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	const ttl = 5 * time.Second
	tests := []struct {
		name    string
		advance time.Duration
		want    result
	}{
		{name: "just added", advance: 0, want: result{true, true}},
		{name: "one nanosecond before TTL", advance: ttl - time.Nanosecond, want: result{true, true}},
		{name: "exactly TTL", advance: ttl, want: result{false, false}},
		{name: "after TTL", advance: ttl + time.Hour, want: result{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, clock := newTestLRU(t, 10, ttl)
			k := key("om_1", "res_1")
			c.Add(k, true)
			clock.Advance(tt.advance)
			if diff := cmp.Diff(tt.want, get(c, k)); diff != "" {
				t.Errorf("Get after %v (-want +got):\n%s", tt.advance, diff)
			}
		})
	}
}

func TestExpiredEntryLeavesOnRead(t *testing.T) {
	t.Parallel()
	c, clock := newTestLRU(t, 10, time.Second)
	k := key("om_1", "res_1")
	c.Add(k, true)
	clock.Advance(time.Second)
	get(c, k)
	if got := c.Len(); got != 0 {
		t.Errorf("Len after reading an expired entry = %d, want 0", got)
	}
	// Re-adding restarts the TTL from now.
	c.Add(k, true)
	clock.Advance(time.Second - time.Nanosecond)
	if diff := cmp.Diff(result{true, true}, get(c, k)); diff != "" {
		t.Errorf("Get of a re-added entry (-want +got):\n%s", diff)
	}
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c, _ := newTestLRU(t, 3, time.Minute)
	a, b, d, e := key("om_1", "a"), key("om_1", "b"), key("om_1", "d"), key("om_1", "e")
	c.Add(a, true)
	c.Add(b, true)
	c.Add(d, true)
	get(c, a)      // a is now the most recently used; b the least
	c.Add(e, true) // evicts b

	got := map[string]result{}
	for _, k := range []Key{a, b, d, e} {
		got[k.ResourceID] = get(c, k)
	}
	want := map[string]result{"a": {true, true}, "b": {false, false}, "d": {true, true}, "e": {true, true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after eviction (-want +got):\n%s", diff)
	}
	if n := c.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
}

// present returns the resource IDs of keys that hit, sorted.
func present(c *LRU, keys []Key) []string {
	var ids []string
	for _, k := range keys {
		if _, ok := c.Get(k); ok {
			ids = append(ids, k.MembershipID+"/"+k.ResourceID)
		}
	}
	sort.Strings(ids)
	return ids
}

// indexed returns the membership index as membership → number of entries,
// checking on the way that every indexed hash is in the cache under a key
// of that membership.
func indexed(t *testing.T, c *LRU) map[string]int {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	counts := map[string]int{}
	total := 0
	for om, set := range c.byMembership {
		for h := range set {
			e, ok := c.entries.Peek(h)
			if !ok || e.key.MembershipID != om {
				t.Errorf("index lists %x under %q, cache has %+v (present %v)", h, om, e.key, ok)
			}
		}
		counts[om] = len(set)
		total += len(set)
	}
	if total != c.entries.Len() {
		t.Errorf("index holds %d entries, cache %d", total, c.entries.Len())
	}
	return counts
}

func TestForgetMembership(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		size        int
		adds        []Key
		forget      string
		wantPresent []string
		wantIndex   map[string]int
	}{
		{
			name:        "removes only that membership",
			size:        10,
			adds:        []Key{key("om_1", "a"), key("om_2", "a"), key("om_1", "b"), key("om_3", "c")},
			forget:      "om_1",
			wantPresent: []string{"om_2/a", "om_3/c"},
			wantIndex:   map[string]int{"om_2": 1, "om_3": 1},
		},
		{
			name: "removes every client's entries of that membership",
			size: 10,
			adds: []Key{key("om_1", "a"), {Client: "client-b", MembershipID: "om_1", Permission: "documents:read", ResourceID: "a"},
				key("om_2", "a")},
			forget:      "om_1",
			wantPresent: []string{"om_2/a"},
			wantIndex:   map[string]int{"om_2": 1},
		},
		{
			name:        "unknown membership changes nothing",
			size:        10,
			adds:        []Key{key("om_1", "a")},
			forget:      "om_9",
			wantPresent: []string{"om_1/a"},
			wantIndex:   map[string]int{"om_1": 1},
		},
		{
			name: "index stays consistent after evictions",
			size: 3,
			// om_1/a and om_2/a are evicted by the last two adds.
			adds:        []Key{key("om_1", "a"), key("om_2", "a"), key("om_1", "b"), key("om_2", "b"), key("om_3", "c")},
			forget:      "om_1",
			wantPresent: []string{"om_2/b", "om_3/c"},
			wantIndex:   map[string]int{"om_2": 1, "om_3": 1},
		},
		{
			name:        "evicting a membership's last entry drops it from the index",
			size:        2,
			adds:        []Key{key("om_1", "a"), key("om_2", "a"), key("om_2", "b")},
			forget:      "om_2",
			wantPresent: nil,
			wantIndex:   map[string]int{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestLRU(t, tt.size, time.Minute)
			for _, k := range tt.adds {
				c.Add(k, true)
			}
			indexed(t, c)
			c.ForgetMembership(tt.forget)
			if diff := cmp.Diff(tt.wantIndex, indexed(t, c)); diff != "" {
				t.Errorf("index after ForgetMembership(%q) (-want +got):\n%s", tt.forget, diff)
			}
			if diff := cmp.Diff(tt.wantPresent, present(c, tt.adds)); diff != "" {
				t.Errorf("entries after ForgetMembership(%q) (-want +got):\n%s", tt.forget, diff)
			}
		})
	}
}

func TestPurgeAndClose(t *testing.T) {
	t.Parallel()
	keys := []Key{key("om_1", "a"), key("om_2", "b")}
	tests := []struct {
		name       string
		empty      func(*LRU)
		addsAfter  bool // whether Add works after empty
		wantLenEnd int
	}{
		{name: "Purge", empty: func(c *LRU) { c.Purge() }, addsAfter: true, wantLenEnd: 1},
		{name: "Close", empty: func(c *LRU) { _ = c.Close() }, addsAfter: false, wantLenEnd: 0},
		{name: "Close twice", empty: func(c *LRU) { _ = c.Close(); _ = c.Close() }, addsAfter: false, wantLenEnd: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestLRU(t, 10, time.Minute)
			for _, k := range keys {
				c.Add(k, true)
			}
			tt.empty(c)
			if diff := cmp.Diff([]string(nil), present(c, keys)); diff != "" {
				t.Errorf("entries after %s (-want +got):\n%s", tt.name, diff)
			}
			if diff := cmp.Diff(map[string]int{}, indexed(t, c)); diff != "" {
				t.Errorf("index after %s (-want +got):\n%s", tt.name, diff)
			}
			c.Add(keys[0], true)
			if _, ok := c.Get(keys[0]); ok != tt.addsAfter {
				t.Errorf("Get after Add after %s: ok = %v, want %v", tt.name, ok, tt.addsAfter)
			}
			if got := c.Len(); got != tt.wantLenEnd {
				t.Errorf("Len = %d, want %d", got, tt.wantLenEnd)
			}
		})
	}
}

func TestClientsNeverCollide(t *testing.T) {
	t.Parallel()
	c, _ := newTestLRU(t, 10, time.Minute)
	a := Key{Client: "client-a", MembershipID: "om_1", Permission: "p", ResourceID: "r"}
	b := a
	b.Client = "client-b"
	c.Add(a, true)
	c.Add(b, false)
	got := []result{get(c, a), get(c, b), get(c, Key{MembershipID: "om_1", Permission: "p", ResourceID: "r"})}
	want := []result{{true, true}, {false, true}, {false, false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers for client-a, client-b, no client (-want +got):\n%s", diff)
	}
}

// TestHashCollisionsNeverAnswerForAnotherKey forces every key onto one hash:
// a collision may cost a miss, but never returns another key's answer, and
// the membership index stays consistent.
func TestHashCollisionsNeverAnswerForAnotherKey(t *testing.T) {
	t.Parallel()
	c, _ := newTestLRU(t, 10, time.Minute)
	c.hash = func(Key) uint64 { return 42 }
	allowed := Key{Client: "client-a", MembershipID: "om_1", Permission: "p", ResourceID: "r"}
	denied := Key{Client: "client-b", MembershipID: "om_2", Permission: "p", ResourceID: "r"}

	c.Add(allowed, true)
	if diff := cmp.Diff(result{false, false}, get(c, denied)); diff != "" {
		t.Errorf("Get of a colliding key that was never added (-want +got):\n%s", diff)
	}
	c.Add(denied, false)
	got := []result{get(c, allowed), get(c, denied)}
	if diff := cmp.Diff([]result{{false, false}, {false, true}}, got); diff != "" {
		t.Errorf("after the colliding key replaced the first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"om_2": 1}, indexed(t, c)); diff != "" {
		t.Errorf("index (-want +got):\n%s", diff)
	}
	c.ForgetMembership("om_1") // the replaced key's membership: must not remove om_2's entry
	if diff := cmp.Diff(result{false, true}, get(c, denied)); diff != "" {
		t.Errorf("after forgetting the replaced membership (-want +got):\n%s", diff)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	c, clock := newTestLRU(t, 64, time.Second)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				// Each key's answer is a function of the key, so any
				// answer read back can be checked.
				k := key(fmt.Sprintf("om_%d", i%5), fmt.Sprintf("r%d", (g*31+i)%100))
				want := len(k.ResourceID)%2 == 0
				switch i % 7 {
				case 0:
					c.ForgetMembership(k.MembershipID)
				case 1:
					clock.Advance(time.Millisecond)
				case 2:
					if i%70 == 2 {
						c.Purge()
					}
				}
				c.Add(k, want)
				if allowed, ok := c.Get(k); ok && allowed != want {
					t.Errorf("Get(%+v) = %v, want %v", k, allowed, want)
				}
				c.Len()
			}
		})
	}
	wg.Wait()
	indexed(t, c)
}
