package events_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// BenchmarkTokenLayerFreshness is the token layer's hot path — Client.Check
// answered by the token, and TokenLayer.Allows — without a Freshness
// (freshness=off, today's path) and with an events.State: freshness=quiet,
// nothing changed since the token's iat (the common case: one atomic load
// and a compare); freshness=busy, 10,000 membership and role changes held,
// the newest after the token's iat, none touching it (the lookups of those
// two kinds are made); freshness=busy-no-membership-claim, the same for a
// token without the organization_membership_id claim (the membership
// changes are looked up by its user instead). Target: 0 allocations,
// within a few ns of off. Run:
//
//	go test -run '^$' -bench TokenLayerFreshness -benchmem -count 10 ./events/
func BenchmarkTokenLayerFreshness(b *testing.B) {
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	claims := &token.Claims{
		Subject: "user_1", OrganizationID: "org_acme", OrganizationMembershipID: "om_1",
		Role: "admin", Roles: []string{"admin"}, IssuedAt: now.Add(-time.Minute),
		Permissions: []string{"workspace:view", "project:view", "project:edit", "document:view"},
	}
	r := authz.ExternalResource("document", "doc-1").InOrganization("org_acme")

	quiet, err := events.NewState(events.WithTimeFunc(func() time.Time { return now.Add(-time.Hour) }))
	if err != nil {
		b.Fatal(err)
	}
	busyNow := now.Add(-10 * time.Minute)
	busy, err := events.NewState(events.WithTimeFunc(func() time.Time { return busyNow }))
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]events.Event, 0, 10000)
	for i := range 10000 {
		typ, data := "organization_membership.updated", fmt.Sprintf(`{"id":"om_other_%d","user_id":"user_other_%d"}`, i, i)
		if i%4 == 1 {
			typ, data = "role.updated", fmt.Sprintf(`{"slug":"role_%d"}`, i)
		}
		evs = append(evs, events.Event{ID: fmt.Sprintf("event_%d", i), Event: typ, Data: []byte(data), CreatedAt: now})
	}
	busyNow = now
	if n, err := busy.ApplyAll(evs); err != nil || n != 10000 {
		b.Fatal(n, err)
	}

	// A token without the organization_membership_id claim (no JWT
	// template) is also looked up by user among the membership changes.
	noOM := *claims
	noOM.OrganizationMembershipID = ""

	for _, bc := range []struct {
		name   string
		state  *events.State
		claims *token.Claims
	}{
		{"freshness=off", nil, claims},
		{"freshness=quiet", quiet, claims},
		{"freshness=busy", busy, claims},
		{"freshness=busy-no-membership-claim", busy, &noOM},
	} {
		claims := bc.claims
		var opts []authz.Option
		if bc.state != nil {
			opts = append(opts, authz.WithFreshness(bc.state))
		}
		c, err := authz.New("sk_test", opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		ctx := b.Context()
		b.Run("op=Client.Check/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d, err := c.Check(ctx, claims, "document:view", r); err != nil || d.Source != authz.SourceToken {
					b.Fatal(d, err)
				}
			}
		})
		tl := c.Token()
		b.Run("op=TokenLayer.Allows/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !tl.Allows(claims, "document:view", r) {
					b.Fatal("denied")
				}
			}
		})
	}
}

// BenchmarkRevoked is the Verifier's revocation check (one atomic load and
// a map lookup).
func BenchmarkRevoked(b *testing.B) {
	s, _ := events.NewState()
	b.ReportAllocs()
	for b.Loop() {
		if s.Revoked("session_1", time.Time{}) {
			b.Fatal("revoked")
		}
	}
}

// BenchmarkApplyWebhookBurst applies 10,000 membership events one at a
// time, as a burst of webhooks (a directory sync) delivers them: the cost
// of the copy-on-write state per event.
func BenchmarkApplyWebhookBurst(b *testing.B) {
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	evs := make([]events.Event, 10000)
	for i := range evs {
		evs[i] = events.Event{ID: fmt.Sprintf("event_%d", i), Event: "organization_membership.created",
			Data: fmt.Appendf(nil, `{"id":"om_%d"}`, i), CreatedAt: now}
	}
	b.ReportAllocs()
	for b.Loop() {
		s, _ := events.NewState(events.WithTimeFunc(func() time.Time { return now }))
		for _, ev := range evs {
			if _, err := s.Apply(ev); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(evs)), "ns/event")
}
