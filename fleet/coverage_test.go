package fleet

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// startStateFeed starts an instance of the test's fleet whose feed feeds
// state (FeedConfig.State, no Deliver).
func startStateFeed(t *testing.T, api *eventsAPI, url string, state *events.State, cfg FeedConfig) *Feed {
	t.Helper()
	cfg.APIKey, cfg.BaseURL, cfg.State = api.key, url, state
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	if cfg.Lease == 0 {
		cfg.Lease = 500 * time.Millisecond
	}
	fd, err := newFleet(t).StartFeed(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	return fd
}

// TestFeedCoversALateInstancesState: an instance started after a change
// answers, from the token layer, a token issued after the change (before
// the instance started); a token issued before the change still asks the
// API. Without the coverage (a State fed by Deliver alone) the same token
// is stale: asked of the API until it expires.
func TestFeedCoversALateInstancesState(t *testing.T) {
	t.Parallel()
	needRedis(t)
	api := &eventsAPI{key: "sk_test_feed"}
	srv := httptest.NewServer(api)
	defer srv.Close()
	first, err := events.NewState()
	if err != nil {
		t.Fatal(err)
	}
	leader := startStateFeed(t, api, srv.URL, first, FeedConfig{})
	change := time.Now()
	id := api.add("organization_membership.updated", "om_1")
	eventually(t, 5*time.Second, "the first instance delivered "+id, func() bool { return leader.Status().LastEventID == id })

	// The new instance starts a minute after the change (its State's
	// clock says so): tokens issued in that minute predate it.
	later := func() time.Time { return time.Now().Add(time.Minute) }
	late, err := events.NewState(events.WithTimeFunc(later))
	if err != nil {
		t.Fatal(err)
	}
	uncovered, err := events.NewState(events.WithTimeFunc(later))
	if err != nil {
		t.Fatal(err)
	}
	fd := startStateFeed(t, api, srv.URL, late, FeedConfig{})
	plain := startFeed(t, api, srv.URL) // Deliver only, into uncovered below
	eventually(t, 5*time.Second, "the late instance covered its State", func() bool { return !fd.Status().Covers.IsZero() })
	eventually(t, 5*time.Second, "the plain instance delivered "+id, func() bool { return plain.rec.has(id) })
	uncovered.ApplyAll([]events.Event{{ID: id, Event: "organization_membership.updated", Data: []byte(`{"id":"om_1"}`), CreatedAt: change}})

	tests := []struct {
		name   string
		state  *events.State
		claims token.Claims
		stale  bool
	}{
		{"after the change, covered", late, token.Claims{OrganizationMembershipID: "om_1", IssuedAt: change.Add(5 * time.Second)}, false},
		{"other membership before the change, covered", late, token.Claims{OrganizationMembershipID: "om_2", IssuedAt: change.Add(-30 * time.Second)}, false},
		{"before the change", late, token.Claims{OrganizationMembershipID: "om_1", IssuedAt: change.Add(-time.Second)}, true},
		{"after the change, not covered", uncovered, token.Claims{OrganizationMembershipID: "om_1", IssuedAt: change.Add(5 * time.Second)}, true},
	}
	for _, tc := range tests {
		if got := tc.state.Stale(&tc.claims, "doc:read"); got != tc.stale {
			t.Errorf("%s: Stale = %v, want %v", tc.name, got, tc.stale)
		}
	}
	if c := fd.Status().Covers; c.After(change.Add(-10*time.Minute)) || c.Before(change.Add(-16*time.Minute)) {
		t.Errorf("Covers = %v, want about the read-back (15m) before the change %v", c, change)
	}
}

// TestFeedFollowersLearnTheLeadersLag: while the leader cannot read the
// Events API, every instance's State is told it lags (after MaxLag) and
// applies its policy; when the leader reads again, the lag ends.
func TestFeedFollowersLearnTheLeadersLag(t *testing.T) {
	t.Parallel()
	needRedis(t)
	api := &eventsAPI{key: "sk_test_feed"}
	srv := httptest.NewServer(api)
	defer srv.Close()
	var feeds []*Feed
	var states []*events.State
	for range 3 {
		s, err := events.NewState(events.WithLagPolicy(events.AskAPI))
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, s)
		feeds = append(feeds, startStateFeed(t, api, srv.URL, s, FeedConfig{MaxLag: 300 * time.Millisecond}))
	}
	eventually(t, 5*time.Second, "every instance covered", func() bool {
		for _, fd := range feeds {
			if fd.Status().Covers.IsZero() {
				return false
			}
		}
		return true
	})
	recent := &token.Claims{OrganizationMembershipID: "om_1", IssuedAt: time.Now().Add(-2 * time.Second)}
	for i, s := range states {
		if s.Stale(recent, "doc:read") || s.Stats().Lagging {
			t.Fatalf("instance %d: stale or lagging before any failure", i)
		}
	}
	api.fail.Store(true)
	eventually(t, 5*time.Second, "every instance's State lags", func() bool {
		for i, s := range states {
			if !s.Stats().Lagging || !feeds[i].Status().Lagging {
				return false
			}
		}
		return true
	})
	for i, s := range states {
		if !s.Stale(recent, "doc:read") {
			t.Errorf("instance %d: lagging under AskAPI, the token layer still answers", i)
		}
	}
	api.fail.Store(false)
	eventually(t, 5*time.Second, "the lag ends on every instance", func() bool {
		for _, s := range states {
			if s.Stats().Lagging {
				return false
			}
		}
		return true
	})
}

// TestFeedLateInstanceAfterTrimCoversOnlyWhatItRead: the stream keeps
// about StreamMaxLen events; an instance that starts after the stream's
// start was trimmed covers its State only from the first event it read,
// not from the fleet's read-back.
func TestFeedLateInstanceAfterTrimCoversOnlyWhatItRead(t *testing.T) {
	t.Parallel()
	needRedis(t)
	api := &eventsAPI{key: "sk_test_feed"}
	srv := httptest.NewServer(api)
	defer srv.Close()
	first, _ := events.NewState()
	leader := startStateFeed(t, api, srv.URL, first, FeedConfig{StreamMaxLen: 10})
	eventually(t, 5*time.Second, "the leader covered", func() bool { return !leader.Status().Covers.IsZero() })
	var last string
	for range 350 { // MAXLEN ~ trims whole nodes of 100 entries
		last = api.add("organization_membership.updated", "om_1")
		time.Sleep(time.Millisecond) // distinct created_at for each event
	}
	eventually(t, 10*time.Second, "the leader delivered "+last, func() bool { return leader.Status().LastEventID == last })
	f := newFleet(t)
	if n := f.rdb.XLen(t.Context(), f.key("feed:stream")).Val(); n >= 350 {
		t.Fatalf("the stream holds %d entries with StreamMaxLen 10, want it trimmed", n)
	}
	late, _ := events.NewState()
	fd := startStateFeed(t, api, srv.URL, late, FeedConfig{StreamMaxLen: 10})
	eventually(t, 5*time.Second, "the late instance covered", func() bool { return !fd.Status().Covers.IsZero() })
	if lc, c := leader.Status().Covers, fd.Status().Covers; !c.After(lc.Add(time.Minute)) {
		t.Errorf("late instance covers since %v, the leader since %v: want the late one from its first event (trimmed stream), not the read-back", c, lc)
	}
}
