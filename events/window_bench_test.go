package events_test

import (
	"net/http/httptest"
	"testing"

	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/events"
)

// BenchmarkWebhookWindow measures the webhook staleness window on one
// machine: from a change made to an authztest fake to its event applied
// by an events.Webhook behind an httptest server (the fake signs, POSTs,
// the handler verifies and applies; Fake.DeliverWebhooks returns). One
// op is one change. Run:
//
//	go test -run '^$' -bench WebhookWindow -benchtime 500x -count 5 ./events/
func BenchmarkWebhookWindow(b *testing.B) {
	f := authztest.New(b, authztest.WithClock(t0))
	f.AddResourceType("workspace", "organization")
	f.AddPermission(permission, "workspace")
	f.AddRole("admin", "organization", permission)
	f.AddRole("viewer", "organization")
	f.AddOrganization(org, "Acme")
	f.AddMembership(om, user, org, "admin")
	s, err := events.NewState(events.WithTimeFunc(f.Now))
	if err != nil {
		b.Fatal(err)
	}
	hook, err := events.NewWebhook(s, secret)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(hook)
	b.Cleanup(srv.Close)
	f.AddWebhook(srv.URL, secret, events.Types...)
	roles := []string{"viewer", "admin"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f.SetMembershipRoles(om, roles[i%2])
		if err := f.DeliverWebhooks(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st := hook.Stats(); st.Accepted != uint64(b.N) {
		b.Fatalf("%d of %d deliveries applied: %+v", st.Accepted, b.N, st)
	}
}
