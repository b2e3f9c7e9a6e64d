package authz_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fgakit/fgakit/authz"
)

// groupRoleAssignmentJSON is a group role assignment as WIRE §1.7 shows it.
const groupRoleAssignmentJSON = `{
  "object": "group_role_assignment",
  "id": "gra_01HXYZ",
  "group_id": "group_01HXYZ",
  "role": {"slug": "editor"},
  "resource": {"id": "authz_resource_eng", "external_id": "eng", "resource_type_slug": "workspace"},
  "created_at": "2026-01-15T12:00:00.000Z",
  "updated_at": "2026-01-15T12:00:00.000Z"
}`

var groupRoleAssignmentWant = authz.GroupRoleAssignment{
	Object: "group_role_assignment", ID: "gra_01HXYZ", GroupID: "group_01HXYZ",
	Role:      authz.RoleRef{Slug: "editor"},
	Resource:  authz.AssignedResource{ID: "authz_resource_eng", ExternalID: "eng", ResourceTypeSlug: "workspace"},
	CreatedAt: t0, UpdatedAt: t0,
}

func TestGroupRoleAssignments(t *testing.T) {
	t.Parallel()
	runExchanges(t, []exchange{
		{
			name: "list a page",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListGroupRoleAssignmentsPage(ctx, "group_01HXYZ", authz.ListOptions{Limit: 1})
			},
			wantMethod: "GET", wantPath: "/authorization/groups/group_01HXYZ/role_assignments",
			wantQuery: map[string][]string{"limit": {"1"}},
			status:    200, resp: listJSON(groupRoleAssignmentJSON, `"gra_01HXYZ"`),
			want: &authz.Page[authz.GroupRoleAssignment]{Data: []authz.GroupRoleAssignment{groupRoleAssignmentWant}, After: "gra_01HXYZ"},
		},
		{
			name: "assign on a resource by external ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.AssignGroupRole(ctx, "group_01HXYZ", "editor", authz.ExternalResource("workspace", "eng"))
			},
			wantMethod: "POST", wantPath: "/authorization/groups/group_01HXYZ/role_assignments",
			wantBody:       `{"role_slug":"editor","resource_external_id":"eng","resource_type_slug":"workspace"}`,
			wantIdempotent: true,
			status:         201, resp: groupRoleAssignmentJSON, want: &groupRoleAssignmentWant,
		},
		{
			name: "assign on the organization sends no resource",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.AssignGroupRole(ctx, "group_01HXYZ", "editor", authz.ResourceRef{})
			},
			wantMethod: "POST", wantPath: "/authorization/groups/group_01HXYZ/role_assignments",
			wantBody:       `{"role_slug":"editor"}`,
			wantIdempotent: true,
			status:         201, resp: groupRoleAssignmentJSON, want: &groupRoleAssignmentWant,
		},
		{
			name: "replace all",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ReplaceGroupRoleAssignments(ctx, "group_01HXYZ", []authz.GroupRole{
					{RoleSlug: "editor", Resource: authz.ResourceID("authz_resource_eng")},
					{RoleSlug: "member"},
				})
			},
			wantMethod: "PUT", wantPath: "/authorization/groups/group_01HXYZ/role_assignments",
			wantBody: `{"role_assignments":[{"role_slug":"editor","resource_id":"authz_resource_eng"},{"role_slug":"member"}]}`,
			status:   200, resp: listJSON(groupRoleAssignmentJSON, "null"),
			want: []authz.GroupRoleAssignment{groupRoleAssignmentWant},
		},
		{
			name: "replace with nothing clears",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ReplaceGroupRoleAssignments(ctx, "group_01HXYZ", nil)
			},
			wantMethod: "PUT", wantPath: "/authorization/groups/group_01HXYZ/role_assignments",
			wantBody: `{"role_assignments":[]}`,
			status:   200, resp: `{"object":"list","data":[]}`,
			want: []authz.GroupRoleAssignment{},
		},
		{
			name: "remove by role and resource sends a JSON body",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.RemoveGroupRole(ctx, "group_01HXYZ", "editor", authz.ResourceID("authz_resource_eng"))
			},
			wantMethod: "DELETE", wantPath: "/authorization/groups/group_01HXYZ/role_assignments",
			wantBody: `{"role_slug":"editor","resource_id":"authz_resource_eng"}`,
			status:   204,
		},
		{
			name: "get by ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.GetGroupRoleAssignment(ctx, "group_01HXYZ", "gra_01HXYZ")
			},
			wantMethod: "GET", wantPath: "/authorization/groups/group_01HXYZ/role_assignments/gra_01HXYZ",
			status: 200, resp: groupRoleAssignmentJSON, want: &groupRoleAssignmentWant,
		},
		{
			name: "remove by ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.RemoveGroupRoleAssignment(ctx, "group_01HXYZ", "gra_01HXYZ")
			},
			wantMethod: "DELETE", wantPath: "/authorization/groups/group_01HXYZ/role_assignments/gra_01HXYZ",
			status: 204,
		},
	})
}

func TestGroupRoleAssignmentIterator(t *testing.T) {
	t.Parallel()
	c, s := newAPI(t, func(r recorded) (int, string) {
		if r.Query.Get("after") == "" {
			return 200, listJSON(groupRoleAssignmentJSON, `"gra_01HXYZ"`)
		}
		return 200, listJSON(groupRoleAssignmentJSON, "null")
	})
	got, err := collect(c.ListGroupRoleAssignments(t.Context(), "group_01HXYZ", authz.ListOptions{}))
	if err != nil || len(got) != 2 || len(s.requests()) != 2 {
		t.Errorf("got %d items, %v, %d requests; want 2, nil, 2", len(got), err, len(s.requests()))
	}
}

func TestGroupErrors(t *testing.T) {
	t.Parallel()
	runAPIErrors(t, []apiErrorCase{
		{
			name: "duplicate assignment",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.AssignGroupRole(ctx, "group_01HXYZ", "editor", authz.ResourceID("authz_resource_eng"))
				return err
			},
			status: http.StatusConflict, resp: `{"code":"duplicate_group_role_assignment","message":"The group already has this role."}`,
			sentinel: authz.ErrConflict, wantCode: "duplicate_group_role_assignment", wantMsg: "The group already has this role.",
		},
		{
			name: "remove when nothing matches",
			call: func(ctx context.Context, c *authz.Client) error {
				return c.RemoveGroupRole(ctx, "group_01HXYZ", "editor", authz.ResourceRef{})
			},
			status: http.StatusNotFound, resp: `{"message":"Group role assignment not found."}`,
			sentinel: authz.ErrNotFound, wantMsg: "Group role assignment not found.",
		},
		{
			name: "replace with an unknown role",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.ReplaceGroupRoleAssignments(ctx, "group_01HXYZ", []authz.GroupRole{{RoleSlug: "nope"}})
				return err
			},
			status: http.StatusUnprocessableEntity, resp: `{"message":"Validation failed."}`,
			sentinel: authz.ErrValidation, wantMsg: "Validation failed.",
		},
	})
}

func TestGroupInputValidation(t *testing.T) {
	t.Parallel()
	tooMany := make([]authz.GroupRole, authz.MaxGroupRoleAssignments+1)
	for i := range tooMany {
		tooMany[i] = authz.GroupRole{RoleSlug: fmt.Sprintf("r%d", i)}
	}
	runInvalid(t, []invalidCase{
		{"replace with 101 entries", func(ctx context.Context, c *authz.Client) error {
			_, err := c.ReplaceGroupRoleAssignments(ctx, "group_1", tooMany)
			return err
		}},
		{"replace with an entry without role", func(ctx context.Context, c *authz.Client) error {
			_, err := c.ReplaceGroupRoleAssignments(ctx, "group_1", []authz.GroupRole{{RoleSlug: "a"}, {Resource: authz.ResourceID("authz_resource_1")}})
			return err
		}},
		{"assign to empty group", func(ctx context.Context, c *authz.Client) error {
			_, err := c.AssignGroupRole(ctx, "", "editor", authz.ResourceRef{})
			return err
		}},
		{"assign with a half external reference", func(ctx context.Context, c *authz.Client) error {
			_, err := c.AssignGroupRole(ctx, "group_1", "editor", authz.ResourceRef{ResourceTypeSlug: "workspace"})
			return err
		}},
		{"remove without role", func(ctx context.Context, c *authz.Client) error {
			return c.RemoveGroupRole(ctx, "group_1", "", authz.ResourceRef{})
		}},
		{"get with empty ID", func(ctx context.Context, c *authz.Client) error {
			_, err := c.GetGroupRoleAssignment(ctx, "group_1", "")
			return err
		}},
		{"remove by ID '..'", func(ctx context.Context, c *authz.Client) error {
			return c.RemoveGroupRoleAssignment(ctx, "group_1", "..")
		}},
	})
	// Exactly 100 entries is allowed.
	c, s := newAPI(t, func(recorded) (int, string) { return 200, `{"object":"list","data":[]}` })
	if _, err := c.ReplaceGroupRoleAssignments(t.Context(), "group_1", tooMany[:100]); err != nil {
		t.Errorf("100 entries: %v", err)
	}
	if len(s.requests()) != 1 {
		t.Errorf("100 entries made %d requests, want 1", len(s.requests()))
	}
	// The entry index is named in the error.
	_, err := c.ReplaceGroupRoleAssignments(t.Context(), "group_1", []authz.GroupRole{{RoleSlug: "a"}, {}})
	if !errors.Is(err, authz.ErrInvalidInput) || !strings.Contains(err.Error(), "roles[1]") {
		t.Errorf("error %v, want ErrInvalidInput naming roles[1]", err)
	}
}

func TestGroupsAgainstFake(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	ctx := t.Context()
	group := a.f.AddGroup("", "org_acme", "Reviewers")
	a.f.AddGroupMember(group, "om_bob")

	gra, err := a.c.AssignGroupRole(ctx, group, "project-viewer", authz.ExternalResource("project", "crm"))
	if err != nil {
		t.Fatal(err)
	}
	if gra.GroupID != group || gra.Role.Slug != "project-viewer" || gra.Resource.ID != a.crm {
		t.Errorf("assigned %+v", gra)
	}
	_, err = a.c.AssignGroupRole(ctx, group, "project-viewer", authz.ResourceID(a.crm))
	wantStatus(t, err, http.StatusConflict)

	// Bob holds the role through the group.
	page, err := a.c.ListRoleAssignmentsPage(ctx, "om_bob", authz.ListRoleAssignmentsOptions{ResourceID: a.crm})
	if err != nil || len(page.Data) != 1 || page.Data[0].Source != (authz.AssignmentSource{Type: authz.SourceTypeGroup, GroupRoleAssignmentID: gra.ID}) {
		t.Fatalf("bob's assignments on crm: %+v, %v", page, err)
	}

	if got, err := a.c.GetGroupRoleAssignment(ctx, group, gra.ID); err != nil || got.ID != gra.ID {
		t.Errorf("get: %+v, %v", got, err)
	}
	all, err := a.c.ReplaceGroupRoleAssignments(ctx, group, []authz.GroupRole{
		{RoleSlug: "project-viewer", Resource: authz.ResourceID(a.web)},
		{RoleSlug: "member"},
	})
	if err != nil || len(all) != 2 {
		t.Fatalf("replace: %+v, %v", all, err)
	}
	var listed []string
	for g, err := range a.c.ListGroupRoleAssignments(ctx, group, authz.ListOptions{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, g.Role.Slug+"@"+g.Resource.ResourceTypeSlug)
	}
	if diff := cmp.Diff([]string{"member@organization", "project-viewer@project"}, sorted(listed)); diff != "" {
		t.Errorf("group roles (-want +got):\n%s", diff)
	}

	if err := a.c.RemoveGroupRole(ctx, group, "member", authz.ResourceRef{}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, a.c.RemoveGroupRole(ctx, group, "member", authz.ResourceRef{}), http.StatusNotFound)
	rest, err := a.c.ListGroupRoleAssignmentsPage(ctx, group, authz.ListOptions{})
	if err != nil || len(rest.Data) != 1 {
		t.Fatalf("after removal: %+v, %v", rest, err)
	}
	if err := a.c.RemoveGroupRoleAssignment(ctx, group, rest.Data[0].ID); err != nil {
		t.Fatal(err)
	}
	_, err = a.c.GetGroupRoleAssignment(ctx, group, rest.Data[0].ID)
	wantStatus(t, err, http.StatusNotFound)
	page, err = a.c.ListRoleAssignmentsPage(ctx, "om_bob", authz.ListRoleAssignmentsOptions{ResourceTypeSlug: "project"})
	if err != nil || len(page.Data) != 0 {
		t.Errorf("bob's project roles after the group lost them: %+v, %v", page, err)
	}
}
