package fleet

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fgakit/fgakit/cache"
)

// fakeClock is a settable clock for the cache's expiry checks.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func key(om, perm string) cache.Key {
	return cache.Key{Client: "k1", MembershipID: om, Permission: perm, ResourceTypeSlug: "doc", ResourceExternalID: "d1"}
}

// newCaches returns n instances' shared caches of one fleet.
func newCaches(t *testing.T, n int, cfg CacheConfig, opts ...Option) []*Cache {
	t.Helper()
	var cs []*Cache
	for range n {
		c, err := newFleet(t, opts...).NewCache(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cs = append(cs, c)
	}
	return cs
}

// miss asks c for k and fails unless it misses, as the Client does before
// asking the API.
func miss(t *testing.T, c *Cache, k cache.Key) {
	t.Helper()
	if a, ok := c.Get(k); ok {
		t.Fatalf("Get(%v) = %v, hit; want a miss", k, a)
	}
}

func hit(t *testing.T, c *Cache, k cache.Key, want bool) {
	t.Helper()
	a, ok := c.Get(k)
	if !ok || a != want {
		t.Fatalf("Get(%v) = %v, %v; want %v, hit", k, a, ok, want)
	}
}

func TestCacheSharesAnswersAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, local := range []int{0, 100} {
		t.Run(map[int]string{0: "redis only", 100: "local in front"}[local], func(t *testing.T) {
			t.Parallel()
			cs := newCaches(t, 2, CacheConfig{TTL: 5 * time.Second, LocalSize: local, LocalTTL: time.Second})
			a, b := cs[0], cs[1]
			allow, deny := key("om_1", "read"), key("om_1", "write")
			miss(t, a, allow)
			miss(t, a, deny)
			a.Add(allow, true)
			a.Add(deny, false)
			hit(t, b, allow, true)
			hit(t, b, deny, false)
			if s := b.Stats(); s.Hits != 2 {
				t.Errorf("b.Stats() = %+v, want 2 hits from Redis", s)
			}
		})
	}
}

func TestCacheForgetsAcrossInstances(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		forget func(c *Cache)
		kept   bool // om_2's answer survives
	}{
		{"ForgetMembership", func(c *Cache) { c.ForgetMembership("om_1") }, true},
		{"Purge", func(c *Cache) { c.Purge() }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := newCaches(t, 2, CacheConfig{TTL: 5 * time.Second})
			a, b := cs[0], cs[1]
			k1, k2 := key("om_1", "read"), key("om_2", "read")
			for _, k := range []cache.Key{k1, k2} {
				miss(t, a, k)
				a.Add(k, true)
			}
			tc.forget(b)
			miss(t, a, k1)
			miss(t, b, k1)
			if _, ok := a.Get(k2); ok != tc.kept {
				t.Errorf("after %s, om_2's answer hit = %v, want %v", tc.name, ok, tc.kept)
			}
		})
	}
}

func TestCacheDropsAnAnswerWhoseMembershipWasForgottenInFlight(t *testing.T) {
	t.Parallel()
	cs := newCaches(t, 2, CacheConfig{TTL: 5 * time.Second})
	a, b := cs[0], cs[1]
	k := key("om_1", "read")
	miss(t, a, k)              // a asks the API…
	b.ForgetMembership("om_1") // …an admin changes om_1 through b…
	a.Add(k, true)             // …a's answer may predate the change
	miss(t, b, k)
	miss(t, a, k)
}

func TestCacheStoresInRedisOnlyAfterARecentMiss(t *testing.T) {
	t.Parallel()
	clock := newClock()
	cs := newCaches(t, 2, CacheConfig{TTL: 5 * time.Second, PendingMaxAge: time.Second}, WithClock(clock.Now))
	a, b := cs[0], cs[1]
	fresh, late := key("om_1", "read"), key("om_1", "write")
	a.Add(fresh, true) // a Fresh check: no miss before
	miss(t, b, fresh)
	miss(t, a, late)
	clock.Advance(2 * time.Second)
	a.Add(late, true)
	miss(t, b, late)
}

func TestCacheEntriesExpire(t *testing.T) {
	t.Parallel()
	clock := newClock()
	cs := newCaches(t, 2, CacheConfig{TTL: 5 * time.Second}, WithClock(clock.Now))
	a, b := cs[0], cs[1]
	k := key("om_1", "read")
	miss(t, a, k)
	a.Add(k, true)
	clock.Advance(4 * time.Second)
	hit(t, b, k, true)
	clock.Advance(time.Second) // Redis still holds it (real time); its signed expiry has passed
	miss(t, b, k)
}

// TestCacheRefusesEntriesItDidNotSign plays an attacker with write access
// to Redis: nothing they write is an allow.
func TestCacheRefusesEntriesItDidNotSign(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	tests := []struct {
		name   string
		tamper func(t *testing.T, c *Cache, allowKey, denyKey cache.Key)
	}{
		{"deny flipped to allow", func(t *testing.T, c *Cache, _, d cache.Key) {
			ek := c.entryKey(d)
			v := rdb.Get(t.Context(), ek).Val()
			f := strings.Split(v, ".")
			f[3] = "1"
			rdb.Set(t.Context(), ek, strings.Join(f, "."), time.Minute)
		}},
		{"allow copied to another key", func(t *testing.T, c *Cache, a, d cache.Key) {
			rdb.Set(t.Context(), c.entryKey(d), rdb.Get(t.Context(), c.entryKey(a)).Val(), time.Minute)
		}},
		{"expiry pushed back", func(t *testing.T, c *Cache, _, d cache.Key) {
			ek := c.entryKey(d)
			g := gens{all: "0", om: "0"}
			body := c.value(ek, g, true, time.Now().Add(time.Hour).UnixMilli())
			rdb.Set(t.Context(), ek, body, time.Minute)
		}},
		{"signed with another secret", func(t *testing.T, c *Cache, _, d cache.Key) {
			other, err := New(rdb, WithPrefix(testPrefix(t)), WithSecret([]byte(strings.Repeat("x", 32))))
			if err != nil {
				t.Fatal(err)
			}
			oc, _ := other.NewCache(CacheConfig{})
			ek := c.entryKey(d)
			rdb.Set(t.Context(), ek, oc.value(ek, gens{all: "0", om: "0"}, true, time.Now().Add(time.Second).UnixMilli()), time.Minute)
		}},
		{"garbage", func(t *testing.T, c *Cache, _, d cache.Key) {
			rdb.Set(t.Context(), c.entryKey(d), "v1.0.0.1.9999999999999", time.Minute)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newCaches(t, 1, CacheConfig{TTL: 5 * time.Second})[0]
			a, d := key("om_1", "read"), key("om_1", "delete")
			miss(t, c, a)
			miss(t, c, d)
			c.Add(a, true)
			c.Add(d, false)
			tc.tamper(t, c, a, d)
			if allowed, ok := c.Get(d); allowed {
				t.Errorf("Get after %q = allowed (hit %v); want never allowed", tc.name, ok)
			}
			if s := c.Stats(); s.Rejected == 0 {
				t.Errorf("Stats = %+v, want the tampered entry counted as rejected", s)
			}
		})
	}
}

func TestCacheFallsBackToLocal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		local int
		slow  bool
	}{{"refused, no local cache", 0, false}, {"refused, local cache", 100, false}, {"slow, local cache", 100, true}} {
		local := tc.local
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var reports []error
			f := deadFleet(t, tc.slow, WithErrorHandler(func(err error) { reports = append(reports, err) }))
			c, err := f.NewCache(CacheConfig{TTL: 5 * time.Second, LocalSize: local, LocalTTL: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			k := key("om_1", "read")
			miss(t, c, k)
			c.Add(k, true)
			c.ForgetMembership("om_2")
			_, ok := c.Get(k)
			if ok != (local > 0) {
				t.Errorf("with Redis down, Get after Add hit = %v, want %v (the local cache's)", ok, local > 0)
			}
			if f.Status().Healthy || len(reports) != 1 || !errors.Is(reports[0], ErrUnavailable) {
				t.Errorf("Status %+v, reports %v; want unhealthy, one ErrUnavailable", f.Status(), reports)
			}
		})
	}
}

func TestNewCacheRejects(t *testing.T) {
	t.Parallel()
	f := deadFleet(t, false)
	for _, cfg := range []CacheConfig{
		{TTL: 2 * time.Minute},
		{TTL: -1},
		{LocalSize: -1},
		{LocalSize: 10},
		{TTL: 50 * time.Second, LocalSize: 10, LocalTTL: 20 * time.Second},
		{PendingMaxAge: -1},
	} {
		if _, err := f.NewCache(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewCache(%+v) = %v, want ErrInvalidConfig", cfg, err)
		}
	}
	nosecret, _ := New(f.rdb)
	if _, err := nosecret.NewCache(CacheConfig{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewCache without a secret = %v, want ErrInvalidConfig", err)
	}
}
