package fleet

import (
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// flushFleet deletes every key of the test's fleet: what FLUSHALL, or a
// Redis restarted without persistence, does to it (the tests share one
// Redis, so the test cannot FLUSHALL).
func flushFleet(t *testing.T, f *Fleet) {
	t.Helper()
	ctx := t.Context()
	keys, err := f.rdb.Keys(ctx, f.prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		if err := f.rdb.Del(ctx, keys...).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCacheFlushDoesNotResurrectAForgottenAnswer: generations reset by a
// FLUSHALL (or a Redis restarted empty) must not make an answer stored
// under an earlier generation current again. Each case: instance a
// misses (reading the generations) and asks the API; meanwhile the
// membership is forgotten, Redis is flushed, and more forgets may follow;
// then a stores the answer it got. Counters that restart at 0 would give
// the same generations again.
func TestCacheFlushDoesNotResurrectAForgottenAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		before func(c *Cache) // before a's miss
		after  func(c *Cache) // after the flush, before a stores its answer
	}{
		{"forget then flush", nil, nil},
		{"forgotten once before, flush, forget again", func(c *Cache) { c.ForgetMembership("om_1") }, func(c *Cache) { c.ForgetMembership("om_1") }},
		{"purged before, flush, purge again", func(c *Cache) { c.Purge() }, func(c *Cache) { c.Purge() }},
		{"flush, a reader first", nil, func(c *Cache) { c.Get(key("om_9", "read")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := newCaches(t, 2, CacheConfig{TTL: 5 * time.Second})
			a, b := cs[0], cs[1]
			k := key("om_1", "read")
			if tc.before != nil {
				tc.before(b)
			}
			miss(t, a, k)              // a asks the API…
			b.ForgetMembership("om_1") // …an admin demotes om_1…
			flushFleet(t, b.f)         // …Redis loses everything…
			if tc.after != nil {
				tc.after(b)
			}
			a.Add(k, true) // …a's answer predates the demotion
			miss(t, b, k)
		})
	}
}

// TestCacheWorksAfterAFlush: after a flush the cache shares answers again.
func TestCacheWorksAfterAFlush(t *testing.T) {
	t.Parallel()
	cs := newCaches(t, 2, CacheConfig{TTL: 5 * time.Second})
	a, b := cs[0], cs[1]
	k := key("om_1", "read")
	miss(t, a, k)
	a.Add(k, true)
	hit(t, b, k, true)
	flushFleet(t, a.f)
	miss(t, b, k)
	b.Add(k, false)
	hit(t, a, k, false)
}

// TestFeedAfterAFlush: Redis loses the stream, the cursor and the lease
// (FLUSHALL); a new stream's IDs may be lower than the old ones (a Redis
// restarted elsewhere, with a clock behind). Every instance reads the new
// stream from its start and delivers what the next leader publishes.
func TestFeedAfterAFlush(t *testing.T) {
	t.Parallel()
	needRedis(t)
	api := &eventsAPI{key: "sk_test_feed"}
	srv := httptest.NewServer(api)
	defer srv.Close()
	var read [2]atomic.Bool // the instance reported the far entry (not an event)
	var is []*instance
	for i := range 2 {
		rec := &recorder{}
		f := newFleet(t, WithErrorHandler(func(err error) {
			if err != nil && strings.Contains(err.Error(), "9999999999999-0") {
				read[i].Store(true)
			}
		}))
		fd, err := f.StartFeed(FeedConfig{APIKey: api.key, BaseURL: srv.URL, PollInterval: 50 * time.Millisecond, Lease: 500 * time.Millisecond, Deliver: rec.deliver})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fd.Close() })
		is = append(is, &instance{fd, rec})
	}
	first := api.add("organization_membership.updated", "om_1")
	eventually(t, 5*time.Second, "both delivered "+first, func() bool { return is[0].rec.has(first) && is[1].rec.has(first) })
	f := newFleet(t)
	ctx := t.Context()
	// What the instances read last, far in the future: a new stream's
	// IDs come before it.
	if err := f.rdb.XAdd(ctx, &redis.XAddArgs{Stream: f.key("feed:stream"), ID: "9999999999999-0", Values: []any{"e", "{}"}}).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "both read the far entry", func() bool { return read[0].Load() && read[1].Load() })
	flushFleet(t, f)
	second := api.add("organization_membership.updated", "om_2")
	eventually(t, 10*time.Second, "both delivered "+second+" from the new stream", func() bool { return is[0].rec.has(second) && is[1].rec.has(second) })
}
