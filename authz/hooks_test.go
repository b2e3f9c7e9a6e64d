package authz_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/token"
	"github.com/google/go-cmp/cmp"
)

// hookLog records what the call hooks and the cache hook were told.
type hookLog struct {
	mu        sync.Mutex
	calls     []authz.Call
	results   []string // per ended call: "allowed/denied/error" or per-batch summary
	decisions []string // "op permission source outcome"
	lookups   []bool
}

func outcome(d authz.Decision, err error) string {
	switch {
	case err != nil:
		return "error"
	case d.Allowed:
		return "allowed"
	}
	return "denied"
}

func (l *hookLog) hooks() authz.Hooks {
	return authz.Hooks{
		Start: func(ctx context.Context, call authz.Call) (context.Context, func(authz.CallResult)) {
			l.mu.Lock()
			l.calls = append(l.calls, call)
			l.mu.Unlock()
			return ctx, func(r authz.CallResult) {
				s := outcome(r.Decision, r.Err)
				if r.Decisions != nil {
					s = "batch of " + string(rune('0'+len(r.Decisions)))
				}
				l.mu.Lock()
				l.results = append(l.results, s)
				l.mu.Unlock()
			}
		},
		Decision: func(_ context.Context, e authz.DecisionEvent) {
			l.mu.Lock()
			l.decisions = append(l.decisions, e.Op.String()+" "+e.Permission+" "+e.Decision.Source.String()+" "+outcome(e.Decision, e.Err))
			l.mu.Unlock()
		},
		CacheLookup: func(_ context.Context, hit bool) {
			l.mu.Lock()
			l.lookups = append(l.lookups, hit)
			l.mu.Unlock()
		},
	}
}

func hooksFake(t *testing.T) *authztest.Fake {
	t.Helper()
	f := authztest.New(t)
	f.AddResourceType("project", "organization")
	f.AddPermission("project:view", "project")
	f.AddRole("member", "organization")
	f.AddRole("project-viewer", "project", "project:view")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "member")
	for _, p := range []string{"p1", "p2"} {
		f.AddResource(authztest.Resource{ExternalID: p, ResourceTypeSlug: "project", OrganizationID: "org_acme"})
	}
	f.Assign("om_alice", "project-viewer", f.ResourceID("org_acme", "project", "p1"))
	return f
}

// The hooks see each call once — Client.Check is not also reported as the
// ResourceLayer.Check it makes — and one decision per check or per
// answered batch item, with its source and outcome.
func TestHooksReportCallsAndDecisions(t *testing.T) {
	t.Parallel()
	alice := &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_alice"}
	admin := &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_alice", Permissions: []string{"project:view"}}
	p := func(id string) authz.ResourceRef { return authz.ExternalResource("project", id) }
	tests := []struct {
		name          string
		fault         *authztest.Fault // injected before run
		run           func(ctx context.Context, c *authz.Client) error
		wantCalls     []authz.Call
		wantResults   []string
		wantDecisions []string
		wantLookups   []bool
	}{
		{
			name: "token layer",
			run: func(ctx context.Context, c *authz.Client) error {
				_, err := c.Check(ctx, admin, "project:view", p("p2").InOrganization("org_acme"))
				return err
			},
			wantCalls:     []authz.Call{{Op: authz.OpCheck, Permission: "project:view", ResourceTypeSlug: "project", Items: 1}},
			wantResults:   []string{"allowed"},
			wantDecisions: []string{"Check project:view token allowed"},
		},
		{
			name: "API allow, then deny, then not found (a deny too)",
			run: func(ctx context.Context, c *authz.Client) error {
				for _, id := range []string{"p1", "p2", "p9"} {
					c.Check(ctx, alice, "project:view", p(id))
				}
				return nil
			},
			wantCalls: []authz.Call{
				{Op: authz.OpCheck, Permission: "project:view", ResourceTypeSlug: "project", Items: 1},
				{Op: authz.OpCheck, Permission: "project:view", ResourceTypeSlug: "project", Items: 1},
				{Op: authz.OpCheck, Permission: "project:view", ResourceTypeSlug: "project", Items: 1},
			},
			wantResults:   []string{"allowed", "denied", "denied"},
			wantDecisions: []string{"Check project:view api allowed", "Check project:view api denied", "Check project:view api denied"},
		},
		{
			name: "resource layer by ID: no type slug; an API error",
			run: func(ctx context.Context, c *authz.Client) error {
				_, err := c.API().Check(ctx, "om_alice", "project:view", authz.ResourceID("authz_resource_nope"))
				if !errors.Is(err, authz.ErrBadRequest) {
					return err
				}
				return nil
			},
			fault:         &authztest.Fault{Status: 400},
			wantCalls:     []authz.Call{{Op: authz.OpResourceCheck, Permission: "project:view", Items: 1}},
			wantResults:   []string{"error"},
			wantDecisions: []string{"ResourceLayer.Check project:view none error"},
		},
		{
			name: "batch: one decision per item, failures included",
			run: func(ctx context.Context, c *authz.Client) error {
				_, err := c.CheckMany(ctx, alice, "project:view", []authz.ResourceRef{p("p1"), p("p2"), p("p1"), p("p9").InOrganization("org_other")})
				var be *authz.BatchError
				if !errors.As(err, &be) {
					return err
				}
				return nil
			},
			wantCalls:   []authz.Call{{Op: authz.OpCheckMany, Permission: "project:view", Items: 4}},
			wantResults: []string{"batch of 4"},
			wantDecisions: []string{
				"CheckMany project:view api allowed", "CheckMany project:view api denied",
				"CheckMany project:view api allowed", "CheckMany project:view none error",
			},
		},
		{
			name: "Filter; an early stop's unasked items are not decisions",
			run: func(ctx context.Context, c *authz.Client) error {
				_, err := authz.Filter(ctx, c, alice, "project:view", []string{"p1", "p2"},
					func(id string) authz.ResourceRef { return p(id) }, authz.RequireAny(), authz.Concurrency(1))
				return err
			},
			wantCalls:     []authz.Call{{Op: authz.OpFilter, Permission: "project:view", Items: 2}},
			wantResults:   []string{"batch of 2"},
			wantDecisions: []string{"Filter project:view api allowed"},
		},
		{
			name: "whole batch invalid: every item an error",
			run: func(ctx context.Context, c *authz.Client) error {
				if _, err := c.CheckMany(ctx, nil, "project:view", []authz.ResourceRef{p("p1"), p("p2")}); !errors.Is(err, authz.ErrInvalidInput) {
					return err
				}
				return nil
			},
			wantCalls:     []authz.Call{{Op: authz.OpCheckMany, Permission: "project:view", Items: 2}},
			wantResults:   []string{"batch of 2"},
			wantDecisions: []string{"CheckMany project:view none error", "CheckMany project:view none error"},
		},
		{
			name: "memo answers before the cache, which is not asked",
			run: func(ctx context.Context, c *authz.Client) error {
				ctx = cache.WithMemo(ctx)
				c.Check(ctx, alice, "project:view", p("p1"))
				c.Check(ctx, alice, "project:view", p("p1"))
				return nil
			},
			wantCalls: []authz.Call{
				{Op: authz.OpCheck, Permission: "project:view", ResourceTypeSlug: "project", Items: 1},
				{Op: authz.OpCheck, Permission: "project:view", ResourceTypeSlug: "project", Items: 1},
			},
			wantResults:   []string{"allowed", "allowed"},
			wantDecisions: []string{"Check project:view api allowed", "Check project:view memo allowed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var l hookLog
			f := hooksFake(t)
			c := f.Client(authz.WithHooks(l.hooks()))
			if tt.fault != nil {
				f.InjectFault(*tt.fault)
			}
			if err := tt.run(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantCalls, l.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantResults, l.results); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDecisions, l.decisions); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLookups, l.lookups); diff != "" {
				t.Errorf("cache lookups (-want +got):\n%s", diff)
			}
		})
	}
}

// CacheLookup reports every question to the decision cache: a miss, then
// a hit; a Fresh check does not ask it.
func TestHooksCacheLookups(t *testing.T) {
	t.Parallel()
	lru, err := cache.New(100, cache.DefaultTTL)
	if err != nil {
		t.Fatal(err)
	}
	var l hookLog
	c := hooksFake(t).Client(authz.WithCache(lru), authz.WithHooks(l.hooks()))
	alice := &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_alice"}
	r := authz.ExternalResource("project", "p1")
	for _, opts := range [][]authz.CallOption{nil, nil, {authz.Fresh()}} {
		if _, err := c.Check(t.Context(), alice, "project:view", r, opts...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CheckMany(t.Context(), alice, "project:view", []authz.ResourceRef{r, authz.ExternalResource("project", "p2")}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{false, true, true, false}, l.lookups); diff != "" {
		t.Errorf("cache lookups, hit or not (-want +got):\n%s", diff)
	}
	want := []string{"Check project:view api allowed", "Check project:view cache allowed", "Check project:view api allowed",
		"CheckMany project:view cache allowed", "CheckMany project:view api denied"}
	if diff := cmp.Diff(want, l.decisions); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
}

// staleFreshness calls every token stale.
type staleFreshness struct{}

func (staleFreshness) Stale(*token.Claims, string) bool { return true }
func (staleFreshness) Watch(func(string)) (stop func()) { return func() {} }

// The Decision hook sees a token declined as stale: the API answered and
// the Decision has TokenStale, in a single check and in a batch.
func TestHooksSeeStaleTokens(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	c := hooksFake(t).Client(authz.WithFreshness(staleFreshness{}), authz.WithHooks(authz.Hooks{
		Decision: func(_ context.Context, e authz.DecisionEvent) {
			mu.Lock()
			got = append(got, fmt.Sprintf("%s %s stale=%v", e.Op, e.Decision.Source, e.Decision.TokenStale))
			mu.Unlock()
		},
	}))
	admin := &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_alice", Permissions: []string{"project:view"}}
	p1 := authz.ExternalResource("project", "p1").InOrganization("org_acme")
	if _, err := c.Check(t.Context(), admin, "project:view", p1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckMany(t.Context(), admin, "project:view", []authz.ResourceRef{p1}); err != nil {
		t.Fatal(err)
	}
	want := []string{"Check api stale=true", "CheckMany api stale=true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
}

// A token declined as stale is reported with TokenStale whatever came
// after the decline — an answer or an error — in a single check and in a
// batch alike, so that a counter of stale declines does not depend on the
// call shape.
func TestStaleTokenKeptOnFailedDecisions(t *testing.T) {
	t.Parallel()
	p1 := authz.ExternalResource("project", "p1").InOrganization("org_acme")
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		claims *token.Claims
	}{
		{"cancelled", cancelled, &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_alice", Permissions: []string{"project:view"}}},
		{"no membership", t.Context(), &token.Claims{OrganizationID: "org_acme", Permissions: []string{"project:view"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var got []string
			c := hooksFake(t).Client(authz.WithFreshness(staleFreshness{}), authz.WithHooks(authz.Hooks{
				Decision: func(_ context.Context, e authz.DecisionEvent) {
					mu.Lock()
					got = append(got, fmt.Sprintf("%s error=%v stale=%v", e.Op, e.Err != nil, e.Decision.TokenStale))
					mu.Unlock()
				},
			}))
			d, err := c.Check(tc.ctx, tc.claims, "project:view", p1)
			if err == nil || d.Allowed || !d.TokenStale {
				t.Errorf("Check = %+v, %v; want an error, not allowed, TokenStale", d, err)
			}
			ds, err := c.CheckMany(tc.ctx, tc.claims, "project:view", []authz.ResourceRef{p1})
			if err == nil || len(ds) != 1 || ds[0].Allowed || !ds[0].TokenStale {
				t.Errorf("CheckMany = %+v, %v; want a failed item, not allowed, TokenStale", ds, err)
			}
			want := []string{"Check error=true stale=true", "CheckMany error=true stale=true"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
		})
	}
}
