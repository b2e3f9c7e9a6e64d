package authz_test

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fgakit/fgakit/authz"
)

// envRoleJSON is an environment role as WIRE §1.4 shows it.
const envRoleJSON = `{
  "object": "role",
  "id": "role_01HXYZ",
  "slug": "workspace-admin",
  "name": "Workspace admin",
  "description": null,
  "type": "EnvironmentRole",
  "resource_type_slug": "workspace",
  "permissions": ["workspace:view", "project:edit"],
  "created_at": "2026-01-15T12:00:00.000Z",
  "updated_at": "2026-01-15T12:00:00.000Z"
}`

var envRoleWant = authz.Role{
	Object: "role", ID: "role_01HXYZ", Slug: "workspace-admin", Name: "Workspace admin",
	Type: authz.RoleTypeEnvironment, ResourceTypeSlug: "workspace",
	Permissions: []string{"workspace:view", "project:edit"}, CreatedAt: t0, UpdatedAt: t0,
}

const orgRoleJSON = `{
  "object": "role",
  "id": "role_02",
  "slug": "org-auditor",
  "name": "Auditor",
  "description": "Reads everything",
  "type": "OrganizationRole",
  "resource_type_slug": "organization",
  "permissions": [],
  "created_at": "2026-01-15T12:00:00.000Z",
  "updated_at": "2026-01-15T12:00:00.000Z"
}`

var orgRoleWant = authz.Role{
	Object: "role", ID: "role_02", Slug: "org-auditor", Name: "Auditor", Description: "Reads everything",
	Type: authz.RoleTypeOrganization, ResourceTypeSlug: "organization",
	Permissions: []string{}, CreatedAt: t0, UpdatedAt: t0,
}

func TestEnvironmentRoles(t *testing.T) {
	t.Parallel()
	runExchanges(t, []exchange{
		{
			name: "create",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.CreateEnvironmentRole(ctx, authz.CreateEnvironmentRoleParams{Slug: "workspace-admin", Name: "Workspace admin", ResourceTypeSlug: "workspace"})
			},
			wantMethod: "POST", wantPath: "/authorization/roles",
			wantBody:       `{"slug":"workspace-admin","name":"Workspace admin","resource_type_slug":"workspace"}`,
			wantIdempotent: true,
			status:         201, resp: envRoleJSON, want: &envRoleWant,
		},
		{
			name: "list is not paginated",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListEnvironmentRoles(ctx)
			},
			wantMethod: "GET", wantPath: "/authorization/roles",
			status: 200, resp: `{"object":"list","data":[` + envRoleJSON + `]}`,
			want: []authz.Role{envRoleWant},
		},
		{
			name: "get",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.GetEnvironmentRole(ctx, "workspace-admin")
			},
			wantMethod: "GET", wantPath: "/authorization/roles/workspace-admin",
			status: 200, resp: envRoleJSON, want: &envRoleWant,
		},
		{
			name: "update",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.UpdateEnvironmentRole(ctx, "workspace-admin", authz.UpdateRoleParams{Name: ptr("Admin"), Description: authz.Value("All of it")})
			},
			wantMethod: "PATCH", wantPath: "/authorization/roles/workspace-admin",
			wantBody: `{"name":"Admin","description":"All of it"}`,
			status:   200, resp: envRoleJSON, want: &envRoleWant,
		},
		{
			name: "set permissions",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.SetEnvironmentRolePermissions(ctx, "workspace-admin", []string{"workspace:view", "project:edit"})
			},
			wantMethod: "PUT", wantPath: "/authorization/roles/workspace-admin/permissions",
			wantBody: `{"permissions":["workspace:view","project:edit"]}`,
			status:   200, resp: envRoleJSON, want: &envRoleWant,
		},
		{
			name: "set no permissions sends an empty list",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.SetEnvironmentRolePermissions(ctx, "workspace-admin", nil)
			},
			wantMethod: "PUT", wantPath: "/authorization/roles/workspace-admin/permissions",
			wantBody: `{"permissions":[]}`,
			status:   200, resp: envRoleJSON, want: &envRoleWant,
		},
		{
			name: "add a permission",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.AddEnvironmentRolePermission(ctx, "workspace-admin", "project:edit")
			},
			wantMethod: "POST", wantPath: "/authorization/roles/workspace-admin/permissions",
			wantBody:       `{"slug":"project:edit"}`,
			wantIdempotent: true,
			status:         200, resp: envRoleJSON, want: &envRoleWant,
		},
	})
}

func TestOrganizationRoles(t *testing.T) {
	t.Parallel()
	runExchanges(t, []exchange{
		{
			name: "create with a generated slug",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.CreateOrganizationRole(ctx, "org_acme", authz.CreateOrganizationRoleParams{Name: "Auditor", Description: "Reads everything"})
			},
			wantMethod: "POST", wantPath: "/authorization/organizations/org_acme/roles",
			wantBody:       `{"name":"Auditor","description":"Reads everything"}`,
			wantIdempotent: true,
			status:         201, resp: orgRoleJSON, want: &orgRoleWant,
		},
		{
			name: "list holds environment and custom roles",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListOrganizationRoles(ctx, "org_acme")
			},
			wantMethod: "GET", wantPath: "/authorization/organizations/org_acme/roles",
			status: 200, resp: `{"object":"list","data":[` + orgRoleJSON + `,` + envRoleJSON + `]}`,
			want: []authz.Role{orgRoleWant, envRoleWant},
		},
		{
			name: "get",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.GetOrganizationRole(ctx, "org_acme", "org-auditor")
			},
			wantMethod: "GET", wantPath: "/authorization/organizations/org_acme/roles/org-auditor",
			status: 200, resp: orgRoleJSON, want: &orgRoleWant,
		},
		{
			name: "update",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.UpdateOrganizationRole(ctx, "org_acme", "org-auditor", authz.UpdateRoleParams{Description: authz.Value("Reads everything")})
			},
			wantMethod: "PATCH", wantPath: "/authorization/organizations/org_acme/roles/org-auditor",
			wantBody: `{"description":"Reads everything"}`,
			status:   200, resp: orgRoleJSON, want: &orgRoleWant,
		},
		{
			name: "delete",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.DeleteOrganizationRole(ctx, "org_acme", "org-auditor")
			},
			wantMethod: "DELETE", wantPath: "/authorization/organizations/org_acme/roles/org-auditor",
			status: 204,
		},
		{
			name: "set permissions",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.SetOrganizationRolePermissions(ctx, "org_acme", "org-auditor", []string{"users:read"})
			},
			wantMethod: "PUT", wantPath: "/authorization/organizations/org_acme/roles/org-auditor/permissions",
			wantBody: `{"permissions":["users:read"]}`,
			status:   200, resp: orgRoleJSON, want: &orgRoleWant,
		},
		{
			name: "add a permission",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.AddOrganizationRolePermission(ctx, "org_acme", "org-auditor", "users:read")
			},
			wantMethod: "POST", wantPath: "/authorization/organizations/org_acme/roles/org-auditor/permissions",
			wantBody:       `{"slug":"users:read"}`,
			wantIdempotent: true,
			status:         200, resp: orgRoleJSON, want: &orgRoleWant,
		},
		{
			name: "remove a permission keeps ':' literal",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.RemoveOrganizationRolePermission(ctx, "org_acme", "org-auditor", "users:read")
			},
			wantMethod: "DELETE", wantPath: "/authorization/organizations/org_acme/roles/org-auditor/permissions/users:read",
			status: 200, resp: orgRoleJSON, want: &orgRoleWant,
		},
	})
}

func TestRoleErrors(t *testing.T) {
	t.Parallel()
	runAPIErrors(t, []apiErrorCase{
		{
			name: "environment role slug conflict",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.CreateEnvironmentRole(ctx, authz.CreateEnvironmentRoleParams{Slug: "member", Name: "Member"})
				return err
			},
			status: http.StatusConflict, resp: `{"code":"role_slug_conflict","message":"A role with this slug already exists."}`,
			sentinel: authz.ErrConflict, wantCode: "role_slug_conflict", wantMsg: "A role with this slug already exists.",
		},
		{
			name: "organization role slug conflict",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.CreateOrganizationRole(ctx, "org_acme", authz.CreateOrganizationRoleParams{Name: "Auditor", Slug: "org-auditor"})
				return err
			},
			status: http.StatusConflict, resp: `{"code":"organization_role_slug_conflict","message":"A role with this slug already exists."}`,
			sentinel: authz.ErrConflict, wantCode: "organization_role_slug_conflict", wantMsg: "A role with this slug already exists.",
		},
		{
			name: "delete a role with assignments",
			call: func(ctx context.Context, c *authz.Client) error {
				return c.DeleteOrganizationRole(ctx, "org_acme", "org-auditor")
			},
			status: http.StatusConflict, resp: `{"code":"role_has_assignments","message":"The role has assignments."}`,
			sentinel: authz.ErrConflict, wantCode: "role_has_assignments", wantMsg: "The role has assignments.",
		},
		{
			name: "unknown environment role",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.GetEnvironmentRole(ctx, "nope")
				return err
			},
			status: http.StatusNotFound, resp: `{"message":"Role not found."}`,
			sentinel: authz.ErrNotFound, wantMsg: "Role not found.",
		},
		{
			name: "set an unknown permission",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.SetOrganizationRolePermissions(ctx, "org_acme", "org-auditor", []string{"nope"})
				return err
			},
			status: http.StatusUnprocessableEntity, resp: `{"message":"Validation failed."}`,
			sentinel: authz.ErrValidation, wantMsg: "Validation failed.",
		},
		{
			name: "list organization roles of an unknown organization",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.ListOrganizationRoles(ctx, "org_nope")
				return err
			},
			status: http.StatusNotFound, resp: `{"message":"Organization not found."}`,
			sentinel: authz.ErrNotFound, wantMsg: "Organization not found.",
		},
	})
}

// The SDK ignores the body of a permission removal: an answer without one
// is a success.
func TestRemoveRolePermissionWithoutBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   *authz.Role
	}{
		{"204", 204, "", nil},
		{"empty 200", 200, "", nil},
		{"200 with the role", 200, orgRoleJSON, &orgRoleWant},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newAPI(t, func(recorded) (int, string) { return tc.status, tc.body })
			got, err := c.RemoveOrganizationRolePermission(t.Context(), "org_acme", "org-auditor", "users:read")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("role (-want +got):\n%s", diff)
			}
		})
	}
	c, _ := newAPI(t, func(recorded) (int, string) { return 200, `{"slug":` })
	if _, err := c.RemoveOrganizationRolePermission(t.Context(), "org_acme", "org-auditor", "users:read"); !errors.Is(err, authz.ErrMalformedResponse) {
		t.Errorf("truncated body: error %v, want ErrMalformedResponse", err)
	}
}

func TestRoleMalformedList(t *testing.T) {
	t.Parallel()
	c, _ := newAPI(t, func(recorded) (int, string) { return 200, `{"object":"list"}` })
	if _, err := c.ListEnvironmentRoles(t.Context()); err == nil {
		t.Error("a role list without data was accepted")
	}
}

func TestRoleInputValidation(t *testing.T) {
	t.Parallel()
	runInvalid(t, []invalidCase{
		{"create environment role without slug", func(ctx context.Context, c *authz.Client) error {
			_, err := c.CreateEnvironmentRole(ctx, authz.CreateEnvironmentRoleParams{Name: "X"})
			return err
		}},
		{"create environment role without name", func(ctx context.Context, c *authz.Client) error {
			_, err := c.CreateEnvironmentRole(ctx, authz.CreateEnvironmentRoleParams{Slug: "x"})
			return err
		}},
		{"create organization role without name", func(ctx context.Context, c *authz.Client) error {
			_, err := c.CreateOrganizationRole(ctx, "org_acme", authz.CreateOrganizationRoleParams{Slug: "org-x"})
			return err
		}},
		{"create organization role without organization", func(ctx context.Context, c *authz.Client) error {
			_, err := c.CreateOrganizationRole(ctx, "", authz.CreateOrganizationRoleParams{Name: "X"})
			return err
		}},
		{"get role '..'", func(ctx context.Context, c *authz.Client) error {
			_, err := c.GetEnvironmentRole(ctx, "..")
			return err
		}},
		{"set permissions with an empty slug", func(ctx context.Context, c *authz.Client) error {
			_, err := c.SetEnvironmentRolePermissions(ctx, "admin", []string{"a", ""})
			return err
		}},
		{"add an empty permission", func(ctx context.Context, c *authz.Client) error {
			_, err := c.AddOrganizationRolePermission(ctx, "org_acme", "org-x", "")
			return err
		}},
		{"remove an empty permission", func(ctx context.Context, c *authz.Client) error {
			_, err := c.RemoveOrganizationRolePermission(ctx, "org_acme", "org-x", "")
			return err
		}},
		{"delete role of empty organization", func(ctx context.Context, c *authz.Client) error {
			return c.DeleteOrganizationRole(ctx, "", "org-x")
		}},
		{"list roles of organization '.'", func(ctx context.Context, c *authz.Client) error {
			_, err := c.ListOrganizationRoles(ctx, ".")
			return err
		}},
	})
}

func TestRolesAgainstFake(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	ctx := t.Context()

	// Environment roles: create, read, rename, change permissions.
	r, err := a.c.CreateEnvironmentRole(ctx, authz.CreateEnvironmentRoleParams{Slug: "project-editor", Name: "Project editor", ResourceTypeSlug: "project"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != authz.RoleTypeEnvironment || r.ResourceTypeSlug != "project" || len(r.Permissions) != 0 {
		t.Errorf("created %+v", r)
	}
	_, err = a.c.CreateEnvironmentRole(ctx, authz.CreateEnvironmentRoleParams{Slug: "project-editor", Name: "Again", ResourceTypeSlug: "project"})
	wantStatus(t, err, http.StatusConflict)
	if r, err = a.c.SetEnvironmentRolePermissions(ctx, "project-editor", []string{"project:view"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"project:view"}, r.Permissions); diff != "" {
		t.Errorf("permissions after set (-want +got):\n%s", diff)
	}
	if r, err = a.c.AddEnvironmentRolePermission(ctx, "project-editor", "project:edit"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"project:edit", "project:view"}, sorted(r.Permissions)); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}
	if r, err = a.c.UpdateEnvironmentRole(ctx, "project-editor", authz.UpdateRoleParams{Description: authz.Value("Edits projects")}); err != nil || r.Description != "Edits projects" {
		t.Errorf("update: %+v, %v", r, err)
	}
	if r, err = a.c.GetEnvironmentRole(ctx, "project-editor"); err != nil || r.Name != "Project editor" {
		t.Errorf("get: %+v, %v", r, err)
	}
	roles, err := a.c.ListEnvironmentRoles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !hasRole(roles, "project-editor") || !hasRole(roles, "workspace-admin") {
		t.Errorf("environment roles %v lack project-editor or workspace-admin", roles)
	}
	_, err = a.c.GetEnvironmentRole(ctx, "nope")
	wantStatus(t, err, http.StatusNotFound)

	// A custom role of Acme, with a generated slug.
	o, err := a.c.CreateOrganizationRole(ctx, "org_acme", authz.CreateOrganizationRoleParams{Name: "Auditor", ResourceTypeSlug: "organization"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Type != authz.RoleTypeOrganization || len(o.Slug) < 4 || o.Slug[:4] != "org-" {
		t.Errorf("created %+v, want an OrganizationRole with an org- slug", o)
	}
	if o, err = a.c.SetOrganizationRolePermissions(ctx, "org_acme", o.Slug, []string{"workspace:view"}); err != nil {
		t.Fatal(err)
	}
	if o, err = a.c.AddOrganizationRolePermission(ctx, "org_acme", o.Slug, "project:view"); err != nil {
		t.Fatal(err)
	}
	if o, err = a.c.RemoveOrganizationRolePermission(ctx, "org_acme", o.Slug, "workspace:view"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"project:view"}, o.Permissions); diff != "" {
		t.Errorf("custom role permissions (-want +got):\n%s", diff)
	}
	if o, err = a.c.UpdateOrganizationRole(ctx, "org_acme", o.Slug, authz.UpdateRoleParams{Name: ptr("Auditors")}); err != nil || o.Name != "Auditors" {
		t.Errorf("update: %+v, %v", o, err)
	}
	if got, err := a.c.GetOrganizationRole(ctx, "org_acme", o.Slug); err != nil || got.ID != o.ID {
		t.Errorf("get: %+v, %v", got, err)
	}
	orgRoles, err := a.c.ListOrganizationRoles(ctx, "org_acme")
	if err != nil || !hasRole(orgRoles, o.Slug) || !hasRole(orgRoles, "member") {
		t.Errorf("organization roles %v, %v: want the custom and the environment roles", orgRoles, err)
	}

	// A custom role still held cannot be deleted.
	if _, err := a.c.AssignRole(ctx, "om_bob", o.Slug, authz.ExternalResource("organization", "org_acme")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, a.c.DeleteOrganizationRole(ctx, "org_acme", o.Slug), http.StatusConflict)
	if err := a.c.RemoveRole(ctx, "om_bob", o.Slug, authz.ExternalResource("organization", "org_acme")); err != nil {
		t.Fatal(err)
	}
	if err := a.c.DeleteOrganizationRole(ctx, "org_acme", o.Slug); err != nil {
		t.Fatal(err)
	}
	_, err = a.c.GetOrganizationRole(ctx, "org_acme", o.Slug)
	wantStatus(t, err, http.StatusNotFound)
}

func hasRole(roles []authz.Role, slug string) bool {
	for _, r := range roles {
		if r.Slug == slug {
			return true
		}
	}
	return false
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}
