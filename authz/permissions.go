package authz

import (
	"context"
	"iter"
	"time"
)

// Permission is a permission of the environment (object "permission").
type Permission struct {
	Object string `json:"object"`
	ID     string `json:"id"`
	// Slug is the permission's name in checks, e.g. "project:edit".
	Slug string `json:"slug"`
	Name string `json:"name"`
	// Description is empty when the API answers null.
	Description string `json:"description"`
	// System permissions are managed by WorkOS and cannot be deleted.
	System           bool      `json:"system"`
	ResourceTypeSlug string    `json:"resource_type_slug"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// CreatePermissionParams are the fields of a new permission.
type CreatePermissionParams struct {
	// Slug (required): lowercase letters, digits and - _ : . *, at most 48
	// characters, unique in the environment; it cannot change later.
	Slug string `json:"slug"`
	// Name (required) is at most 48 characters.
	Name string `json:"name"`
	// Description is optional, at most 150 characters.
	Description string `json:"description,omitempty"`
	// ResourceTypeSlug scopes the permission to a resource type; it cannot
	// change later. Empty leaves the choice to the API.
	ResourceTypeSlug string `json:"resource_type_slug,omitempty"`
}

// UpdatePermissionParams are the fields to change; nil and unset fields stay
// as they are.
type UpdatePermissionParams struct {
	Name *string `json:"name,omitempty"`
	// Description is set with [Value] or cleared with [Null].
	Description Nullable[string] `json:"description,omitzero"`
}

func permissionPath(slug string) (string, error) {
	return buildPath("/authorization/permissions/", "permission slug", slug)
}

// ListPermissionsPage returns one page of the environment's permissions:
// GET /authorization/permissions. Documented errors: 404.
func (c *Client) ListPermissionsPage(ctx context.Context, opts ListOptions) (*Page[Permission], error) {
	return listPage[Permission](ctx, c, "/authorization/permissions", nil, nil, opts)
}

// ListPermissions iterates over every permission of the environment; see
// [Client.ListPermissionsPage]. An error is yielded once and ends the
// iteration.
func (c *Client) ListPermissions(ctx context.Context, opts ListOptions) iter.Seq2[Permission, error] {
	return listAll[Permission](ctx, c, "/authorization/permissions", nil, nil, opts)
}

// CreatePermission creates a permission: POST /authorization/permissions,
// 201, with an Idempotency-Key. Documented errors: 400, 404, 409
// permission_slug_conflict, 422.
func (c *Client) CreatePermission(ctx context.Context, p CreatePermissionParams) (*Permission, error) {
	if p.Slug == "" {
		return nil, badArg("CreatePermissionParams.Slug", "is required")
	}
	if p.Name == "" {
		return nil, badArg("CreatePermissionParams.Name", "is required")
	}
	return call[Permission](ctx, c, request{method: "POST", path: "/authorization/permissions", body: p, idempotent: true}, nil)
}

// GetPermission returns the permission with the given slug: GET
// /authorization/permissions/{slug}. Documented errors: 404.
func (c *Client) GetPermission(ctx context.Context, slug string) (*Permission, error) {
	path, err := permissionPath(slug)
	if err != nil {
		return nil, err
	}
	return call[Permission](ctx, c, request{method: "GET", path: path}, nil)
}

// UpdatePermission changes a permission's name or description: PATCH
// /authorization/permissions/{slug}. Documented errors: 403, 404, 422.
func (c *Client) UpdatePermission(ctx context.Context, slug string, p UpdatePermissionParams) (*Permission, error) {
	path, err := permissionPath(slug)
	if err != nil {
		return nil, err
	}
	return call[Permission](ctx, c, request{method: "PATCH", path: path, body: p}, nil)
}

// DeletePermission deletes a permission: DELETE
// /authorization/permissions/{slug}, 204. System permissions cannot be
// deleted. Documented errors: 403, 404.
func (c *Client) DeletePermission(ctx context.Context, slug string) error {
	path, err := permissionPath(slug)
	if err != nil {
		return err
	}
	// Roles that contained the permission no longer grant it.
	return c.mutate(ctx, request{method: "DELETE", path: path}, nil, c.invalidateAll)
}
