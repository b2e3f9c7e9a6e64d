package authztest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/fgakit/fgakit/authztest"
)

// Every change emits the event WorkOS would: demoting a member is an
// organization_membership.updated, changing what a role grants a
// role.updated. Role assignments emit nothing (WorkOS has no such event).
func ExampleFake_Events() {
	f, err := authztest.NewServer("127.0.0.1:0", authztest.WithClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	f.AddPermission("reports:view", "")
	f.AddRole("admin", "", "reports:view")
	f.AddRole("member", "")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "admin")

	before := len(f.Events())
	f.SetMembershipRoles("om_alice", "member") // demote Alice
	f.SetRolePermissions("", "admin")          // admins lose reports:view
	events := f.Events()[before:]
	for _, e := range events {
		fmt.Printf("%s %s %q\n", e.ID, e.Event, e.OrganizationID)
	}
	fmt.Println(string(events[1].Data))
	// Output:
	// event_000006 organization_membership.updated "org_acme"
	// event_000007 role.updated ""
	// {"object":"role","slug":"admin","resource_type_slug":"organization","permissions":[],"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}
}

// A webhook endpoint receives each event signed with its secret. With a
// frozen clock, a failed delivery is retried only when the test moves the
// clock, and DeliverWebhooks waits for every attempt that is due: no
// sleeping, no racing the delivery goroutine.
func ExampleFake_DeliverWebhooks() {
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the first attempt fails
		}
	}))
	defer hook.Close()

	f, err := authztest.NewServer("127.0.0.1:0", authztest.WithClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)),
		authztest.WithWebhook(hook.URL, "whsec_example"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	ctx := context.Background()

	f.AddPermission("reports:view", "")
	f.DeliverWebhooks(ctx) // attempt 1 answers 503: a retry is due in a minute
	f.Advance(time.Minute)
	f.DeliverWebhooks(ctx) // attempt 2
	for _, d := range f.WebhookDeliveries() {
		fmt.Println(d.Event, d.Attempt, d.Status, d.At.Format(time.TimeOnly), d.NextAttempt.Format(time.TimeOnly))
	}
	// Output:
	// permission.created 1 503 12:00:00 12:01:00
	// permission.created 2 200 12:01:00 00:00:00
}
