package events_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
	"github.com/google/go-cmp/cmp"
)

// TestChangeMakesTokenAskTheAPI: for each event type that touches a token,
// after the event is applied (directly or by webhook) the token issued
// before the change no longer answers from the token layer: the API is
// asked, its answer is the check's, and the Decision says TokenStale. A
// token issued after the change answers from the token again.
func TestChangeMakesTokenAskTheAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		typ    string
		data   map[string]any
		change func(e *env) // what the API sees (nil: nothing changes)
		gone   bool         // Alice's membership no longer exists: the API answers 404 (NotFound)
	}{
		{"membership demoted", "organization_membership.updated",
			map[string]any{"object": "organization_membership", "id": om, "user_id": user, "organization_id": org, "status": "active", "role": map[string]any{"slug": "viewer"}},
			func(e *env) { e.fake.SetMembershipRoles(om, "viewer") }, false},
		{"membership deleted", "organization_membership.deleted",
			map[string]any{"object": "organization_membership", "id": om, "user_id": user, "organization_id": org, "status": "active"},
			func(e *env) { e.fake.RemoveMembership(om) }, true},
		{"membership created", "organization_membership.created",
			map[string]any{"object": "organization_membership", "id": om, "user_id": user, "organization_id": org, "status": "active"}, nil, false},
		{"role updated", "role.updated",
			map[string]any{"object": "role", "slug": "admin", "resource_type_slug": "organization", "permissions": []string{}},
			func(e *env) { e.fake.SetRolePermissions("", "admin") }, false},
		{"role created", "role.created", map[string]any{"object": "role", "slug": "admin"}, nil, false},
		{"role deleted", "role.deleted", map[string]any{"object": "role", "slug": "admin"}, nil, false},
		{"organization role updated", "organization_role.updated",
			map[string]any{"object": "organization_role", "organization_id": org, "slug": "admin"}, nil, false},
		{"organization role created", "organization_role.created",
			map[string]any{"object": "organization_role", "organization_id": org, "slug": "admin"}, nil, false},
		{"organization role deleted", "organization_role.deleted",
			map[string]any{"object": "organization_role", "organization_id": org, "slug": "admin"}, nil, false},
		{"permission updated", "permission.updated", map[string]any{"object": "permission", "id": "perm_1", "slug": permission}, nil, false},
		{"permission created", "permission.created", map[string]any{"object": "permission", "id": "perm_1", "slug": permission}, nil, false},
		{"permission deleted", "permission.deleted", map[string]any{"object": "permission", "id": "perm_1", "slug": permission}, nil, false},
		{"group member added", "group.member_added", map[string]any{"group_id": "group_1", "organization_membership_id": om}, nil, false},
		{"group member removed", "group.member_removed", map[string]any{"group_id": "group_1", "organization_membership_id": om}, nil, false},
		{"group deleted", "group.deleted", map[string]any{"object": "group", "id": "group_1", "organization_id": org, "name": "Eng"}, nil, false},
		{"organization deleted", "organization.deleted", map[string]any{"object": "organization", "id": org, "name": "Acme"}, nil, false},
		{"user deleted", "user.deleted", map[string]any{"object": "user", "id": user},
			func(e *env) { e.fake.RemoveMembership(om) }, true},
	}
	for _, tc := range tests {
		for _, via := range []string{"state", "webhook"} {
			t.Run(tc.name+"/via="+via, func(t *testing.T) {
				t.Parallel()
				e := setup(t)
				ctx := t.Context()
				e.fake.Advance(10 * time.Second) // past what the new State does not know
				claims := e.session(t)
				if d, err := e.client.Check(ctx, claims, permission, e.eng); err != nil || d != (authz.Decision{Allowed: true, Source: authz.SourceToken}) {
					t.Fatalf("before the change: %+v, %v; want the token's answer", d, err)
				}
				e.fake.Advance(time.Minute)
				if tc.change != nil {
					tc.change(e)
				}
				e.apply(t, via, e.event(t, "event_1", tc.typ, tc.data))

				e.fake.ResetCalls()
				d, err := e.client.Check(ctx, claims, permission, e.eng)
				if n := len(e.fake.Calls()); n != 1 {
					t.Errorf("%d API calls, want 1", n)
				}
				api, apiErr := e.client.API().Check(ctx, om, permission, e.eng, authz.Fresh())
				if err != nil || apiErr != nil {
					t.Fatalf("after the change: %v; the API: %v", err, apiErr)
				}
				want := authz.Decision{Allowed: api.Allowed, NotFound: api.NotFound, Source: authz.SourceAPI, TokenStale: true}
				if diff := cmp.Diff(want, d); diff != "" {
					t.Errorf("after the change (-want +got):\n%s", diff)
				}
				if tc.gone {
					if !d.NotFound {
						t.Errorf("after the change: %v, want the API's 404 (NotFound)", d)
					}
					return // no new session for a membership that is gone
				}

				// A token issued after the change is current again.
				e.fake.Advance(2 * time.Second)
				fresh := e.session(t)
				d, err = e.client.Check(ctx, fresh, permission, e.eng)
				if err != nil || d.TokenStale {
					t.Errorf("token issued after the change: %+v, %v; want not stale", d, err)
				}
			})
		}
	}
}

// TestIssuedAtGranularity: iat has whole seconds. A change in the same
// second as iat, or within the margin after it, declines the token; a
// token issued after the change plus the margin is trusted.
func TestIssuedAtGranularity(t *testing.T) {
	t.Parallel()
	change := t0.Add(time.Hour + 400*time.Millisecond) // 13:00:00.4
	tests := []struct {
		name   string
		margin time.Duration
		iat    time.Time
		stale  bool
	}{
		{"iat second before the change", 0, change.Add(-time.Second).Truncate(time.Second), true},
		{"iat the change's second", 0, change.Truncate(time.Second), true},
		{"iat the next second, no margin", 0, change.Add(time.Second).Truncate(time.Second), false},
		{"iat the next second, 1s margin", time.Second, change.Add(time.Second).Truncate(time.Second), true},
		{"iat two seconds after, 1s margin", time.Second, change.Add(2 * time.Second).Truncate(time.Second), false},
		{"no iat", time.Second, time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := t0
			s, err := events.NewState(events.WithTimeFunc(func() time.Time { return now }), events.WithMargin(tc.margin))
			if err != nil {
				t.Fatal(err)
			}
			now = change
			if _, err := s.Apply(events.Event{ID: "event_1", Event: "role.updated", Data: []byte(`{"slug":"admin"}`), CreatedAt: change}); err != nil {
				t.Fatal(err)
			}
			claims := &token.Claims{Role: "admin", IssuedAt: tc.iat}
			if got := s.Stale(claims, permission); got != tc.stale {
				t.Errorf("Stale = %v, want %v", got, tc.stale)
			}
		})
	}
}

// TestStaleTouchesOnlyWhatChanged: a change declines the tokens it
// touches and no other.
func TestStaleTouchesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	iat := t0.Add(time.Minute)
	claims := &token.Claims{Subject: "user_a", OrganizationID: "org_a", OrganizationMembershipID: "om_a", Role: "admin", Roles: []string{"admin", "billing"}, IssuedAt: iat}
	tests := []struct {
		typ, data string
		stale     bool
	}{
		{"organization_membership.updated", `{"id":"om_a"}`, true},
		{"organization_membership.updated", `{"id":"om_b"}`, false},
		{"role.updated", `{"slug":"billing"}`, true},
		{"role.updated", `{"slug":"member"}`, false},
		{"permission.deleted", `{"slug":"doc:edit"}`, true},
		{"permission.deleted", `{"slug":"doc:view"}`, false},
		{"organization.deleted", `{"id":"org_a"}`, true},
		{"organization.deleted", `{"id":"org_b"}`, false},
		{"user.deleted", `{"id":"user_a"}`, true},
		{"user.deleted", `{"id":"user_b"}`, false},
		{"group.member_added", `{"group_id":"group_1","organization_membership_id":"om_b"}`, false},
		{"session.revoked", `{"id":"session_1"}`, false},
		{"dsync.user.created", `{"id":"x"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.typ+tc.data, func(t *testing.T) {
			t.Parallel()
			now := t0
			s, _ := events.NewState(events.WithTimeFunc(func() time.Time { return now }))
			now = t0.Add(2 * time.Minute)
			if _, err := s.Apply(events.Event{ID: "event_1", Event: tc.typ, Data: []byte(tc.data), CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
			if got := s.Stale(claims, "doc:edit"); got != tc.stale {
				t.Errorf("Stale = %v, want %v", got, tc.stale)
			}
		})
	}
}

// TestRevokedSession: after session.revoked, the session's token fails
// Verify with ErrSessionRevoked until it expires, and the Middleware
// answers 401; another session's token still verifies.
func TestRevokedSession(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := t.Context()
	e.fake.Advance(10 * time.Second)
	raw := e.fake.Session(om)
	other := e.fake.Session(om)
	claims, err := e.verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Advance(time.Second)
	e.apply(t, "webhook", e.event(t, "event_1", "session.revoked",
		map[string]any{"object": "session", "id": claims.SessionID, "user_id": user, "organization_id": org, "status": "revoked"}))

	if _, err := e.verifier.Verify(ctx, raw); !errors.Is(err, token.ErrSessionRevoked) {
		t.Errorf("Verify of the revoked session's token: %v, want ErrSessionRevoked", err)
	}
	if _, err := e.verifier.Verify(ctx, other); err != nil {
		t.Errorf("Verify of another session's token: %v", err)
	}

	var reason error
	m := e.client.Middleware(e.verifier, authz.OnReject(func(_ *http.Request, _ int, err error) { reason = err }))
	h := m.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+raw)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || !errors.Is(reason, token.ErrSessionRevoked) {
		t.Errorf("Middleware: %d, %v; want 401 ErrSessionRevoked", rec.Code, reason)
	}
}

// TestRequirePermissionAsksAPIWhenStale: the Middleware's organization-wide
// gate asks the API about the organization root when the token is stale.
func TestRequirePermissionAsksAPIWhenStale(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fake.AddPermission("org:manage", "organization")
	e.fake.SetRolePermissions("", "admin", permission, "org:manage")
	e.fake.Advance(10 * time.Second)
	raw := e.fake.Session(om)
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
	if code := do(); code != http.StatusOK || len(e.fake.Calls()) != 0 {
		t.Fatalf("before: %d with %d calls, want 200 from the token", code, len(e.fake.Calls()))
	}
	e.fake.Advance(time.Minute)
	e.fake.SetMembershipRoles(om, "viewer")
	e.apply(t, "state", e.event(t, "event_1", "organization_membership.updated", map[string]any{"id": om, "user_id": user, "organization_id": org}))
	if code := do(); code != http.StatusForbidden || len(e.fake.Calls()) != 1 {
		t.Errorf("after demotion: %d with %d calls, want 403 from one API call", code, len(e.fake.Calls()))
	}
}

// TestCacheAndMemoForget: a change forgets the decision cache's and the
// request memo's answers it may have made wrong.
func TestCacheAndMemoForget(t *testing.T) {
	t.Parallel()
	lru, err := cache.New(100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	e := setup(t)
	client := e.fake.Client(authz.WithFreshness(e.state), authz.WithCache(lru))
	noToken := &token.Claims{OrganizationID: org, OrganizationMembershipID: om, Subject: user}
	ctx := cache.WithMemo(t.Context())
	other := t.Context() // no memo: the cache answers
	check := func(c context.Context) authz.Source {
		t.Helper()
		d, err := client.Check(c, noToken, permission, e.eng)
		if err != nil {
			t.Fatal(err)
		}
		return d.Source
	}
	if got := check(ctx); got != authz.SourceAPI {
		t.Fatalf("first check: %v", got)
	}
	if got, got2 := check(ctx), check(other); got != authz.SourceMemo || got2 != authz.SourceCache {
		t.Fatalf("repeated: %v, %v; want memo, cache", got, got2)
	}
	e.fake.Advance(time.Minute)
	e.apply(t, "state", e.event(t, "event_1", "organization_membership.updated", map[string]any{"id": om}))
	if got := check(ctx); got != authz.SourceAPI {
		t.Errorf("memo after the change: %v, want api", got)
	}
	if got := check(other); got != authz.SourceCache {
		t.Errorf("cache after the API answered again: %v, want cache", got)
	}
	e.fake.Advance(time.Minute)
	e.apply(t, "state", e.event(t, "event_2", "role.updated", map[string]any{"slug": "admin"}))
	if got := check(other); got != authz.SourceAPI {
		t.Errorf("cache after a role change: %v, want api", got)
	}
}

// TestBounded: changes older than the token lifetime are dropped, and a
// token older than it is stale whatever changed.
func TestBounded(t *testing.T) {
	t.Parallel()
	now := t0
	s, err := events.NewState(events.WithTimeFunc(func() time.Time { return now }), events.WithMaxTokenLifetime(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for i, typ := range []string{"role.updated", "permission.updated", "user.deleted", "organization.deleted", "organization_membership.updated", "session.revoked"} {
		now = now.Add(time.Second)
		if _, err := s.Apply(events.Event{ID: "event_" + typ, Event: typ, Data: []byte(`{"id":"x` + string(rune('a'+i)) + `","slug":"y"}`), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Stats().Entries; n != 6 {
		t.Fatalf("%d entries, want 6", n)
	}
	now = now.Add(6 * time.Minute)
	if _, err := s.Apply(events.Event{ID: "event_old", Event: "role.updated", Data: []byte(`{"slug":"z"}`), CreatedAt: now.Add(-10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Entries != 0 || st.Ignored != 1 {
		t.Errorf("after the lifetime: %+v, want no entries and the old event ignored", st)
	}
	old := &token.Claims{IssuedAt: now.Add(-6 * time.Minute).Truncate(time.Second)}
	if !s.Stale(old, permission) {
		t.Error("a token older than the lifetime is not stale")
	}
}

// TestDuplicateHarmless: applying an event again changes nothing and is
// counted.
func TestDuplicateHarmless(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fake.Advance(time.Minute)
	body := e.event(t, "event_1", "organization_membership.updated", map[string]any{"id": om})
	calls := 0
	stop := e.state.Watch(func(string) { calls++ })
	defer stop()
	e.apply(t, "state", body)
	e.apply(t, "webhook", body)
	if st := e.state.Stats(); st.Applied != 1 || st.Duplicates != 1 || calls != 1 {
		t.Errorf("stats %+v, %d notifications; want 1 applied, 1 duplicate, 1 notification", st, calls)
	}
}

// TestCheckManyStale: in a batch, items the stale token would have
// answered are asked of the API and marked TokenStale.
func TestCheckManyStale(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fake.Advance(10 * time.Second)
	claims := e.session(t)
	e.fake.Advance(time.Minute)
	e.fake.SetMembershipRoles(om, "viewer")
	e.apply(t, "state", e.event(t, "event_1", "organization_membership.updated", map[string]any{"id": om}))
	e.fake.ResetCalls()
	ds, err := e.client.CheckMany(t.Context(), claims, permission, []authz.ResourceRef{e.eng, e.eng})
	if err != nil {
		t.Fatal(err)
	}
	want := []authz.Decision{{Source: authz.SourceAPI, TokenStale: true}, {Source: authz.SourceAPI, TokenStale: true}}
	if diff := cmp.Diff(want, ds); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	if n := len(e.fake.Calls()); n != 1 {
		t.Errorf("%d API calls, want 1", n)
	}
}

// TestManyChangesOneByOne: changes applied one at a time (as webhooks
// arrive) are all kept, across the State's internal merges, and each
// declines exactly the tokens it touches.
func TestManyChangesOneByOne(t *testing.T) {
	t.Parallel()
	now := t0
	s, err := events.NewState(events.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	now = t0.Add(time.Minute)
	const n = 1000
	for i := range n {
		ev := events.Event{ID: fmt.Sprintf("event_%d", i), Event: "organization_membership.updated",
			Data: fmt.Appendf(nil, `{"id":"om_%d"}`, i), CreatedAt: now.Add(time.Duration(i) * time.Millisecond)}
		if _, err := s.Apply(ev); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Stats().Entries; got != n {
		t.Errorf("%d entries, want %d", got, n)
	}
	iat := now.Add(-time.Second)
	for i := range n {
		if !s.Stale(&token.Claims{OrganizationMembershipID: fmt.Sprintf("om_%d", i), IssuedAt: iat}, permission) {
			t.Fatalf("om_%d not stale", i)
		}
	}
	if s.Stale(&token.Claims{OrganizationMembershipID: "om_other", IssuedAt: iat}, permission) {
		t.Error("an untouched membership is stale")
	}
	// The same membership changed again: the later time counts.
	if _, err := s.Apply(events.Event{ID: "event_again", Event: "organization_membership.updated", Data: []byte(`{"id":"om_3"}`), CreatedAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if !s.Stale(&token.Claims{OrganizationMembershipID: "om_3", IssuedAt: now.Add(30 * time.Second)}, permission) {
		t.Error("the later change of om_3 is lost")
	}
}

// TestUnreadableEvent: an event of a known type without the ID it needs is
// an error, counted, and — its scope unknown — declines every token issued
// at or before it, and no later one.
func TestUnreadableEvent(t *testing.T) {
	t.Parallel()
	now := t0
	s, _ := events.NewState(events.WithTimeFunc(func() time.Time { return now }))
	now = t0.Add(time.Minute)
	_, err := s.Apply(events.Event{ID: "event_1", Event: "role.updated", Data: []byte(`{"name":"Admin"}`), CreatedAt: now})
	if !errors.Is(err, events.ErrMalformed) {
		t.Fatalf("Apply: %v, want ErrMalformed", err)
	}
	before := &token.Claims{Subject: "user_a", IssuedAt: now.Add(-10 * time.Second).Truncate(time.Second)}
	after := &token.Claims{Subject: "user_a", IssuedAt: now.Add(5 * time.Second).Truncate(time.Second)}
	if !s.Stale(before, permission) || s.Stale(after, permission) {
		t.Errorf("stale(before) = %v, stale(after) = %v; want true, false", s.Stale(before, permission), s.Stale(after, permission))
	}
	if st := s.Stats(); st.Unreadable != 1 || st.Applied != 0 {
		t.Errorf("stats %+v", st)
	}
}
