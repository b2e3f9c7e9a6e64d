package authz_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/cache"
)

// roleAssignmentJSON is a role assignment as WIRE §1.6 shows it.
const roleAssignmentJSON = `{
  "object": "role_assignment",
  "id": "role_assignment_01HXYZ",
  "organization_membership_id": "om_alice",
  "role": {"slug": "workspace-admin"},
  "resource": {"id": "authz_resource_eng", "external_id": "eng", "resource_type_slug": "workspace"},
  "source": {"type": "direct", "group_role_assignment_id": null},
  "created_at": "2026-01-15T12:00:00.000Z",
  "updated_at": "2026-01-15T12:00:00.000Z"
}`

var roleAssignmentWant = authz.RoleAssignment{
	Object: "role_assignment", ID: "role_assignment_01HXYZ", OrganizationMembershipID: "om_alice",
	Role:      authz.RoleRef{Slug: "workspace-admin"},
	Resource:  authz.AssignedResource{ID: "authz_resource_eng", ExternalID: "eng", ResourceTypeSlug: "workspace"},
	Source:    authz.AssignmentSource{Type: authz.SourceTypeDirect},
	CreatedAt: t0, UpdatedAt: t0,
}

const groupSourcedAssignmentJSON = `{
  "object": "role_assignment",
  "id": "role_assignment_02",
  "organization_membership_id": "om_alice",
  "role": {"slug": "viewer"},
  "resource": {"id": "authz_resource_web", "external_id": "web", "resource_type_slug": "project"},
  "source": {"type": "group", "group_role_assignment_id": "gra_01"},
  "created_at": "2026-01-15T12:00:00.000Z",
  "updated_at": "2026-01-15T12:00:00.000Z"
}`

var groupSourcedAssignmentWant = authz.RoleAssignment{
	Object: "role_assignment", ID: "role_assignment_02", OrganizationMembershipID: "om_alice",
	Role:      authz.RoleRef{Slug: "viewer"},
	Resource:  authz.AssignedResource{ID: "authz_resource_web", ExternalID: "web", ResourceTypeSlug: "project"},
	Source:    authz.AssignmentSource{Type: authz.SourceTypeGroup, GroupRoleAssignmentID: "gra_01"},
	CreatedAt: t0, UpdatedAt: t0,
}

func TestRoleAssignments(t *testing.T) {
	t.Parallel()
	runExchanges(t, []exchange{
		{
			name: "assign by resource ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.AssignRole(ctx, "om_alice", "workspace-admin", authz.ResourceID("authz_resource_eng"))
			},
			wantMethod: "POST", wantPath: "/authorization/organization_memberships/om_alice/role_assignments",
			wantBody:       `{"role_slug":"workspace-admin","resource_id":"authz_resource_eng"}`,
			wantIdempotent: true,
			status:         201, resp: roleAssignmentJSON, want: &roleAssignmentWant,
		},
		{
			name: "assign by external ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.AssignRole(ctx, "om_alice", "workspace-admin", authz.ExternalResource("workspace", "eng"))
			},
			wantMethod: "POST", wantPath: "/authorization/organization_memberships/om_alice/role_assignments",
			wantBody:       `{"role_slug":"workspace-admin","resource_external_id":"eng","resource_type_slug":"workspace"}`,
			wantIdempotent: true,
			status:         201, resp: roleAssignmentJSON, want: &roleAssignmentWant,
		},
		{
			name: "remove by role and resource sends a JSON body",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.RemoveRole(ctx, "om_alice", "workspace-admin", authz.ExternalResource("workspace", "eng"))
			},
			wantMethod: "DELETE", wantPath: "/authorization/organization_memberships/om_alice/role_assignments",
			wantBody: `{"role_slug":"workspace-admin","resource_external_id":"eng","resource_type_slug":"workspace"}`,
			status:   204,
		},
		{
			name: "remove by ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.RemoveRoleAssignment(ctx, "om_alice", "role_assignment_01HXYZ")
			},
			wantMethod: "DELETE", wantPath: "/authorization/organization_memberships/om_alice/role_assignments/role_assignment_01HXYZ",
			status: 204,
		},
		{
			name: "list for a membership with filters",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListRoleAssignmentsPage(ctx, "om_alice", authz.ListRoleAssignmentsOptions{
					ResourceExternalID: "eng", ResourceTypeSlug: "workspace", ListOptions: authz.ListOptions{Limit: 2},
				})
			},
			wantMethod: "GET", wantPath: "/authorization/organization_memberships/om_alice/role_assignments",
			wantQuery: url.Values{"resource_external_id": {"eng"}, "resource_type_slug": {"workspace"}, "limit": {"2"}},
			status:    200, resp: listJSON(roleAssignmentJSON+","+groupSourcedAssignmentJSON, `"role_assignment_02"`),
			want: &authz.Page[authz.RoleAssignment]{Data: []authz.RoleAssignment{roleAssignmentWant, groupSourcedAssignmentWant}, After: "role_assignment_02"},
		},
		{
			name: "list for a resource by ID with a role filter",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListResourceRoleAssignmentsPage(ctx, authz.ResourceID("authz_resource_eng"), authz.ListResourceRoleAssignmentsOptions{RoleSlug: "workspace-admin"})
			},
			wantMethod: "GET", wantPath: "/authorization/resources/authz_resource_eng/role_assignments",
			wantQuery: url.Values{"role_slug": {"workspace-admin"}},
			status:    200, resp: listJSON(roleAssignmentJSON, "null"),
			want: &authz.Page[authz.RoleAssignment]{Data: []authz.RoleAssignment{roleAssignmentWant}},
		},
		{
			name: "list for a resource by external ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				r := authz.ExternalResource("workspace", "eng").InOrganization("org_acme")
				return c.ListResourceRoleAssignmentsPage(ctx, r, authz.ListResourceRoleAssignmentsOptions{})
			},
			wantMethod: "GET", wantPath: "/authorization/organizations/org_acme/resources/workspace/eng/role_assignments",
			status: 200, resp: listJSON(roleAssignmentJSON, "null"),
			want: &authz.Page[authz.RoleAssignment]{Data: []authz.RoleAssignment{roleAssignmentWant}},
		},
	})
}

func TestRoleAssignmentIterators(t *testing.T) {
	t.Parallel()
	c, s := newAPI(t, func(r recorded) (int, string) {
		if r.Query.Get("after") == "" {
			return 200, listJSON(roleAssignmentJSON, `"role_assignment_01HXYZ"`)
		}
		return 200, listJSON(groupSourcedAssignmentJSON, "null")
	})
	got, err := collect(c.ListRoleAssignments(t.Context(), "om_alice", authz.ListRoleAssignmentsOptions{ResourceID: "authz_resource_eng"}))
	if err != nil || len(got) != 2 || got[1].Source.GroupRoleAssignmentID != "gra_01" {
		t.Fatalf("got %+v, %v; want both assignments", got, err)
	}
	got, err = collect(c.ListResourceRoleAssignments(t.Context(), authz.ResourceID("authz_resource_eng"), authz.ListResourceRoleAssignmentsOptions{}))
	if err != nil || len(got) != 2 {
		t.Fatalf("got %+v, %v; want both assignments", got, err)
	}
	reqs := s.requests()
	if len(reqs) != 4 || reqs[0].Query.Get("resource_id") != "authz_resource_eng" || reqs[1].Query.Get("resource_id") != "authz_resource_eng" {
		t.Errorf("requests %+v: want 4, the filter kept on every page", reqs)
	}
}

func TestRoleAssignmentErrors(t *testing.T) {
	t.Parallel()
	runAPIErrors(t, []apiErrorCase{
		{
			name: "assign a role of another resource type",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.AssignRole(ctx, "om_alice", "project-admin", authz.ResourceID("authz_resource_eng"))
				return err
			},
			status: http.StatusUnprocessableEntity, resp: `{"code":"invalid_role_for_resource_type","message":"Role is scoped to another resource type."}`,
			sentinel: authz.ErrValidation, wantCode: "invalid_role_for_resource_type", wantMsg: "Role is scoped to another resource type.",
		},
		{
			name: "remove from an unknown membership",
			call: func(ctx context.Context, c *authz.Client) error {
				return c.RemoveRole(ctx, "om_nobody", "viewer", authz.ResourceID("authz_resource_eng"))
			},
			status: http.StatusNotFound, resp: `{"message":"Organization membership not found."}`,
			sentinel: authz.ErrNotFound, wantMsg: "Organization membership not found.",
		},
		{
			name: "remove an unknown assignment",
			call: func(ctx context.Context, c *authz.Client) error {
				return c.RemoveRoleAssignment(ctx, "om_alice", "role_assignment_gone")
			},
			status: http.StatusNotFound, resp: `{"message":"Role assignment not found."}`,
			sentinel: authz.ErrNotFound, wantMsg: "Role assignment not found.",
		},
		{
			name: "list forbidden",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.ListRoleAssignmentsPage(ctx, "om_alice", authz.ListRoleAssignmentsOptions{})
				return err
			},
			status: http.StatusForbidden, resp: `{"message":"Forbidden."}`,
			sentinel: authz.ErrForbidden, wantMsg: "Forbidden.",
		},
	})
}

func TestRoleAssignmentInputValidation(t *testing.T) {
	t.Parallel()
	runInvalid(t, []invalidCase{
		{"assign without target", func(ctx context.Context, c *authz.Client) error {
			_, err := c.AssignRole(ctx, "om_alice", "viewer", authz.ResourceRef{})
			return err
		}},
		{"assign without role", func(ctx context.Context, c *authz.Client) error {
			_, err := c.AssignRole(ctx, "om_alice", "", authz.ResourceID("authz_resource_1"))
			return err
		}},
		{"assign to an empty membership", func(ctx context.Context, c *authz.Client) error {
			_, err := c.AssignRole(ctx, "", "viewer", authz.ResourceID("authz_resource_1"))
			return err
		}},
		{"remove with both target forms", func(ctx context.Context, c *authz.Client) error {
			return c.RemoveRole(ctx, "om_alice", "viewer", authz.ResourceRef{ID: "authz_resource_1", ExternalID: "eng", ResourceTypeSlug: "workspace"})
		}},
		{"remove by empty ID", func(ctx context.Context, c *authz.Client) error {
			return c.RemoveRoleAssignment(ctx, "om_alice", "")
		}},
		{"list for a resource by external ID without organization", func(ctx context.Context, c *authz.Client) error {
			_, err := collect(c.ListResourceRoleAssignments(ctx, authz.ExternalResource("workspace", "eng"), authz.ListResourceRoleAssignmentsOptions{}))
			return err
		}},
		{"list for membership '.'", func(ctx context.Context, c *authz.Client) error {
			_, err := c.ListRoleAssignmentsPage(ctx, ".", authz.ListRoleAssignmentsOptions{})
			return err
		}},
	})
}

// spyCache records the invalidation hooks the Client calls.
type spyCache struct {
	mu     sync.Mutex
	events []string
}

func (s *spyCache) Get(cache.Key) (bool, bool) { return false, false }
func (s *spyCache) Add(cache.Key, bool)        {}
func (s *spyCache) ForgetMembership(om string) { s.record("forget " + om) }
func (s *spyCache) Purge()                     { s.record("purge") }

func (s *spyCache) record(e string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

func (s *spyCache) recorded() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

// TestManagementCallsInvalidateCache: a change to who may do what forgets
// the cached decisions it can affect — those of the membership for its own
// role assignments, all of them for resource deletes and moves, role and
// permission changes and group roles — even when the call fails (it may
// have been applied), and reads forget nothing.
func TestManagementCallsInvalidateCache(t *testing.T) {
	t.Parallel()
	eng := authz.ResourceID("authz_resource_eng")
	forgetAlice, purge := []string{"forget om_alice"}, []string{"purge"}
	for _, tc := range []struct {
		name   string
		call   func(ctx context.Context, c *authz.Client) error
		status int
		resp   string
		want   []string
	}{
		{"assign", func(ctx context.Context, c *authz.Client) error {
			_, err := c.AssignRole(ctx, "om_alice", "viewer", eng)
			return err
		}, 201, roleAssignmentJSON, forgetAlice},
		{"assign that fails", func(ctx context.Context, c *authz.Client) error {
			_, err := c.AssignRole(ctx, "om_alice", "viewer", eng)
			return err
		}, 500, `{"message":"Internal error."}`, forgetAlice},
		{"remove role", func(ctx context.Context, c *authz.Client) error {
			return c.RemoveRole(ctx, "om_alice", "viewer", eng)
		}, 204, "", forgetAlice},
		{"remove assignment", func(ctx context.Context, c *authz.Client) error {
			return c.RemoveRoleAssignment(ctx, "om_alice", "role_assignment_1")
		}, 204, "", forgetAlice},
		{"delete resource", func(ctx context.Context, c *authz.Client) error {
			return c.DeleteResource(ctx, authz.ResourceID("authz_resource_eng"), authz.DeleteResourceOptions{Cascade: true})
		}, 204, "", purge},
		{"delete resource by external ID", func(ctx context.Context, c *authz.Client) error {
			return c.DeleteResource(ctx, authz.ExternalResource("workspace", "eng").InOrganization("org_acme"), authz.DeleteResourceOptions{})
		}, 204, "", purge},
		{"move resource", func(ctx context.Context, c *authz.Client) error {
			_, err := c.UpdateResource(ctx, authz.ResourceID("authz_resource_web"), authz.UpdateResourceParams{Parent: &eng})
			return err
		}, 200, resourceJSON, purge},
		{"rename resource", func(ctx context.Context, c *authz.Client) error {
			_, err := c.UpdateResource(ctx, authz.ResourceID("authz_resource_web"), authz.UpdateResourceParams{Name: ptr("Web")})
			return err
		}, 200, resourceJSON, nil},
		{"set role permissions", func(ctx context.Context, c *authz.Client) error {
			_, err := c.SetEnvironmentRolePermissions(ctx, "viewer", []string{"project:view"})
			return err
		}, 200, envRoleJSON, purge},
		{"add role permission", func(ctx context.Context, c *authz.Client) error {
			_, err := c.AddOrganizationRolePermission(ctx, "org_acme", "org-auditor", "users:read")
			return err
		}, 200, orgRoleJSON, purge},
		{"remove role permission", func(ctx context.Context, c *authz.Client) error {
			_, err := c.RemoveOrganizationRolePermission(ctx, "org_acme", "org-auditor", "users:read")
			return err
		}, 200, orgRoleJSON, purge},
		{"delete role", func(ctx context.Context, c *authz.Client) error {
			return c.DeleteOrganizationRole(ctx, "org_acme", "org-auditor")
		}, 204, "", purge},
		{"delete permission", func(ctx context.Context, c *authz.Client) error {
			return c.DeletePermission(ctx, "project:edit")
		}, 204, "", purge},
		{"assign group role", func(ctx context.Context, c *authz.Client) error {
			_, err := c.AssignGroupRole(ctx, "group_1", "editor", eng)
			return err
		}, 201, groupRoleAssignmentJSON, purge},
		{"replace group roles", func(ctx context.Context, c *authz.Client) error {
			_, err := c.ReplaceGroupRoleAssignments(ctx, "group_1", nil)
			return err
		}, 200, `{"object":"list","data":[]}`, purge},
		{"remove group role", func(ctx context.Context, c *authz.Client) error {
			return c.RemoveGroupRole(ctx, "group_1", "editor", eng)
		}, 204, "", purge},
		{"remove group role assignment", func(ctx context.Context, c *authz.Client) error {
			return c.RemoveGroupRoleAssignment(ctx, "group_1", "gra_1")
		}, 204, "", purge},
		{"read", func(ctx context.Context, c *authz.Client) error {
			_, err := c.GetResource(ctx, authz.ResourceID("authz_resource_eng"))
			return err
		}, 200, resourceJSON, nil},
		{"invalid input makes no call and forgets nothing", func(ctx context.Context, c *authz.Client) error {
			_, err := c.AssignRole(ctx, "om_alice", "", eng)
			if errors.Is(err, authz.ErrInvalidInput) {
				return nil
			}
			return err
		}, 500, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spy := &spyCache{}
			c, _ := newAPIWith(t, func(recorded) (int, string) { return tc.status, tc.resp },
				authz.WithRetry(authz.RetryPolicy{}), authz.WithCache(spy))
			err := tc.call(t.Context(), c)
			if (err != nil) != (tc.status >= 400 && tc.resp != "") {
				t.Errorf("call error %v with status %d", err, tc.status)
			}
			if diff := cmp.Diff(tc.want, spy.recorded()); diff != "" {
				t.Errorf("invalidations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAssignmentsAgainstFake(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	ctx := t.Context()

	ra, err := a.c.AssignRole(ctx, "om_bob", "project-viewer", authz.ExternalResource("project", "crm"))
	if err != nil {
		t.Fatal(err)
	}
	if ra.Role.Slug != "project-viewer" || ra.Resource.ID != a.crm || ra.Resource.ExternalID != "crm" ||
		ra.OrganizationMembershipID != "om_bob" || ra.Source.Type != authz.SourceTypeDirect {
		t.Errorf("assignment %+v", ra)
	}
	// A workspace role cannot go on a project.
	_, err = a.c.AssignRole(ctx, "om_bob", "workspace-admin", authz.ResourceID(a.crm))
	wantStatus(t, err, http.StatusUnprocessableEntity)

	var onCRM []string
	for ra, err := range a.c.ListResourceRoleAssignments(ctx, authz.ExternalResource("project", "crm").InOrganization("org_acme"), authz.ListResourceRoleAssignmentsOptions{RoleSlug: "project-viewer"}) {
		if err != nil {
			t.Fatal(err)
		}
		onCRM = append(onCRM, ra.OrganizationMembershipID)
	}
	if diff := cmp.Diff([]string{"om_bob"}, onCRM); diff != "" {
		t.Errorf("assignments on crm (-want +got):\n%s", diff)
	}
	page, err := a.c.ListRoleAssignmentsPage(ctx, "om_bob", authz.ListRoleAssignmentsOptions{ResourceID: a.crm})
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != ra.ID {
		t.Fatalf("bob's assignments on crm: %+v, %v", page, err)
	}

	if err := a.c.RemoveRole(ctx, "om_bob", "project-viewer", authz.ResourceID(a.crm)); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, a.c.RemoveRoleAssignment(ctx, "om_bob", ra.ID), http.StatusNotFound)

	ra2, err := a.c.AssignRole(ctx, "om_bob", "project-viewer", authz.ResourceID(a.web))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.c.RemoveRoleAssignment(ctx, "om_bob", ra2.ID); err != nil {
		t.Fatal(err)
	}
	page, err = a.c.ListRoleAssignmentsPage(ctx, "om_bob", authz.ListRoleAssignmentsOptions{ResourceTypeSlug: "project"})
	if err != nil || len(page.Data) != 0 {
		t.Errorf("bob's project assignments after removal: %+v, %v", page, err)
	}
	_, err = a.c.ListRoleAssignmentsPage(ctx, "om_nobody", authz.ListRoleAssignmentsOptions{})
	wantStatus(t, err, http.StatusNotFound)
}

// Giving a role changes the very next answer; the assignment can be listed
// and taken back.
func ExampleClient_AssignRole() {
	f, err := authztest.NewServer("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	f.AddResourceType("project", "organization")
	f.AddPermission("project:edit", "project")
	f.AddRole("member", "organization")
	f.AddRole("project-editor", "project", "project:edit")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_bob", "user_bob", "org_acme", "member")
	f.AddResource(authztest.Resource{ExternalID: "web", ResourceTypeSlug: "project", OrganizationID: "org_acme"})
	client := f.Client()
	defer client.Close()

	ctx := context.Background()
	web := authz.ExternalResource("project", "web")
	ra, err := client.AssignRole(ctx, "om_bob", "project-editor", web)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ra.Role.Slug, "on", ra.Resource.ExternalID, "source", ra.Source.Type)
	for p, err := range client.EffectivePermissions(ctx, "om_bob", web, authz.ListOptions{}) {
		fmt.Println("bob may:", p.Slug, err)
	}
	if err := client.RemoveRoleAssignment(ctx, "om_bob", ra.ID); err != nil {
		fmt.Println(err)
		return
	}
	n := 0
	for _, err := range client.EffectivePermissions(ctx, "om_bob", web, authz.ListOptions{}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		n++
	}
	fmt.Println("after removal:", n, "permissions")
	// Output:
	// project-editor on web source direct
	// bob may: project:edit <nil>
	// after removal: 0 permissions
}
