package authz_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fgakit/fgakit/authz"
)

// permissionJSON is a permission as WIRE §1.3 shows it.
const permissionJSON = `{
  "object": "permission",
  "id": "perm_01HXYZ",
  "slug": "project:edit",
  "name": "Edit projects",
  "description": null,
  "system": false,
  "resource_type_slug": "project",
  "created_at": "2026-01-15T12:00:00.000Z",
  "updated_at": "2026-01-15T12:00:00.000Z"
}`

var permissionWant = authz.Permission{
	Object: "permission", ID: "perm_01HXYZ", Slug: "project:edit", Name: "Edit projects",
	ResourceTypeSlug: "project", CreatedAt: t0, UpdatedAt: t0,
}

// membershipWithUserJSON is an entry of the who-can-access list (#5/#6):
// a membership with its user and no role fields.
const membershipWithUserJSON = `{
  "object": "organization_membership",
  "id": "om_alice",
  "user_id": "user_alice",
  "organization_id": "org_acme",
  "organization_name": "Acme Corp",
  "status": "active",
  "directory_managed": false,
  "custom_attributes": {"department": "Engineering"},
  "created_at": "2026-01-15T12:00:00.000Z",
  "updated_at": "2026-01-15T12:00:00.000Z",
  "user": {
    "object": "user",
    "id": "user_alice",
    "email": "alice@example.com",
    "first_name": "Alice",
    "last_name": null,
    "name": "Alice",
    "profile_picture_url": null,
    "email_verified": true,
    "external_id": null,
    "metadata": {"timezone": "Europe/Paris"},
    "last_sign_in_at": "2026-01-14T08:30:00.000Z",
    "locale": "fr-FR",
    "created_at": "2026-01-15T12:00:00.000Z",
    "updated_at": "2026-01-15T12:00:00.000Z"
  }
}`

var membershipWant = authz.OrganizationMembership{
	Object: "organization_membership", ID: "om_alice", UserID: "user_alice", OrganizationID: "org_acme",
	OrganizationName: "Acme Corp", Status: "active",
	CustomAttributes: map[string]any{"department": "Engineering"},
	CreatedAt:        t0, UpdatedAt: t0,
	User: &authz.User{
		Object: "user", ID: "user_alice", Email: "alice@example.com", FirstName: "Alice", Name: "Alice",
		EmailVerified: true, Locale: "fr-FR", Metadata: map[string]string{"timezone": "Europe/Paris"},
		LastSignInAt: time.Date(2026, 1, 14, 8, 30, 0, 0, time.UTC), CreatedAt: t0, UpdatedAt: t0,
	},
}

func listJSON(items, after string) string {
	return `{"object":"list","data":[` + items + `],"list_metadata":{"before":null,"after":` + after + `}}`
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	runExchanges(t, []exchange{
		{
			name: "resources for a membership under a parent by ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListResourcesForMembershipPage(ctx, "om_alice", "project:edit", authz.ResourceID("authz_resource_eng"), authz.ListOptions{})
			},
			wantMethod: "GET", wantPath: "/authorization/organization_memberships/om_alice/resources",
			wantQuery: url.Values{"permission_slug": {"project:edit"}, "parent_resource_id": {"authz_resource_eng"}},
			status:    200, resp: listJSON(resourceJSON, "null"),
			want: &authz.Page[authz.AuthorizationResource]{Data: []authz.AuthorizationResource{*resourceWant}},
		},
		{
			name: "resources for a membership under a parent by external ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListResourcesForMembershipPage(ctx, "om_alice", "project:edit", authz.ExternalResource("workspace", "eng"), authz.ListOptions{Limit: 20})
			},
			wantMethod: "GET", wantPath: "/authorization/organization_memberships/om_alice/resources",
			wantQuery: url.Values{"permission_slug": {"project:edit"}, "parent_resource_type_slug": {"workspace"}, "parent_resource_external_id": {"eng"}, "limit": {"20"}},
			status:    200, resp: listJSON("", "null"),
			want: &authz.Page[authz.AuthorizationResource]{Data: []authz.AuthorizationResource{}},
		},
		{
			name: "memberships for a resource by ID, indirect",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListMembershipsForResourcePage(ctx, authz.ResourceID("authz_resource_web"), "project:edit", authz.AssignmentIndirect, authz.ListOptions{})
			},
			wantMethod: "GET", wantPath: "/authorization/resources/authz_resource_web/organization_memberships",
			wantQuery: url.Values{"permission_slug": {"project:edit"}, "assignment": {"indirect"}},
			status:    200, resp: listJSON(membershipWithUserJSON, `"om_alice"`),
			want: &authz.Page[authz.OrganizationMembership]{Data: []authz.OrganizationMembership{membershipWant}, After: "om_alice"},
		},
		{
			name: "memberships for a resource by external ID, zero assignment sends direct",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				r := authz.ExternalResource("project", "web").InOrganization("org_acme")
				return c.ListMembershipsForResourcePage(ctx, r, "project:edit", "", authz.ListOptions{})
			},
			wantMethod: "GET", wantPath: "/authorization/organizations/org_acme/resources/project/web/organization_memberships",
			wantQuery: url.Values{"permission_slug": {"project:edit"}, "assignment": {"direct"}},
			status:    200, resp: listJSON(membershipWithUserJSON, "null"),
			want: &authz.Page[authz.OrganizationMembership]{Data: []authz.OrganizationMembership{membershipWant}},
		},
		{
			name: "effective permissions by ID use the documented path",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.EffectivePermissionsPage(ctx, "om_alice", authz.ResourceID("authz_resource_web"), authz.ListOptions{})
			},
			wantMethod: "GET", wantPath: "/authorization/organization_memberships/om_alice/resources/authz_resource_web/permissions",
			status: 200, resp: listJSON(permissionJSON, "null"),
			want: &authz.Page[authz.Permission]{Data: []authz.Permission{permissionWant}},
		},
		{
			name: "effective permissions by external ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.EffectivePermissionsPage(ctx, "om_alice", authz.ExternalResource("project", "web 1"), authz.ListOptions{Order: authz.OrderAsc})
			},
			wantMethod: "GET", wantPath: "/authorization/organization_memberships/om_alice/resources/project/web%201/permissions",
			wantQuery: url.Values{"order": {"asc"}},
			status:    200, resp: listJSON(permissionJSON, "null"),
			want: &authz.Page[authz.Permission]{Data: []authz.Permission{permissionWant}},
		},
	})
}

func TestDiscoveryIterators(t *testing.T) {
	t.Parallel()
	// Two pages of one permission each, then the end.
	c, s := newAPI(t, func(r recorded) (int, string) {
		if r.Query.Get("after") == "" {
			return 200, listJSON(permissionJSON, `"perm_01HXYZ"`)
		}
		return 200, listJSON(permissionJSON, "null")
	})
	perms, err := collect(c.EffectivePermissions(t.Context(), "om_alice", authz.ResourceID("authz_resource_web"), authz.ListOptions{}))
	if err != nil || len(perms) != 2 {
		t.Fatalf("got %d permissions, %v; want 2, nil", len(perms), err)
	}
	reqs := s.requests()
	if len(reqs) != 2 || reqs[1].Query.Get("after") != "perm_01HXYZ" || reqs[1].Query.Get("limit") != "100" {
		t.Errorf("requests %+v, want 2 with the second after=perm_01HXYZ limit=100", reqs)
	}

	c2, s2 := newAPI(t, func(recorded) (int, string) { return 200, listJSON(membershipWithUserJSON, "null") })
	ms, err := collect(c2.ListMembershipsForResource(t.Context(), authz.ResourceID("authz_resource_web"), "project:edit", authz.AssignmentDirect, authz.ListOptions{}))
	if err != nil || len(ms) != 1 || ms[0].ID != "om_alice" {
		t.Errorf("got %v, %v; want om_alice", ms, err)
	}
	c3, s3 := newAPI(t, func(recorded) (int, string) { return 200, listJSON(resourceJSON, "null") })
	rs, err := collect(c3.ListResourcesForMembership(t.Context(), "om_alice", "project:edit", authz.ResourceID("authz_resource_eng"), authz.ListOptions{}))
	if err != nil || len(rs) != 1 {
		t.Errorf("got %v, %v; want one resource", rs, err)
	}
	if len(s2.requests()) != 1 || len(s3.requests()) != 1 {
		t.Errorf("made %d and %d requests, want 1 and 1", len(s2.requests()), len(s3.requests()))
	}
}

func TestDiscoveryErrors(t *testing.T) {
	t.Parallel()
	runAPIErrors(t, []apiErrorCase{
		{
			name: "unknown membership",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := collect(c.EffectivePermissions(ctx, "om_nobody", authz.ResourceID("authz_resource_web"), authz.ListOptions{}))
				return err
			},
			status: http.StatusNotFound, resp: `{"message":"Organization membership not found."}`,
			sentinel: authz.ErrNotFound, wantMsg: "Organization membership not found.",
		},
		{
			name: "bad parent",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.ListResourcesForMembershipPage(ctx, "om_alice", "project:edit", authz.ResourceID("authz_resource_eng"), authz.ListOptions{})
				return err
			},
			status: http.StatusBadRequest, resp: `{"code":"bad_request","message":"Request could not be processed."}`,
			sentinel: authz.ErrBadRequest, wantCode: "bad_request", wantMsg: "Request could not be processed.",
		},
		{
			name: "validation",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.ListMembershipsForResourcePage(ctx, authz.ResourceID("authz_resource_web"), "nope", authz.AssignmentDirect, authz.ListOptions{})
				return err
			},
			status: http.StatusUnprocessableEntity, resp: `{"message":"Validation failed."}`,
			sentinel: authz.ErrValidation, wantMsg: "Validation failed.",
		},
	})
}

func TestDiscoveryInputValidation(t *testing.T) {
	t.Parallel()
	runInvalid(t, []invalidCase{
		{"resources: empty membership", func(ctx context.Context, c *authz.Client) error {
			_, err := c.ListResourcesForMembershipPage(ctx, "", "p", authz.ResourceID("authz_resource_1"), authz.ListOptions{})
			return err
		}},
		{"resources: empty permission", func(ctx context.Context, c *authz.Client) error {
			_, err := collect(c.ListResourcesForMembership(ctx, "om_1", "", authz.ResourceID("authz_resource_1"), authz.ListOptions{}))
			return err
		}},
		{"resources: no parent", func(ctx context.Context, c *authz.Client) error {
			_, err := c.ListResourcesForMembershipPage(ctx, "om_1", "p", authz.ResourceRef{}, authz.ListOptions{})
			return err
		}},
		{"memberships: external reference without organization", func(ctx context.Context, c *authz.Client) error {
			_, err := c.ListMembershipsForResourcePage(ctx, authz.ExternalResource("project", "web"), "p", authz.AssignmentDirect, authz.ListOptions{})
			return err
		}},
		{"memberships: unknown assignment", func(ctx context.Context, c *authz.Client) error {
			_, err := collect(c.ListMembershipsForResource(ctx, authz.ResourceID("authz_resource_1"), "p", "all", authz.ListOptions{}))
			return err
		}},
		{"memberships: empty permission", func(ctx context.Context, c *authz.Client) error {
			_, err := c.ListMembershipsForResourcePage(ctx, authz.ResourceID("authz_resource_1"), "", authz.AssignmentDirect, authz.ListOptions{})
			return err
		}},
		{"effective permissions: membership '..'", func(ctx context.Context, c *authz.Client) error {
			_, err := c.EffectivePermissionsPage(ctx, "..", authz.ResourceID("authz_resource_1"), authz.ListOptions{})
			return err
		}},
		{"effective permissions: zero resource", func(ctx context.Context, c *authz.Client) error {
			_, err := collect(c.EffectivePermissions(ctx, "om_1", authz.ResourceRef{}, authz.ListOptions{}))
			return err
		}},
	})
}

func TestDiscoveryAgainstFake(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	ctx := t.Context()

	// Alice administers Engineering: she may edit its project, not Sales'.
	for _, tc := range []struct {
		name   string
		parent authz.ResourceRef
		want   []string
	}{
		{"engineering by ID", authz.ResourceID(a.eng), []string{"web"}},
		{"engineering by external ID", authz.ExternalResource("workspace", "eng"), []string{"web"}},
		{"sales", authz.ResourceID(a.sales), nil},
	} {
		var got []string
		for r, err := range a.c.ListResourcesForMembership(ctx, "om_alice", "project:edit", tc.parent, authz.ListOptions{}) {
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got = append(got, r.ExternalID)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}

	// Who may edit Web: Alice, through her role on Engineering (indirect).
	who := func(r authz.ResourceRef, permission string, as authz.Assignment) []string {
		t.Helper()
		var ids []string
		for m, err := range a.c.ListMembershipsForResource(ctx, r, permission, as, authz.ListOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			if m.User == nil || m.User.ID != m.UserID {
				t.Errorf("membership %s without its user: %+v", m.ID, m.User)
			}
			ids = append(ids, m.ID)
		}
		return ids
	}
	if diff := cmp.Diff([]string{"om_alice"}, who(authz.ResourceID(a.web), "project:edit", authz.AssignmentIndirect)); diff != "" {
		t.Errorf("indirect editors of web (-want +got):\n%s", diff)
	}
	if got := who(authz.ExternalResource("project", "web").InOrganization("org_acme"), "project:edit", authz.AssignmentDirect); len(got) != 0 {
		t.Errorf("direct editors of web: %v, want none", got)
	}
	if diff := cmp.Diff([]string{"om_alice"}, who(authz.ExternalResource("workspace", "eng").InOrganization("org_acme"), "workspace:view", authz.AssignmentDirect)); diff != "" {
		t.Errorf("direct viewers of eng (-want +got):\n%s", diff)
	}

	perms := func(r authz.ResourceRef) []string {
		t.Helper()
		var slugs []string
		for p, err := range a.c.EffectivePermissions(ctx, "om_alice", r, authz.ListOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			slugs = append(slugs, p.Slug)
		}
		sort.Strings(slugs)
		return slugs
	}
	want := []string{"project:edit", "project:view"}
	if diff := cmp.Diff(want, perms(authz.ResourceID(a.web))); diff != "" {
		t.Errorf("alice on web by ID (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, perms(authz.ExternalResource("project", "web"))); diff != "" {
		t.Errorf("alice on web by external ID (-want +got):\n%s", diff)
	}
	if got := perms(authz.ResourceID(a.crm)); len(got) != 0 {
		t.Errorf("alice on crm: %v, want none", got)
	}
	_, err := a.c.EffectivePermissionsPage(ctx, "om_alice", authz.ResourceID("authz_resource_missing"), authz.ListOptions{})
	wantStatus(t, err, http.StatusNotFound)
}
