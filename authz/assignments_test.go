package authz_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/fgakit/fgakit/authz"
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
			_, err := c.AssignRole(ctx, "om_alice", "viewer", authz.Resource{})
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
			return c.RemoveRole(ctx, "om_alice", "viewer", authz.Resource{ID: "authz_resource_1", ExternalID: "eng", TypeSlug: "workspace"})
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
