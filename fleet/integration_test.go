package fleet

import (
	"slices"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/events"
)

// TestFleetWithEventsState wires two instances as the package doc says —
// shared cache, fleet limiter, the feed into each instance's events.State,
// the State as each Client's Freshness — against the fake's own Events
// API: a change of a membership made in WorkOS reaches the other instance,
// whose Client forgets the membership's shared answers.
func TestFleetWithEventsState(t *testing.T) {
	t.Parallel()
	needRedis(t)
	fake := authztest.New(t)
	fake.AddResourceType("doc", "organization")
	fake.AddPermission("doc:read", "doc")
	fake.AddRole("member", "organization")
	fake.AddRole("reader", "doc", "doc:read")
	fake.AddOrganization("org_1", "One")
	d1 := fake.AddResource(authztest.Resource{ExternalID: "d1", ResourceTypeSlug: "doc", OrganizationID: "org_1"})
	fake.AddMembership("om_1", "user_1", "org_1", "member")
	fake.Assign("om_1", "reader", d1)

	type inst struct {
		client *authz.Client
		state  *events.State
		feed   *Feed
	}
	var is []inst
	for range 2 {
		f := newFleet(t)
		state, err := events.NewState()
		if err != nil {
			t.Fatal(err)
		}
		lim, err := f.NewLimiter(LimitConfig{PerMinute: 6000, Burst: 100, LocalPerMinute: 3000})
		if err != nil {
			t.Fatal(err)
		}
		shared, err := f.NewCache(CacheConfig{TTL: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		client, err := authz.New(fake.APIKey(), authz.WithBaseURL(fake.URL()), authz.WithLimiter(lim), authz.WithCache(shared), authz.WithFreshness(state))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Close() })
		feed, err := f.StartFeed(FeedConfig{APIKey: fake.APIKey(), BaseURL: fake.URL(), Limiter: lim, PollInterval: 50 * time.Millisecond, Lease: 500 * time.Millisecond,
			Deliver: func(evs []events.Event) {
				if _, err := state.ApplyAll(evs); err != nil {
					t.Errorf("ApplyAll: %v", err)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { feed.Close() })
		is = append(is, inst{client, state, feed})
	}
	// The setup's own events (roles, the membership…) reach both States
	// first: each makes the Clients forget, which would hide what the
	// test looks at.
	var last string
	for _, ev := range fake.Events() {
		if slices.Contains(events.Types, ev.Event) {
			last = ev.ID
		}
	}
	eventually(t, 30*time.Second, "both instances delivered the setup's events", func() bool {
		return is[0].feed.Status().LastEventID == last && is[1].feed.Status().LastEventID == last
	})
	doc := authz.ExternalResource("doc", "d1")
	check := func(i int) authz.Decision {
		t.Helper()
		d, err := is[i].client.API().Check(t.Context(), "om_1", "doc:read", doc)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := check(0); !d.Allowed || d.Source != authz.SourceAPI {
		t.Fatalf("first check on instance 0 = %+v, want allowed by the API", d)
	}
	if d := check(1); !d.Allowed || d.Source != authz.SourceCache {
		t.Fatalf("same check on instance 1 = %+v, want allowed from the shared cache", d)
	}
	applied := is[1].state.Stats().Applied
	fake.SetMembershipRoles("om_1", "member") // organization_membership.updated
	eventually(t, 30*time.Second, "instance 1's State applied the membership change", func() bool {
		return is[1].state.Stats().Applied > applied && is[0].state.Stats().Applied > applied
	})
	if d := check(0); d.Source != authz.SourceAPI {
		t.Errorf("after the change, instance 0's check = %+v, want asked of the API (the shared answer forgotten)", d)
	}
}
