package events_test

import (
	"testing"
	"time"

	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// TestCoverAnswersTokensIssuedBeforeTheStateStarted: a State fed by a
// source other than a Poller (the fleet's stream) knows nothing from
// before it was created until the source says what it read.
func TestCoverAnswersTokensIssuedBeforeTheStateStarted(t *testing.T) {
	t.Parallel()
	change := t0.Add(-time.Minute) // an admin demoted om_1 a minute before this instance started
	tests := []struct {
		name      string
		cover     time.Time // zero: no Cover
		claims    token.Claims
		wantStale bool
	}{
		{"issued after the change, no Cover", time.Time{}, token.Claims{OrganizationMembershipID: "om_2", IssuedAt: change.Add(10 * time.Second)}, true},
		{"issued after the change, covered", t0.Add(-10 * time.Minute), token.Claims{OrganizationMembershipID: "om_2", IssuedAt: change.Add(10 * time.Second)}, false},
		{"touched by the change, covered", t0.Add(-10 * time.Minute), token.Claims{OrganizationMembershipID: "om_1", IssuedAt: change.Add(-10 * time.Second)}, true},
		{"issued before the covered time", change.Add(-5 * time.Second), token.Claims{OrganizationMembershipID: "om_2", IssuedAt: change.Add(-10 * time.Second)}, true},
		{"issued just after the covered time, within the margin", change.Add(-5 * time.Second), token.Claims{OrganizationMembershipID: "om_2", IssuedAt: change.Add(-5 * time.Second)}, true},
		{"issued after the covered time", change.Add(-5 * time.Second), token.Claims{OrganizationMembershipID: "om_2", IssuedAt: change.Add(-3 * time.Second)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := events.NewState(events.WithTimeFunc(func() time.Time { return t0 }))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Apply(events.Event{ID: "event_1", Event: "organization_membership.updated", Data: []byte(`{"id":"om_1"}`), CreatedAt: change}); err != nil {
				t.Fatal(err)
			}
			if !tc.cover.IsZero() {
				s.Cover(tc.cover)
			}
			if got := s.Stale(&tc.claims, permission); got != tc.wantStale {
				t.Errorf("Stale = %v, want %v", got, tc.wantStale)
			}
		})
	}
}

// TestCoverOnlyGrowsKnowledge: a later Cover does not forget what an
// earlier one said the State knows.
func TestCoverOnlyGrowsKnowledge(t *testing.T) {
	t.Parallel()
	s, err := events.NewState(events.WithTimeFunc(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	s.Cover(t0.Add(-10 * time.Minute))
	s.Cover(t0.Add(-time.Minute))
	if c := (&token.Claims{OrganizationMembershipID: "om_2", IssuedAt: t0.Add(-5 * time.Minute)}); s.Stale(c, permission) {
		t.Error("a token covered by the first Cover is stale after a later one")
	}
}

func TestSetLaggingAppliesThePolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy    events.LagPolicy
		wantStale bool // for a token no change touches, while lagging
	}{
		{events.TrustTokens, false},
		{events.AskAPI, true},
	}
	for _, tc := range tests {
		t.Run(tc.policy.String(), func(t *testing.T) {
			t.Parallel()
			s, err := events.NewState(events.WithTimeFunc(func() time.Time { return t0 }), events.WithLagPolicy(tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			s.Cover(t0.Add(-10 * time.Minute))
			c := &token.Claims{OrganizationMembershipID: "om_2", IssuedAt: t0.Add(-time.Minute)}
			if was := s.SetLagging(true); was {
				t.Error("SetLagging(true) on a new State says it was lagging")
			}
			if got := s.Stale(c, permission); got != tc.wantStale || !s.Stats().Lagging {
				t.Errorf("lagging: Stale = %v, Stats.Lagging = %v; want %v, true", got, s.Stats().Lagging, tc.wantStale)
			}
			if was := s.SetLagging(false); !was {
				t.Error("SetLagging(false) says it was not lagging")
			}
			if s.Stale(c, permission) || s.Stats().Lagging {
				t.Error("after SetLagging(false) the token is stale or the State lagging")
			}
		})
	}
}
