package fleet

import (
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fleetGoroutines returns the stacks of the goroutines running this
// package's code (the feed's loops), other than the tests'.
func fleetGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "fleet.(*Feed).") {
			out = append(out, g)
		}
	}
	return out
}

// settledFeedGoroutines returns the feed goroutines still running after
// up to 200 ms: one that has called done.Done in its deferred return
// may still be on its way out (goleak retries the same way).
func settledFeedGoroutines() []string {
	deadline := time.Now().Add(200 * time.Millisecond)
	for {
		left := fleetGoroutines()
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(5 * time.Millisecond) // waiting for goroutines to exit, bounded
	}
}

// TestCloseLeavesNoGoroutine: after Close, none of a Feed's goroutines is
// left, whether Redis answers or not, and Close returns in bounded time.
// Not parallel: it counts every goroutine of the package, so no other
// test's Feed may run meanwhile (parallel tests start after it).
func TestCloseLeavesNoGoroutine(t *testing.T) {
	if n := settledFeedGoroutines(); len(n) > 0 {
		t.Fatalf("before the test, %d feed goroutines run:\n%s", len(n), strings.Join(n, "\n\n"))
	}
	tests := []struct {
		name string
		f    func(t *testing.T) *Fleet
	}{
		{"Redis up", func(t *testing.T) *Fleet { return newFleet(t) }},
		{"Redis refusing", func(t *testing.T) *Fleet { return deadFleet(t, false) }},
		{"Redis silent", func(t *testing.T) *Fleet { return deadFleet(t, true) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "Redis up" {
				needRedis(t)
			}
			api := &eventsAPI{key: "sk_test_feed"}
			srv := httptest.NewServer(api)
			defer srv.Close()
			var feeds []*Feed
			for range 2 {
				fd, err := tc.f(t).StartFeed(FeedConfig{APIKey: api.key, BaseURL: srv.URL, PollInterval: 20 * time.Millisecond, Lease: 60 * time.Millisecond, Deliver: (&recorder{}).deliver})
				if err != nil {
					t.Fatal(err)
				}
				feeds = append(feeds, fd)
			}
			api.add("organization_membership.updated", "om_1")
			eventually(t, 5*time.Second, "the feeds polled", func() bool { return api.calls.Load() > 0 })
			start := time.Now()
			for _, fd := range feeds {
				fd.Close()
				fd.Close() // idempotent
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Close took %v", took)
			}
			if left := settledFeedGoroutines(); len(left) > 0 {
				t.Errorf("after Close, %d feed goroutines run:\n%s", len(left), strings.Join(left, "\n\n"))
			}
		})
	}
}

// TestCloseHandsTheLeaseOver: a leader that closes releases the lease
// before it waits for its goroutines, so another instance leads at its
// next attempt (Lease/6), not after the lease expires nor after Close
// returns.
func TestCloseHandsTheLeaseOver(t *testing.T) {
	t.Parallel()
	needRedis(t)
	api := &eventsAPI{key: "sk_test_feed"}
	srv := httptest.NewServer(api)
	defer srv.Close()
	rec := &recorder{}
	cfg := FeedConfig{APIKey: api.key, BaseURL: srv.URL, PollInterval: 50 * time.Millisecond, Lease: 3 * time.Second, Deliver: rec.deliver}
	var feeds []*Feed
	for range 2 {
		fd, err := newFleet(t).StartFeed(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fd.Close() })
		feeds = append(feeds, fd)
	}
	var old, other *Feed
	eventually(t, 5*time.Second, "a leader", func() bool {
		switch {
		case feeds[0].Status().Leader:
			old, other = feeds[0], feeds[1]
		case feeds[1].Status().Leader:
			old, other = feeds[1], feeds[0]
		}
		return old != nil
	})
	start := time.Now()
	closed := make(chan struct{})
	go func() { old.Close(); close(closed) }()
	defer func() { <-closed }()
	eventually(t, 5*time.Second, "the other leads", func() bool { return other.Status().Leader })
	took := time.Since(start)
	t.Logf("another instance leads %v after the leader's Close", took)
	if took > cfg.Lease/6+300*time.Millisecond {
		t.Errorf("took %v after Close, want the next attempt (%v), well before the lease key expires (%v)", took, cfg.Lease/6, cfg.Lease*2/3)
	}
}
