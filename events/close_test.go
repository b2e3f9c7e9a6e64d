package events_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// TestCoverClearsAClosedPollersMark: another feed (the fleet's, through
// Cover and SetLagging) that reports reading after a Poller closed clears
// its mark; one that lags does not.
func TestCoverClearsAClosedPollersMark(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		feed      func(s *events.State)
		wantStale bool
	}{
		{"nothing", func(*events.State) {}, true},
		{"Cover", func(s *events.State) { s.Cover(time.Now().Add(-time.Hour)) }, false},
		{"SetLagging(false)", func(s *events.State) { s.SetLagging(false) }, false},
		{"SetLagging(true)", func(s *events.State) { s.SetLagging(true) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s, _ := events.NewState(events.WithLagPolicy(events.AskAPI))
				p, err := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(&eventsAPI{})), events.WithBaseURL("https://api.example"))
				if err != nil {
					t.Fatal(err)
				}
				<-p.Ready()
				time.Sleep(time.Minute)
				p.Close()
				tc.feed(s)
				c := &token.Claims{OrganizationMembershipID: om, IssuedAt: time.Now().Add(-30 * time.Second)}
				if got := s.Stale(c, permission); got != tc.wantStale || s.Stats().FeedClosed != tc.wantStale {
					t.Errorf("stale = %v, FeedClosed = %v; want %v, %v", got, s.Stats().FeedClosed, tc.wantStale, tc.wantStale)
				}
			})
		})
	}
}

// TestPollerCloseMarksTheFeedGone: once its Poller is closed, a State
// that was not lagging no longer trusts tokens as if it still heard of
// every change: it applies its lag policy — under AskAPI every token-layer
// question goes to the API — until another feed reports reading.
func TestPollerCloseMarksTheFeedGone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy        events.LagPolicy
		wantAfter     bool // stale after Close, for a token no change touches
		wantOldAfter  bool // stale after Close, for a token issued before the State knew anything
		wantFeedGone  bool
		secondPoller  bool // another Poller feeds the State and reads after the Close
		wantAfterBoth bool
	}{
		{policy: events.AskAPI, wantAfter: true, wantOldAfter: true, wantFeedGone: true},
		{policy: events.TrustTokens, wantAfter: false, wantOldAfter: false, wantFeedGone: true},
		{policy: events.AskAPI, wantAfter: true, wantOldAfter: true, wantFeedGone: true, secondPoller: true, wantAfterBoth: false},
	}
	for _, tc := range tests {
		name := tc.policy.String()
		if tc.secondPoller {
			name += "/another poller reads"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				s, _ := events.NewState(events.WithLagPolicy(tc.policy))
				api := &eventsAPI{}
				p, err := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(api)), events.WithBaseURL("https://api.example"))
				if err != nil {
					t.Fatal(err)
				}
				<-p.Ready()
				fresh := &token.Claims{OrganizationMembershipID: om, IssuedAt: start.Add(time.Second * 5)}
				time.Sleep(10 * time.Second) // synctest: fake time; the token is issued before now
				if s.Stale(fresh, permission) || s.Stats().FeedClosed {
					t.Fatalf("while the Poller runs: stale = %v, FeedClosed = %v; want false, false", s.Stale(fresh, permission), s.Stats().FeedClosed)
				}
				if err := p.Close(); err != nil {
					t.Fatal(err)
				}
				if got := s.Stale(fresh, permission); got != tc.wantAfter {
					t.Errorf("after Close: stale = %v, want %v", got, tc.wantAfter)
				}
				old := &token.Claims{OrganizationMembershipID: om, IssuedAt: start.Add(-time.Hour)}
				if got := s.Stale(old, permission); got != tc.wantOldAfter {
					t.Errorf("after Close, a token older than the lifetime: stale = %v, want %v", got, tc.wantOldAfter)
				}
				if got := s.Stats().FeedClosed; got != tc.wantFeedGone {
					t.Errorf("Stats.FeedClosed = %v, want %v", got, tc.wantFeedGone)
				}
				if !tc.secondPoller {
					return
				}
				p2, err := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(api)), events.WithBaseURL("https://api.example"))
				if err != nil {
					t.Fatal(err)
				}
				<-p2.Ready()
				if got := s.Stale(fresh, permission); got != tc.wantAfterBoth || s.Stats().FeedClosed {
					t.Errorf("another Poller reads: stale = %v, FeedClosed = %v; want %v, false", got, s.Stats().FeedClosed, tc.wantAfterBoth)
				}
				p2.Close()
			})
		})
	}
}
