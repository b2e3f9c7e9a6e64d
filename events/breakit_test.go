package events_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// TestFutureDatedEventIsBounded: an event stamped far in the future (a
// clock gone wrong upstream, a bad page) still makes the tokens it touches
// stale, but no longer than any other change: it is held as if stamped one
// token lifetime from now and then dropped, and an unreadable one does not
// make every token stale forever.
func TestFutureDatedEventIsBounded(t *testing.T) {
	t.Parallel()
	future := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		ev   events.Event
	}{
		{"membership", events.Event{ID: "event_1", Event: "organization_membership.updated", Data: []byte(`{"id":"om_1"}`), CreatedAt: future}},
		{"unreadable", events.Event{ID: "event_2", Event: "organization_membership.updated", Data: []byte(`{}`), CreatedAt: future}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := t0
			s, err := events.NewState(events.WithTimeFunc(func() time.Time { return now }), events.WithMaxTokenLifetime(5*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Minute)
			before := &token.Claims{OrganizationMembershipID: "om_1", IssuedAt: now.Add(-time.Second)}
			s.Apply(tc.ev)
			if !s.Stale(before, permission) {
				t.Fatal("the token issued before the event is not stale")
			}
			// Two token lifetimes later, a token issued now, after the event
			// arrived, answers again.
			now = now.Add(11 * time.Minute)
			s.Apply(events.Event{ID: "event_tick", Event: "role.updated", Data: []byte(`{"slug":"other"}`), CreatedAt: now}) // publishes
			now = now.Add(2 * time.Second)
			after := &token.Claims{OrganizationMembershipID: "om_1", IssuedAt: now}
			if s.Stale(after, permission) {
				t.Errorf("a token issued %v after a future-dated event arrived is still stale", 11*time.Minute)
			}
		})
	}
}

// TestTwoClientsShareOneState: every Client fed by one State forgets its
// cached answers on a change; a closed Client stops being told (Close
// unregisters it) and the others keep forgetting, whatever the order of
// Close and the events.
func TestTwoClientsShareOneState(t *testing.T) {
	t.Parallel()
	e := setup(t)
	newClient := func() *authz.Client {
		lru, err := cache.New(100, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return e.fake.Client(authz.WithFreshness(e.state), authz.WithCache(lru))
	}
	a, b := newClient(), newClient()
	noToken := &token.Claims{OrganizationID: org, OrganizationMembershipID: om, Subject: user}
	source := func(c *authz.Client) authz.Source {
		t.Helper()
		d, err := c.Check(t.Context(), noToken, permission, e.eng)
		if err != nil {
			t.Fatal(err)
		}
		return d.Source
	}
	for _, c := range []*authz.Client{a, b} {
		source(c)
		if got := source(c); got != authz.SourceCache {
			t.Fatalf("second check: %v, want cache", got)
		}
	}
	e.fake.Advance(time.Minute)
	e.apply(t, "state", e.event(t, "event_1", "organization_membership.updated", map[string]any{"id": om}))
	for i, c := range []*authz.Client{a, b} {
		if got := source(c); got != authz.SourceAPI {
			t.Errorf("client %d after the change: %v, want api (the cache forgot)", i, got)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	e.fake.Advance(time.Minute)
	e.apply(t, "state", e.event(t, "event_2", "role.updated", map[string]any{"slug": "admin"}))
	if got := source(b); got != authz.SourceAPI {
		t.Errorf("the open client after a change: %v, want api", got)
	}
	if _, err := a.Check(t.Context(), noToken, permission, e.eng); !errors.Is(err, authz.ErrClosed) {
		t.Errorf("closed client: %v, want ErrClosed", err)
	}
}

// TestPollerMovesPastAnUnreadableEvent: an event of a page that cannot be
// read (here its data is not an object) no longer stops the Poller on that
// page forever (lagging, then trusting every token): it is reported,
// treated as unreadable (every token issued at or before it is stale), and
// the events after it are applied.
func TestPollerMovesPastAnUnreadableEvent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		api := &eventsAPI{}
		at := time.Now()
		api.add("event_1", "organization_membership.updated", map[string]any{"id": "om_1"}, at)
		api.mu.Lock()
		api.evs = append(api.evs, map[string]any{"object": "event", "id": "event_2", "event": "organization_membership.updated",
			"data": []any{"not", "an", "object"}, "created_at": at.UTC().Format(time.RFC3339Nano)})
		api.mu.Unlock()
		api.add("event_3", "organization_membership.updated", map[string]any{"id": "om_3"}, at)
		s, _ := events.NewState()
		var mu sync.Mutex
		var reported []error
		p, err := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(api)),
			events.WithErrorHandler(func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }))
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		select {
		case <-p.Ready():
		case <-time.After(time.Minute): // the bubble's clock
			t.Fatalf("the Poller never got past the page: %+v", p.Status())
		}
		st := s.Stats()
		if st.Applied != 2 || st.Unreadable != 1 {
			t.Errorf("state %+v: want 2 applied and 1 unreadable", st)
		}
		if ps := p.Status(); ps.Cursor.After != "event_3" || ps.LastError != nil || ps.Failures != 0 {
			t.Errorf("poller %+v: want past event_3 without failures", ps)
		}
		mu.Lock()
		defer mu.Unlock()
		if !slices.ContainsFunc(reported, func(err error) bool { return errors.Is(err, events.ErrMalformed) }) {
			t.Errorf("reported %v, want the unreadable event (ErrMalformed)", reported)
		}
		other := &token.Claims{OrganizationMembershipID: "om_9", IssuedAt: at.Add(-time.Second)}
		if !s.Stale(other, permission) {
			t.Error("a token issued before the unreadable event is not stale")
		}
	})
}

// TestRequirePermissionAfterPromotion: a token issued before a member was
// promoted lacks the new permission; once the change is applied the
// Middleware's organization-wide gate no longer answers 403 from that
// stale token but asks the API, which grants it. Without a change the
// token's deny stands, with no API call.
func TestRequirePermissionAfterPromotion(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fake.AddPermission("org:manage", "organization")
	e.fake.AddRole("owner", "organization", permission, "org:manage")
	e.fake.Advance(10 * time.Second)
	raw := e.fake.Session(om) // admin: workspace:view, not org:manage
	m := e.client.Middleware(e.verifier)
	h := m.RequirePermission("org:manage")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	do := func() int {
		req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(t.Context())
		req.Header.Set("Authorization", "Bearer "+raw)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	e.fake.ResetCalls()
	if code := do(); code != http.StatusForbidden || len(e.fake.Calls()) != 0 {
		t.Fatalf("before: %d with %d calls, want 403 from the token", code, len(e.fake.Calls()))
	}
	e.fake.Advance(time.Minute)
	e.fake.SetMembershipRoles(om, "owner")
	e.apply(t, "state", e.event(t, "event_1", "organization_membership.updated", map[string]any{"id": om, "user_id": user, "organization_id": org}))
	if code := do(); code != http.StatusOK || len(e.fake.Calls()) != 1 {
		t.Errorf("after promotion: %d with %d calls, want 200 from one API call", code, len(e.fake.Calls()))
	}
}

// TestEventsOutOfOrder: a late event (a webhook retried, a page read
// after a newer delivery) never moves a change back in time: a token
// issued between the two changes stays stale, one issued after both
// answers, and the late event applied again changes nothing.
func TestEventsOutOfOrder(t *testing.T) {
	t.Parallel()
	now := t0
	s, err := events.NewState(events.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	ev := func(id string, at time.Time) events.Event {
		return events.Event{ID: id, Event: "organization_membership.updated", Data: []byte(`{"id":"om_1"}`), CreatedAt: at}
	}
	first, second := t0.Add(time.Minute), t0.Add(3*time.Minute)
	now = t0.Add(4 * time.Minute)
	between := &token.Claims{OrganizationMembershipID: "om_1", IssuedAt: t0.Add(2 * time.Minute)}
	after := &token.Claims{OrganizationMembershipID: "om_1", IssuedAt: second.Add(2 * time.Second)}
	s.Apply(ev("event_2", second))
	s.Apply(ev("event_1", first)) // late
	if !s.Stale(between, permission) {
		t.Error("the late older event made the token issued between the changes answer")
	}
	if s.Stale(after, permission) {
		t.Error("the token issued after both changes is stale")
	}
	if changed, _ := s.Apply(ev("event_1", first)); changed {
		t.Error("the late event applied twice changed something")
	}
}
