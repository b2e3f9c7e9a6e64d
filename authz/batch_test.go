package authz_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/token"
	"github.com/google/go-cmp/cmp"
)

const org = "org_acme"

// world is a fixture with a deep hierarchy — workspace → project → folder →
// doc — three workspaces, organization roles and resource roles.
type world struct {
	f        *authztest.Fake
	projects map[string][]string // workspace external ID → project IDs
	ws       map[string]string   // workspace external ID → ID
	folders  []string            // folder IDs (under ws1's first project)
	docs     []string            // doc IDs (under the first folder)
}

// nProjects is more than one discovery page (100).
const nProjects = 130

func newWorld(t *testing.T) *world {
	t.Helper()
	f := authztest.New(t)
	f.AddResourceType("workspace", "organization")
	f.AddResourceType("project", "workspace")
	f.AddResourceType("folder", "project")
	f.AddResourceType("doc", "folder")
	f.AddPermission("workspace:view", "workspace")
	f.AddPermission("project:view", "project")
	f.AddPermission("doc:view", "doc")
	f.AddRole("member", "organization")
	f.AddRole("org-viewer", "organization", "project:view", "doc:view")
	f.AddRole("workspace-viewer", "workspace", "workspace:view", "project:view")
	f.AddRole("project-viewer", "project", "project:view", "doc:view")
	f.AddRole("folder-viewer", "folder", "doc:view")
	f.AddOrganization(org, "Acme")
	w := &world{f: f, projects: map[string][]string{}, ws: map[string]string{}}
	for _, ws := range []string{"ws1", "ws2", "ws3"} {
		w.ws[ws] = f.AddResource(authztest.Resource{ExternalID: ws, ResourceTypeSlug: "workspace", OrganizationID: org})
		for i := range nProjects {
			id := f.AddResource(authztest.Resource{ExternalID: fmt.Sprintf("%s-p%03d", ws, i), ResourceTypeSlug: "project", OrganizationID: org,
				ParentResourceID: w.ws[ws]})
			w.projects[ws] = append(w.projects[ws], id)
		}
	}
	for i := range 3 {
		w.folders = append(w.folders, f.AddResource(authztest.Resource{ExternalID: fmt.Sprintf("f%d", i), ResourceTypeSlug: "folder", OrganizationID: org, ParentResourceID: w.projects["ws1"][0]}))
	}
	for i := range 5 {
		w.docs = append(w.docs, f.AddResource(authztest.Resource{ExternalID: fmt.Sprintf("d%d", i), ResourceTypeSlug: "doc", OrganizationID: org, ParentResourceID: w.folders[0]}))
	}
	// alice: views workspace ws1 (so all its projects).
	f.AddMembership("om_alice", "user_alice", org, "member")
	f.Assign("om_alice", "workspace-viewer", w.ws["ws1"])
	// bob: views every third project of ws1 and the first folder.
	f.AddMembership("om_bob", "user_bob", org, "member")
	for i := 0; i < nProjects; i += 3 {
		f.Assign("om_bob", "project-viewer", w.projects["ws1"][i])
	}
	f.Assign("om_bob", "folder-viewer", w.folders[0])
	// carol: organization role that views every project and doc.
	f.AddMembership("om_carol", "user_carol", org, "org-viewer")
	// dave: nothing.
	f.AddMembership("om_dave", "user_dave", org, "member")
	return w
}

func claimsFor(om string, perms ...string) *token.Claims {
	return &token.Claims{Subject: "user_" + strings.TrimPrefix(om, "om_"), OrganizationID: org, OrganizationMembershipID: om, Permissions: perms}
}

// checkCalls counts the check calls (and listing calls) the fake received.
func checkCalls(f *authztest.Fake) (checks, listings int) {
	for _, c := range f.Calls() {
		switch {
		case strings.HasSuffix(c.Path, "/check"):
			checks++
		case strings.HasSuffix(c.Path, "/resources") && strings.Contains(c.Path, "organization_memberships"):
			listings++
		}
	}
	return checks, listings
}

func allowedOf(ds []authz.Decision) []bool {
	out := make([]bool, len(ds))
	for i, d := range ds {
		out[i] = d.Allowed
	}
	return out
}

func TestCheckManyDiscoveryEqualsPerItemChecks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	var wsProjects []authz.ResourceRef // every project of ws1, by ID and (some) by external ID
	for i, id := range w.projects["ws1"] {
		if i%2 == 0 {
			wsProjects = append(wsProjects, authz.ResourceID(id))
		} else {
			wsProjects = append(wsProjects, authz.ExternalResource("project", fmt.Sprintf("ws1-p%03d", i)))
		}
	}
	// Mixed: projects of ws1, projects of another workspace, a folder and
	// docs deep below ws1 — not direct children of ws1.
	mixed := append(append([]authz.ResourceRef{}, wsProjects[:20]...),
		authz.ResourceID(w.projects["ws2"][0]), authz.ExternalResource("project", "ws2-p001"),
		authz.ResourceID(w.docs[0]), authz.ResourceID(w.docs[1]), authz.ResourceID(w.folders[1]))

	parent := authz.ResourceID(w.ws["ws1"])
	for _, om := range []string{"om_alice", "om_bob", "om_carol", "om_dave"} {
		for _, perm := range []string{"project:view", "doc:view"} {
			for _, set := range []struct {
				name        string
				items       []authz.ResourceRef
				allChildren bool
			}{{"children", wsProjects, perm == "project:view"}, {"mixed", mixed, false}} {
				t.Run(om+"/"+perm+"/"+set.name, func(t *testing.T) {
					c := w.f.Client()
					claims := claimsFor(om)
					want, err := c.CheckMany(ctx, claims, perm, set.items)
					if err != nil {
						t.Fatalf("per-item CheckMany: %v", err)
					}
					// Every answer agrees with a single Check.
					for i, r := range set.items {
						d, err := c.Check(ctx, claims, perm, r)
						if err != nil || d.Allowed != want[i].Allowed {
							t.Fatalf("item %d: Check = %+v, %v; CheckMany said %v", i, d, err, want[i].Allowed)
						}
					}
					opts := []authz.CallOption{authz.UnderParent(parent)}
					if set.allChildren {
						opts = append(opts, authz.ChildrenOf(parent))
					}
					for _, opt := range opts {
						got, err := c.CheckMany(ctx, claims, perm, set.items, opt)
						if err != nil {
							t.Fatalf("discovery CheckMany: %v", err)
						}
						if diff := cmp.Diff(allowedOf(want), allowedOf(got)); diff != "" {
							t.Errorf("discovery answers differ from per-item checks (-per-item +discovery):\n%s", diff)
						}
					}
				})
			}
		}
	}
}

func TestCheckManyDiscoveryCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		om           string
		opt          func(parent authz.ResourceRef) authz.CallOption
		wantListings int
		wantChecks   int
	}{
		// alice may view all 130 projects: 2 pages, nothing left to check.
		{"all allowed, UnderParent", "om_alice", authz.UnderParent, 2, 0},
		{"all allowed, ChildrenOf", "om_alice", authz.ChildrenOf, 2, 0},
		// bob may view 44 of 130: absent ones are checked one by one,
		// unless the caller promised they are all children.
		{"some allowed, UnderParent", "om_bob", authz.UnderParent, 1, nProjects - 44},
		{"some allowed, ChildrenOf", "om_bob", authz.ChildrenOf, 1, 0},
		{"none allowed, ChildrenOf", "om_dave", authz.ChildrenOf, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			c := w.f.Client()
			var items []authz.ResourceRef
			for _, id := range w.projects["ws1"] {
				items = append(items, authz.ResourceID(id))
			}
			w.f.ResetCalls()
			ds, err := c.CheckMany(t.Context(), claimsFor(tt.om), "project:view", items, tt.opt(authz.ResourceID(w.ws["ws1"])))
			if err != nil {
				t.Fatal(err)
			}
			checks, listings := checkCalls(w.f)
			if listings != tt.wantListings || checks != tt.wantChecks {
				t.Errorf("calls: %d listings + %d checks, want %d + %d", listings, checks, tt.wantListings, tt.wantChecks)
			}
			n := 0
			for _, d := range ds {
				if d.Allowed {
					n++
				}
			}
			t.Logf("%d of %d allowed", n, len(ds))
		})
	}
}

func TestCheckManyOrderDuplicatesAndTokenLayer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	p0, p1 := w.projects["ws1"][0], w.projects["ws2"][1]
	items := []authz.ResourceRef{
		authz.ResourceID(p0),               // bob: allowed (API)
		authz.ResourceID(p1),               // bob: denied (API)
		authz.ResourceID(p0),               // duplicate of 0
		authz.ExternalResource("doc", "x"), // token grants doc:view? no — permission differs
		authz.ResourceID(p0).InOrganization(org),
		{}, // invalid
		authz.ResourceID("authz_resource_missing"), // 404
	}
	claims := claimsFor("om_bob", "workspace:view")
	w.f.ResetCalls()
	ds, err := c.CheckMany(t.Context(), claims, "project:view", items, authz.Concurrency(2))
	var be *authz.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want *BatchError", err)
	}
	gotIdx := []int{}
	for _, f := range be.Failures {
		gotIdx = append(gotIdx, f.Index)
	}
	if diff := cmp.Diff([]int{5}, gotIdx); diff != "" {
		t.Errorf("failed indexes (-want +got):\n%s", diff)
	}
	if !errors.Is(err, authz.ErrInvalidInput) || errors.Is(err, authz.ErrNotFound) {
		t.Errorf("err = %v; want it to match ErrInvalidInput and not ErrNotFound (a 404 is a deny)", err)
	}
	for _, i := range []int{3, 6} { // the API answered 404: denied, not found
		if want := (authz.Decision{Source: authz.SourceAPI, NotFound: true}); ds[i] != want {
			t.Errorf("decision %d = %+v, want %+v", i, ds[i], want)
		}
	}
	want := []bool{true, false, true, false, true, false, false}
	if diff := cmp.Diff(want, allowedOf(ds)); diff != "" {
		t.Errorf("allowed (-want +got):\n%s", diff)
	}
	// p0 by ID once (ids 0, 2 and 4 share a key), p1, ext doc x, missing.
	if checks, _ := checkCalls(w.f); checks != 4 {
		t.Errorf("check calls = %d, want 4 (duplicates asked once)", checks)
	}

	// The token layer answers first, without calls — for references that
	// name the token's organization; an external reference without one is
	// asked of the API (it may be another tenant's external ID).
	w.f.ResetCalls()
	ds, err = c.CheckMany(t.Context(), claimsFor("om_carol", "project:view"), "project:view",
		[]authz.ResourceRef{authz.ExternalResource("project", "ws1-p000").InOrganization(org), authz.ResourceID(p0).InOrganization(org),
			authz.ExternalResource("project", "ws1-p001")})
	if err != nil {
		t.Fatal(err)
	}
	want2 := []authz.Decision{{Allowed: true, Source: authz.SourceToken}, {Allowed: true, Source: authz.SourceToken}, {Allowed: true, Source: authz.SourceAPI}}
	if diff := cmp.Diff(want2, ds); diff != "" {
		t.Errorf("token decisions (-want +got):\n%s", diff)
	}
	if checks, _ := checkCalls(w.f); checks != 1 {
		t.Errorf("%d check calls, want 1 (the external reference without its organization)", checks)
	}
}

func TestCheckManyShortCircuits(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	ws1 := w.projects["ws1"]
	// bob may view ws1 projects 0, 3, 6, …
	items := []authz.ResourceRef{authz.ResourceID(ws1[0]), authz.ResourceID(ws1[1]), authz.ResourceID(ws1[2]), authz.ResourceID(ws1[3]), authz.ResourceID(ws1[4])}
	tests := []struct {
		name string
		opt  authz.CallOption
		want []authz.Decision
	}{
		{"RequireAll stops at the first deny", authz.RequireAll(),
			[]authz.Decision{{Allowed: true, Source: authz.SourceAPI}, {Allowed: false, Source: authz.SourceAPI}, {}, {}, {}}},
		{"RequireAny stops at the first allow", authz.RequireAny(),
			[]authz.Decision{{Allowed: true, Source: authz.SourceAPI}, {}, {}, {}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.f.ResetCalls()
			ds, err := c.CheckMany(t.Context(), claimsFor("om_bob"), "project:view", items, tt.opt, authz.Concurrency(1))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ds); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
			wantCalls := 0
			for _, d := range tt.want {
				if d.Source != authz.SourceNone {
					wantCalls++
				}
			}
			if checks, _ := checkCalls(w.f); checks != wantCalls {
				t.Errorf("check calls = %d, want %d", checks, wantCalls)
			}
		})
	}
}

func TestCheckManyInvalidBatch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	items := []authz.ResourceRef{authz.ResourceID("r")}
	tests := []struct {
		name   string
		claims *token.Claims
		perm   string
		opts   []authz.CallOption
	}{
		{"nil claims", nil, "p", nil},
		{"empty permission", claimsFor("om_bob"), "", nil},
		{"zero concurrency", claimsFor("om_bob"), "p", []authz.CallOption{authz.Concurrency(-1)}},
		{"invalid parent", claimsFor("om_bob"), "p", []authz.CallOption{authz.UnderParent(authz.ResourceRef{})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := c.CheckMany(t.Context(), tt.claims, tt.perm, items, tt.opts...)
			if !errors.Is(err, authz.ErrInvalidInput) || len(ds) != 1 || ds[0].Allowed {
				t.Errorf("CheckMany = %+v, %v; want ErrInvalidInput", ds, err)
			}
		})
	}
}

func TestCheckManyNoMembership(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	claims := &token.Claims{OrganizationID: org, Permissions: []string{"project:view"}}
	ds, err := c.CheckMany(t.Context(), claims, "project:view", []authz.ResourceRef{authz.ExternalResource("project", "ws1-p000").InOrganization(org), authz.ResourceID(w.projects["ws1"][0])})
	if !errors.Is(err, token.ErrNoMembership) {
		t.Errorf("err = %v, want ErrNoMembership", err)
	}
	if diff := cmp.Diff([]bool{true, false}, allowedOf(ds)); diff != "" {
		t.Errorf("allowed (-want +got):\n%s", diff)
	}
	if n := len(w.f.Calls()); n != 0 {
		t.Errorf("%d API calls without a membership", n)
	}
}

func TestCheckManyFailedItemsFailClosed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client(authz.WithRetry(authz.RetryPolicy{}))
	w.f.InjectFault(authztest.Fault{Path: "/authorization/", Status: 500, Times: -1})
	items := []authz.ResourceRef{authz.ResourceID(w.projects["ws1"][0]), authz.ResourceID(w.projects["ws1"][1])}
	ds, err := c.CheckMany(t.Context(), claimsFor("om_alice"), "project:view", items, authz.UnderParent(authz.ResourceID(w.ws["ws1"])))
	var be *authz.BatchError
	if !errors.As(err, &be) || len(be.Failures) != 2 || !errors.Is(err, authz.ErrServer) {
		t.Fatalf("err = %v, want a BatchError of two ErrServer", err)
	}
	for i, d := range ds {
		if d.Allowed {
			t.Errorf("item %d allowed on a 500", i)
		}
	}
}

func TestCheckManyCallerCancel(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ds, err := c.CheckMany(ctx, claimsFor("om_alice"), "project:view", []authz.ResourceRef{authz.ResourceID(w.projects["ws1"][0])})
	if !errors.Is(err, context.Canceled) || ds[0].Allowed {
		t.Errorf("CheckMany = %+v, %v; want context.Canceled", ds, err)
	}
}

type project struct {
	Name string
	ID   string
}

func TestFilter(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	var all []project
	for i, id := range w.projects["ws1"][:7] {
		all = append(all, project{Name: fmt.Sprintf("p%d", i), ID: id})
	}
	got, err := authz.Filter(t.Context(), c, claimsFor("om_bob"), "project:view", all, func(p project) authz.ResourceRef { return authz.ResourceID(p.ID) })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]project{all[0], all[3], all[6]}, got); diff != "" {
		t.Errorf("Filter (-want +got):\n%s", diff)
	}
	if _, err := authz.Filter[project](t.Context(), c, claimsFor("om_bob"), "project:view", all, nil); !errors.Is(err, authz.ErrInvalidInput) {
		t.Errorf("nil ref: err = %v", err)
	}
}

// TestFilterLeavesOutItemsThatFailed: an item whose check failed — a
// malformed or failed API answer, an invalid reference, another
// organization's resource even when the token grants the permission — is
// never returned, even when it would have been allowed; the others are,
// with a BatchError naming exactly the failed items.
func TestFilterLeavesOutItemsThatFailed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault authztest.Fault
	}{
		{"malformed body", authztest.Fault{Malformed: true}},
		{"server error", authztest.Fault{Status: 500}},
		{"rate limited", authztest.Fault{Status: 429}},
		{"unauthorized key", authztest.Fault{Status: 401}},
		{"dropped connection", authztest.Fault{Drop: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			c := w.f.Client(authz.WithRetry(authz.RetryPolicy{}))
			var items []project
			for i, id := range w.projects["ws1"][:7] { // bob may view 0, 3 and 6
				items = append(items, project{Name: fmt.Sprintf("p%d", i), ID: id})
			}
			items = append(items, project{Name: "invalid"}, project{Name: "other org"})
			ref := func(p project) authz.ResourceRef {
				switch p.Name {
				case "invalid":
					return authz.ResourceRef{}
				case "other org":
					return authz.ExternalResource("project", "ws1-p000").InOrganization("org_other")
				}
				return authz.ResourceID(p.ID)
			}
			fault := tc.fault
			fault.Path = "/authorization/organization_memberships/om_bob/check"
			w.f.InjectFault(fault) // the first check: p0's, with one check at a time
			// The token grants project:view organization-wide, which must not
			// rescue the other organization's resource.
			claims := claimsFor("om_bob", "project:view")
			got, err := authz.Filter(t.Context(), c, claims, "project:view", items, ref, authz.Concurrency(1))
			if diff := cmp.Diff([]project{items[3], items[6]}, got); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
			var be *authz.BatchError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v, want a *BatchError", err)
			}
			var failed []int
			for _, f := range be.Failures {
				failed = append(failed, f.Index)
			}
			if diff := cmp.Diff([]int{0, 7, 8}, failed); diff != "" {
				t.Errorf("failed indexes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCacheAndInvalidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	lru, err := cache.New(100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c := w.f.Client(authz.WithCache(lru))
	ctx := t.Context()
	claims := claimsFor("om_dave")
	r := authz.ResourceID(w.projects["ws2"][0])
	step := func(name string, want authz.Decision, wantCalls int, opts ...authz.CallOption) {
		t.Helper()
		w.f.ResetCalls()
		d, err := c.Check(ctx, claims, "project:view", r, opts...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, d); diff != "" {
			t.Errorf("%s: decision (-want +got):\n%s", name, diff)
		}
		if checks, _ := checkCalls(w.f); checks != wantCalls {
			t.Errorf("%s: %d check calls, want %d", name, checks, wantCalls)
		}
	}
	step("first check asks the API", authz.Decision{Allowed: false, Source: authz.SourceAPI}, 1)
	step("second check hits the cache", authz.Decision{Allowed: false, Source: authz.SourceCache}, 0)
	step("Fresh skips the cache", authz.Decision{Allowed: false, Source: authz.SourceAPI}, 1, authz.Fresh())

	// Granting through this client forgets dave's entries.
	if _, err := c.AssignRole(ctx, "om_dave", "workspace-viewer", authz.ResourceID(w.ws["ws2"])); err != nil {
		t.Fatal(err)
	}
	step("after AssignRole the API is asked again", authz.Decision{Allowed: true, Source: authz.SourceAPI}, 1)
	step("and cached again", authz.Decision{Allowed: true, Source: authz.SourceCache}, 0)
	if err := c.RemoveRole(ctx, "om_dave", "workspace-viewer", authz.ResourceID(w.ws["ws2"])); err != nil {
		t.Fatal(err)
	}
	step("revoked: the very next check is denied", authz.Decision{Allowed: false, Source: authz.SourceAPI}, 1)

	// A client with another key never sees these entries.
	other, err := authz.New("sk_test_other", authz.WithBaseURL(w.f.URL()), authz.WithCache(lru))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	d, err := other.Check(ctx, claims, "project:view", r)
	if d.Source == authz.SourceCache {
		t.Errorf("a client with another API key got a cached answer: %+v, %v", d, err)
	}
}

func TestCacheOffByDefaultRevocationIsImmediate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	claims := claimsFor("om_bob")
	r := authz.ResourceID(w.projects["ws1"][0])
	for i, want := range []bool{true, true} {
		d, err := c.Check(t.Context(), claims, "project:view", r)
		if err != nil || d.Allowed != want || d.Source != authz.SourceAPI {
			t.Fatalf("check %d: %+v, %v", i, d, err)
		}
	}
	if err := c.RemoveRole(t.Context(), "om_bob", "project-viewer", r); err != nil {
		t.Fatal(err)
	}
	d, err := c.Check(t.Context(), claims, "project:view", r)
	if err != nil || d.Allowed {
		t.Errorf("after revoke: %+v, %v; want denied", d, err)
	}
}

func TestRequestMemo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	ctx := cache.WithMemo(t.Context())
	claims := claimsFor("om_bob")
	r := authz.ResourceID(w.projects["ws1"][0])
	w.f.ResetCalls()
	var got []authz.Decision
	for range 3 {
		d, err := c.Check(ctx, claims, "project:view", r)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	d, err := c.Check(ctx, claims, "project:view", r, authz.Fresh())
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, d)
	want := []authz.Decision{{Allowed: true, Source: authz.SourceAPI}, {Allowed: true, Source: authz.SourceMemo}, {Allowed: true, Source: authz.SourceMemo}, {Allowed: true, Source: authz.SourceAPI}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	if checks, _ := checkCalls(w.f); checks != 2 {
		t.Errorf("check calls = %d, want 2", checks)
	}
	// A new request (a new memo) asks again.
	if d, _ := c.Check(cache.WithMemo(t.Context()), claims, "project:view", r); d.Source != authz.SourceAPI {
		t.Errorf("new request: Source = %v, want api", d.Source)
	}
}

// TestWriteClearsRequestMemo: a handler that changes access and then
// checks again within the same request (the same ctx, the same memo) gets
// the API's new answer, not the memo's answer from before the change — for
// a change to one membership's assignments and for a change that can
// affect every membership (a role's permissions), through Check and
// CheckMany alike.
func TestWriteClearsRequestMemo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		om     string
		before bool
		change func(ctx context.Context, w *world, c *authz.Client) error
		after  bool
	}{
		{"remove role", "om_bob", true, func(ctx context.Context, w *world, c *authz.Client) error {
			return c.RemoveRole(ctx, "om_bob", "project-viewer", authz.ResourceID(w.projects["ws1"][0]))
		}, false},
		{"remove role assignment", "om_bob", true, func(ctx context.Context, w *world, c *authz.Client) error {
			for ra, err := range c.ListRoleAssignments(ctx, "om_bob", authz.ListRoleAssignmentsOptions{ResourceID: w.projects["ws1"][0]}) {
				if err != nil {
					return err
				}
				return c.RemoveRoleAssignment(ctx, "om_bob", ra.ID)
			}
			return errors.New("no assignment to remove")
		}, false},
		{"assign role", "om_dave", false, func(ctx context.Context, w *world, c *authz.Client) error {
			_, err := c.AssignRole(ctx, "om_dave", "project-viewer", authz.ResourceID(w.projects["ws1"][0]))
			return err
		}, true},
		{"role loses the permission", "om_bob", true, func(ctx context.Context, w *world, c *authz.Client) error {
			_, err := c.SetEnvironmentRolePermissions(ctx, "project-viewer", []string{"doc:view"})
			return err
		}, false},
	} {
		for _, batch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/batch=%v", tc.name, batch), func(t *testing.T) {
				t.Parallel()
				w := newWorld(t)
				c := w.f.Client()
				ctx := cache.WithMemo(t.Context()) // one request
				claims := claimsFor(tc.om)
				r := authz.ResourceID(w.projects["ws1"][0])
				check := func() (authz.Decision, error) {
					if !batch {
						return c.Check(ctx, claims, "project:view", r)
					}
					ds, err := c.CheckMany(ctx, claims, "project:view", []authz.ResourceRef{r})
					return ds[0], err
				}
				var got []authz.Decision
				for range 2 {
					d, err := check()
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, d)
				}
				if err := tc.change(ctx, w, c); err != nil {
					t.Fatal(err)
				}
				d, err := check()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, d)
				want := []authz.Decision{
					{Allowed: tc.before, Source: authz.SourceAPI},
					{Allowed: tc.before, Source: authz.SourceMemo}, // the memo works
					{Allowed: tc.after, Source: authz.SourceAPI},   // but not across the change
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("decisions (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// BenchmarkCheckMany1000ChildrenOfParent: 1,000 projects of one workspace,
// the parent named (ChildrenOf) versus 1,000 per-item checks, against the
// fake. calls/op is the number of API calls one batch costs.
func BenchmarkCheckMany1000ChildrenOfParent(b *testing.B) {
	f := authztest.New(b)
	f.AddResourceType("workspace", "organization")
	f.AddResourceType("project", "workspace")
	f.AddPermission("project:view", "project")
	f.AddRole("member", "organization")
	f.AddRole("workspace-viewer", "workspace", "project:view")
	f.AddOrganization(org, "Acme")
	ws := f.AddResource(authztest.Resource{ExternalID: "ws", ResourceTypeSlug: "workspace", OrganizationID: org})
	rs := make([]authz.ResourceRef, 1000)
	for i := range rs {
		rs[i] = authz.ResourceID(f.AddResource(authztest.Resource{ExternalID: fmt.Sprintf("p%d", i), ResourceTypeSlug: "project", OrganizationID: org, ParentResourceID: ws}))
	}
	f.AddMembership("om_alice", "user_alice", org, "member")
	f.Assign("om_alice", "workspace-viewer", ws)
	c := f.Client(authz.WithConcurrency(16))
	claims := claimsFor("om_alice")
	for _, bm := range []struct {
		name string
		opts []authz.CallOption
	}{{"parent-named", []authz.CallOption{authz.ChildrenOf(authz.ResourceID(ws))}}, {"per-item", nil}} {
		b.Run(bm.name, func(b *testing.B) {
			f.ResetCalls()
			for b.Loop() {
				ds, err := c.CheckMany(b.Context(), claims, "project:view", rs, bm.opts...)
				if err != nil || !ds[999].Allowed {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(f.Calls()))/float64(b.N), "calls/op")
		})
	}
}
