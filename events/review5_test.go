package events_test

import (
	"testing"
	"time"

	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// TestMembershipChangeWithoutMembershipClaim: AuthKit puts
// organization_membership_id in a token only when a JWT template adds it.
// A token without it still answers org-wide gates from the token layer, so
// a change to the user's membership (demoted, deactivated, removed) must
// make it stale too: the membership event's user_id names it.
func TestMembershipChangeWithoutMembershipClaim(t *testing.T) {
	t.Parallel()
	iat := t0.Add(time.Minute)
	noOM := &token.Claims{Subject: "user_a", OrganizationID: "org_a", Role: "admin", Roles: []string{"admin"}, IssuedAt: iat}
	withOM := &token.Claims{Subject: "user_a", OrganizationID: "org_a", OrganizationMembershipID: "om_a", Role: "admin", IssuedAt: iat}
	tests := []struct {
		name   string
		claims *token.Claims
		typ    string
		data   string
		stale  bool
	}{
		{"no claim, demoted", noOM, "organization_membership.updated", `{"id":"om_a","user_id":"user_a","organization_id":"org_a"}`, true},
		{"no claim, removed", noOM, "organization_membership.deleted", `{"id":"om_a","user_id":"user_a","organization_id":"org_a"}`, true},
		{"no claim, another user", noOM, "organization_membership.updated", `{"id":"om_b","user_id":"user_b","organization_id":"org_a"}`, false},
		{"no claim, no user_id in the event", noOM, "organization_membership.updated", `{"id":"om_b"}`, false},
		{"claim, the user's membership of another organization", withOM, "organization_membership.updated", `{"id":"om_x","user_id":"user_a","organization_id":"org_x"}`, false},
		{"claim, its membership", withOM, "organization_membership.updated", `{"id":"om_a","user_id":"user_a","organization_id":"org_a"}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := t0
			s, err := events.NewState(events.WithTimeFunc(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			now = t0.Add(2 * time.Minute)
			if _, err := s.Apply(events.Event{ID: "event_1", Event: tc.typ, Data: []byte(tc.data), CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
			if got := s.Stale(tc.claims, "doc:edit"); got != tc.stale {
				t.Errorf("Stale = %v, want %v", got, tc.stale)
			}
		})
	}
}
