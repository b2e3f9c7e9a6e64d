package authz_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fgakit/fgakit/authz"
)

func TestPermissions(t *testing.T) {
	t.Parallel()
	systemJSON := `{"object":"permission","id":"perm_sys","slug":"users:read","name":"Read users","description":"Built in",
		"system":true,"resource_type_slug":"organization","created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`
	systemWant := authz.Permission{
		Object: "permission", ID: "perm_sys", Slug: "users:read", Name: "Read users", Description: "Built in",
		System: true, ResourceTypeSlug: "organization", CreatedAt: t0, UpdatedAt: t0,
	}
	runExchanges(t, []exchange{
		{
			name: "list a page",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListPermissionsPage(ctx, authz.ListOptions{Limit: 2, After: "perm_0"})
			},
			wantMethod: "GET", wantPath: "/authorization/permissions",
			wantQuery: url.Values{"limit": {"2"}, "after": {"perm_0"}},
			status:    200,
			resp:      `{"object":"list","data":[` + permissionJSON + `,` + systemJSON + `],"list_metadata":{"before":"perm_01HXYZ","after":"perm_sys"}}`,
			want:      &authz.Page[authz.Permission]{Data: []authz.Permission{permissionWant, systemWant}, Before: "perm_01HXYZ", After: "perm_sys"},
		},
		{
			name: "create",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.CreatePermission(ctx, authz.CreatePermissionParams{Slug: "project:edit", Name: "Edit projects", ResourceTypeSlug: "project"})
			},
			wantMethod: "POST", wantPath: "/authorization/permissions",
			wantBody:       `{"slug":"project:edit","name":"Edit projects","resource_type_slug":"project"}`,
			wantIdempotent: true,
			status:         201, resp: permissionJSON, want: &permissionWant,
		},
		{
			name: "create with a description, no type",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.CreatePermission(ctx, authz.CreatePermissionParams{Slug: "users:read", Name: "Read users", Description: "Built in"})
			},
			wantMethod: "POST", wantPath: "/authorization/permissions",
			wantBody:       `{"slug":"users:read","name":"Read users","description":"Built in"}`,
			wantIdempotent: true,
			status:         201, resp: systemJSON, want: &systemWant,
		},
		{
			name: "get keeps ':' literal",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.GetPermission(ctx, "project:edit")
			},
			wantMethod: "GET", wantPath: "/authorization/permissions/project:edit",
			status: 200, resp: permissionJSON, want: &permissionWant,
		},
		{
			name: "get escapes '*' wildcards and slashes safely",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.GetPermission(ctx, "project:*/x")
			},
			wantMethod: "GET", wantPath: "/authorization/permissions/project:%2A%2Fx",
			status: 200, resp: permissionJSON, want: &permissionWant,
		},
		{
			name: "update",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.UpdatePermission(ctx, "project:edit", authz.UpdatePermissionParams{Name: ptr("Edit")})
			},
			wantMethod: "PATCH", wantPath: "/authorization/permissions/project:edit",
			wantBody: `{"name":"Edit"}`,
			status:   200, resp: permissionJSON, want: &permissionWant,
		},
		{
			name: "delete",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.DeletePermission(ctx, "project:edit")
			},
			wantMethod: "DELETE", wantPath: "/authorization/permissions/project:edit",
			status: 204,
		},
	})
}

func TestPermissionErrors(t *testing.T) {
	t.Parallel()
	runAPIErrors(t, []apiErrorCase{
		{
			name: "slug conflict",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.CreatePermission(ctx, authz.CreatePermissionParams{Slug: "project:edit", Name: "Edit"})
				return err
			},
			status: http.StatusConflict, resp: `{"code":"permission_slug_conflict","message":"A permission with this slug already exists."}`,
			sentinel: authz.ErrConflict, wantCode: "permission_slug_conflict", wantMsg: "A permission with this slug already exists.",
		},
		{
			name: "unknown permission",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.GetPermission(ctx, "nope")
				return err
			},
			status: http.StatusNotFound, resp: `{"message":"Permission not found."}`,
			sentinel: authz.ErrNotFound, wantMsg: "Permission not found.",
		},
		{
			name: "system permission cannot be deleted",
			call: func(ctx context.Context, c *authz.Client) error {
				return c.DeletePermission(ctx, "users:read")
			},
			status: http.StatusForbidden, resp: `{"message":"System permissions cannot be deleted."}`,
			sentinel: authz.ErrForbidden, wantMsg: "System permissions cannot be deleted.",
		},
		{
			name: "invalid update",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.UpdatePermission(ctx, "project:edit", authz.UpdatePermissionParams{Name: ptr("")})
				return err
			},
			status: http.StatusUnprocessableEntity, resp: `{"message":"Validation failed."}`,
			sentinel: authz.ErrValidation, wantMsg: "Validation failed.",
		},
	})
}

func TestPermissionInputValidation(t *testing.T) {
	t.Parallel()
	runInvalid(t, []invalidCase{
		{"create without slug", func(ctx context.Context, c *authz.Client) error {
			_, err := c.CreatePermission(ctx, authz.CreatePermissionParams{Name: "X"})
			return err
		}},
		{"create without name", func(ctx context.Context, c *authz.Client) error {
			_, err := c.CreatePermission(ctx, authz.CreatePermissionParams{Slug: "x"})
			return err
		}},
		{"get empty slug", func(ctx context.Context, c *authz.Client) error {
			_, err := c.GetPermission(ctx, "")
			return err
		}},
		{"delete '..'", func(ctx context.Context, c *authz.Client) error {
			return c.DeletePermission(ctx, "..")
		}},
	})
}

func TestPermissionsAgainstFake(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	ctx := t.Context()

	p, err := a.c.CreatePermission(ctx, authz.CreatePermissionParams{Slug: "project:delete", Name: "Delete projects", ResourceTypeSlug: "project"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Slug != "project:delete" || p.ResourceTypeSlug != "project" || p.System {
		t.Errorf("created %+v", p)
	}
	_, err = a.c.CreatePermission(ctx, authz.CreatePermissionParams{Slug: "project:delete", Name: "Again"})
	wantStatus(t, err, http.StatusConflict)
	if p, err = a.c.UpdatePermission(ctx, "project:delete", authz.UpdatePermissionParams{Description: authz.Value("Gone for good")}); err != nil || p.Description != "Gone for good" {
		t.Errorf("update: %+v, %v", p, err)
	}
	if p, err = a.c.GetPermission(ctx, "project:delete"); err != nil || p.Name != "Delete projects" {
		t.Errorf("get: %+v, %v", p, err)
	}

	var slugs []string
	for p, err := range a.c.ListPermissions(ctx, authz.ListOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		slugs = append(slugs, p.Slug)
	}
	if diff := cmp.Diff([]string{"project:delete", "project:edit", "project:view", "workspace:view"}, sorted(slugs)); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}

	if err := a.c.DeletePermission(ctx, "project:delete"); err != nil {
		t.Fatal(err)
	}
	_, err = a.c.GetPermission(ctx, "project:delete")
	wantStatus(t, err, http.StatusNotFound)
}
