package fleet

import (
	"errors"

	"github.com/fgakit/fgakit/events"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder is a Deliver function that remembers the event IDs.
type recorder struct {
	mu  sync.Mutex
	ids []string
}

func (r *recorder) deliver(evs []events.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range evs {
		r.ids = append(r.ids, ev.ID)
	}
}

func (r *recorder) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.ids, id)
}

// eventually polls cond every 10 ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond) // waiting for other processes' work (Redis, HTTP), bounded
	}
}

type instance struct {
	feed *Feed
	rec  *recorder
}

func startFeeds(t *testing.T, api *eventsAPI, url string, n int) []*instance {
	t.Helper()
	var is []*instance
	for range n {
		is = append(is, startFeed(t, api, url))
	}
	return is
}

func startFeed(t *testing.T, api *eventsAPI, url string) *instance {
	t.Helper()
	rec := &recorder{}
	fd, err := newFleet(t).StartFeed(FeedConfig{APIKey: api.key, BaseURL: url, PollInterval: 50 * time.Millisecond, Lease: 500 * time.Millisecond, Deliver: rec.deliver})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	return &instance{fd, rec}
}

func leaders(is []*instance) (n int, who *instance) {
	for _, i := range is {
		if i.feed.Status().Leader {
			n++
			who = i
		}
	}
	return n, who
}

func TestFeedOneLeaderDeliversToAll(t *testing.T) {
	t.Parallel()
	needRedis(t)
	api := &eventsAPI{key: "sk_test_feed"}
	srv := httptest.NewServer(api)
	defer srv.Close()
	is := startFeeds(t, api, srv.URL, 3)
	eventually(t, 5*time.Second, "one leader", func() bool { n, _ := leaders(is); return n == 1 })
	id := api.add("organization_membership.updated", "om_1")
	eventually(t, 5*time.Second, "every instance delivered "+id, func() bool {
		for _, i := range is {
			if !i.rec.has(id) {
				return false
			}
		}
		return true
	})
	// Only the leader polls: about one request per poll interval, not three.
	calls0 := api.calls.Load()
	time.Sleep(500 * time.Millisecond) // measuring a rate over real time
	if got := api.calls.Load() - calls0; got > 14 {
		t.Errorf("%d GET /events in 500ms at a 50ms interval with 3 instances, want about 10 (one poller)", got)
	}
	// A late instance catches up from the stream.
	late := startFeed(t, api, srv.URL)
	eventually(t, 5*time.Second, "the late instance delivered "+id, func() bool { return late.rec.has(id) })
}

func TestFeedFailsOverFromTheStoredCursor(t *testing.T) {
	t.Parallel()
	needRedis(t)
	api := &eventsAPI{key: "sk_test_feed"}
	srv := httptest.NewServer(api)
	defer srv.Close()
	is := startFeeds(t, api, srv.URL, 3)
	first := api.add("organization_membership.updated", "om_1")
	var old *instance
	eventually(t, 5*time.Second, "every instance delivered "+first+", one leader", func() bool {
		n, who := leaders(is)
		old = who
		return n == 1 && is[0].rec.has(first) && is[1].rec.has(first) && is[2].rec.has(first)
	})
	// Stop the leader's goroutines without releasing the lease: as if it died.
	old.feed.cancel()
	old.feed.done.Wait()
	start := time.Now()
	second := api.add("organization_membership.updated", "om_2")
	var rest []*instance
	for _, i := range is {
		if i != old {
			rest = append(rest, i)
		}
	}
	eventually(t, 3*time.Second, "another instance leads", func() bool { n, _ := leaders(rest); return n == 1 })
	// By construction another instance leads within 5/6 of the lease
	// (417 ms) plus a Redis round trip; the lease (500 ms) is the promise,
	// and 100 ms more absorb this test's own polling on a loaded machine.
	if took := time.Since(start); took > 600*time.Millisecond {
		t.Errorf("failover took %v, want within the lease (500ms)", took)
	}
	eventually(t, 3*time.Second, "survivors delivered "+second, func() bool {
		return rest[0].rec.has(second) && rest[1].rec.has(second)
	})
	var published uint64
	for _, i := range is {
		published += i.feed.Status().Published
	}
	if published != 2 {
		t.Errorf("the fleet published %d events, want 2: each once (the new leader resumed after the stored cursor)", published)
	}
}

func TestFeedPollsLocallyWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	api := &eventsAPI{key: "sk_test_feed"}
	srv := httptest.NewServer(api)
	defer srv.Close()
	var mu sync.Mutex
	var errs []error
	f := deadFleet(t, false, WithProbeInterval(20*time.Millisecond), WithErrorHandler(func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }))
	rec := &recorder{}
	fd, err := f.StartFeed(FeedConfig{APIKey: api.key, BaseURL: srv.URL, PollInterval: 30 * time.Millisecond, Lease: 60 * time.Millisecond, Deliver: rec.deliver})
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	id := api.add("session.revoked", "om_1")
	eventually(t, 5*time.Second, "delivered "+id+" without Redis", func() bool { return rec.has(id) })
	if !fd.Status().LocalPolling {
		t.Errorf("Status = %+v, want LocalPolling", fd.Status())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) == 0 || !errors.Is(errs[0], ErrUnavailable) {
		t.Errorf("reports = %v, want ErrUnavailable first", errs)
	}
}

func TestFeedLeaderThatLostItsLeaseCannotPublish(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	rdb := f.rdb
	ctx := t.Context()
	lease, stream, cur, cover := f.key("feed:lease"), f.key("feed:stream"), f.key("feed:cursor"), f.key("feed:cover")
	rdb.Set(ctx, lease, "new-leader", time.Minute)
	res, err := publish.Run(ctx, rdb, []string{lease, stream, cur, cover}, "old-leader", 100, `{"after":"event_9"}`, 1, "1", "", `{"id":"event_9"}`).Slice()
	if err != nil || res[0].(int64) != 0 {
		t.Fatalf("publish by a stale leader = %v, %v; want 0", res, err)
	}
	if l := rdb.XLen(ctx, stream).Val(); l != 0 || rdb.Exists(ctx, cur, cover).Val() != 0 {
		t.Errorf("stale leader wrote: stream length %d, cursor or coverage exists %d", l, rdb.Exists(ctx, cur, cover).Val())
	}
}

// TestFeedLeaderThatLostItsLeaseStopsWriting: a leader whose lease was
// taken while it could not reach Redis (here: the lease key set to
// another term behind its back) writes nothing — no event, no cursor, no
// coverage — when it polls (its publish is fenced by its term), and steps
// down. (Its renewal comes every 10 s with this lease: the poll 20 ms
// after the change is what meets the fence.)
func TestFeedLeaderThatLostItsLeaseStopsWriting(t *testing.T) {
	t.Parallel()
	needRedis(t)
	api := &eventsAPI{key: "sk_test_feed"}
	srv := httptest.NewServer(api)
	defer srv.Close()
	// A long lease: the leader would renew its own term for a while.
	rec := &recorder{}
	f := newFleet(t)
	fd, err := f.StartFeed(FeedConfig{APIKey: api.key, BaseURL: srv.URL, PollInterval: 20 * time.Millisecond, Lease: time.Minute, Deliver: rec.deliver})
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	first := api.add("organization_membership.updated", "om_1")
	eventually(t, 5*time.Second, "the leader published "+first, func() bool { return rec.has(first) })
	ctx := t.Context()
	if err := f.rdb.Set(ctx, f.key("feed:lease"), "another-instance", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	cursor := f.rdb.Get(ctx, f.key("feed:cursor")).Val()
	cover := f.rdb.HGetAll(ctx, f.key("feed:cover")).Val()
	n := f.rdb.XLen(ctx, f.key("feed:stream")).Val()
	second := api.add("organization_membership.updated", "om_2")
	eventually(t, 5*time.Second, "the old leader stepped down", func() bool { return !fd.Status().Leader })
	if got := f.rdb.XLen(ctx, f.key("feed:stream")).Val(); got != n {
		t.Errorf("stream length %d → %d: the old leader appended", n, got)
	}
	if got := f.rdb.Get(ctx, f.key("feed:cursor")).Val(); got != cursor {
		t.Errorf("cursor %s → %s: the old leader wrote it", cursor, got)
	}
	if got := f.rdb.HGetAll(ctx, f.key("feed:cover")).Val(); got["ok"] != cover["ok"] || got["since"] != cover["since"] {
		t.Errorf("coverage %v → %v: the old leader wrote it", cover, got)
	}
	if rec.has(second) {
		t.Errorf("%s was delivered though no leader published it", second)
	}
}
