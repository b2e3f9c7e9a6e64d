package authz_test

import (
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/cache"
	"github.com/google/go-cmp/cmp"
)

// A resource WorkOS does not know gets the same answer — denied, no error —
// whatever path asked for it: a single check, per-item checks of a batch,
// or a batch that reads the discovery listing first. Where the API said
// "404", the Decision says NotFound.
func TestMissingResourceIsDeniedOnEveryPath(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	missing := authz.ResourceID("authz_resource_missing") // the app's row, unknown to WorkOS
	parent := authz.ResourceID(w.ws["ws1"])
	items := []authz.ResourceRef{missing}
	for _, id := range w.projects["ws1"][:5] {
		items = append(items, authz.ResourceID(id))
	}
	allowed := authz.Decision{Allowed: true, Source: authz.SourceAPI}
	notFound := authz.Decision{Source: authz.SourceAPI, NotFound: true}
	listedAbsent := authz.Decision{Source: authz.SourceAPI} // a listing cannot tell missing from denied
	// ws1 has more than 100 projects: the listing is two pages (its budget
	// for 6 items is ceil(6/100)+1).
	tests := []struct {
		name       string
		opts       []authz.CallOption
		wantFirst  authz.Decision
		wantChecks int
		wantLists  int
	}{
		{"per-item checks", nil, notFound, 6, 0},
		{"UnderParent: listing, then the missing item checked", []authz.CallOption{authz.UnderParent(parent)}, notFound, 1, 2},
		{"ChildrenOf: the listing only", []authz.CallOption{authz.ChildrenOf(parent)}, listedAbsent, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the call log is the shared fake's.
			c := w.f.Client()
			w.f.ResetCalls()
			ds, err := c.CheckMany(t.Context(), claimsFor("om_alice"), "project:view", items, tt.opts...)
			if err != nil {
				t.Fatalf("CheckMany: %v; a missing resource is a deny, not a failure", err)
			}
			want := []authz.Decision{tt.wantFirst, allowed, allowed, allowed, allowed, allowed}
			if diff := cmp.Diff(want, ds); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
			if checks, lists := checkCalls(w.f); checks != tt.wantChecks || lists != tt.wantLists {
				t.Errorf("calls: %d checks + %d listings, want %d + %d", checks, lists, tt.wantChecks, tt.wantLists)
			}
			got, err := authz.Filter(t.Context(), c, claimsFor("om_alice"), "project:view", items,
				func(r authz.ResourceRef) authz.ResourceRef { return r }, tt.opts...)
			if err != nil {
				t.Fatalf("Filter: %v", err)
			}
			if diff := cmp.Diff(items[1:], got); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
		})
	}
}

// A single check of a missing resource is a deny with NotFound, by ID, by
// external ID and for another organization's resource; it costs one call
// and is neither memoized nor cached (the resource may be created next).
func TestCheckNotFound(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.f.AddOrganization("org_globex", "Globex")
	globex := w.f.AddResource(authztest.Resource{ExternalID: "research", ResourceTypeSlug: "workspace", OrganizationID: "org_globex"})
	lru, err := cache.New(100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c := w.f.Client(authz.WithCache(lru))
	want := authz.Decision{Source: authz.SourceAPI, NotFound: true}
	for _, r := range []authz.ResourceRef{
		authz.ResourceID("authz_resource_missing"),
		authz.ExternalResource("project", "nope"),
		authz.ResourceID(globex),
	} {
		ctx := cache.WithMemo(t.Context())
		w.f.ResetCalls()
		for range 2 {
			d, err := c.Check(ctx, claimsFor("om_alice"), "project:view", r)
			if err != nil || d != want {
				t.Errorf("Check(%v) = %+v, %v; want %+v, nil", r, d, err, want)
			}
			if got := d.String(); got != "denied: not found" {
				t.Errorf("String() = %q", got)
			}
		}
		if checks, _ := checkCalls(w.f); checks != 2 {
			t.Errorf("Check(%v) twice: %d calls, want 2 (not found is not remembered)", r, checks)
		}
		d, err := c.API().Check(t.Context(), "om_alice", "project:view", r)
		if err != nil || d != want {
			t.Errorf("API().Check(%v) = %+v, %v; want %+v, nil", r, d, err, want)
		}
	}
}
