package authz

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// Role types of [Role.Type].
const (
	// RoleTypeEnvironment: a role of the environment, usable in every organization.
	RoleTypeEnvironment = "EnvironmentRole"
	// RoleTypeOrganization: a custom role of one organization.
	RoleTypeOrganization = "OrganizationRole"
)

// Role is an environment or organization role (object "role"). Lists come
// back in priority order.
type Role struct {
	Object string `json:"object"`
	ID     string `json:"id"`
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	// Description is empty when the API answers null.
	Description string `json:"description"`
	// Type is [RoleTypeEnvironment] or [RoleTypeOrganization].
	Type string `json:"type"`
	// ResourceTypeSlug is the resource type the role is scoped to.
	ResourceTypeSlug string `json:"resource_type_slug"`
	// Permissions are the slugs of the role's permissions.
	Permissions []string  `json:"permissions"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CreateEnvironmentRoleParams are the fields of a new environment role.
type CreateEnvironmentRoleParams struct {
	// Slug (required), at most 48 characters; it cannot change later.
	Slug string `json:"slug"`
	// Name (required).
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// ResourceTypeSlug scopes the role; empty leaves the choice to the API
	// (the organization).
	ResourceTypeSlug string `json:"resource_type_slug,omitempty"`
}

// CreateOrganizationRoleParams are the fields of a new organization (custom)
// role.
type CreateOrganizationRoleParams struct {
	// Name (required).
	Name string `json:"name"`
	// Slug, when set, must start with "org-" and contain only lowercase
	// letters, digits, - and _. Empty lets the API derive one from Name.
	Slug             string `json:"slug,omitempty"`
	Description      string `json:"description,omitempty"`
	ResourceTypeSlug string `json:"resource_type_slug,omitempty"`
}

// UpdateRoleParams are the fields of a role to change; nil and unset fields
// stay as they are.
type UpdateRoleParams struct {
	Name *string `json:"name,omitempty"`
	// Description is set with [Value] or cleared with [Null].
	Description Nullable[string] `json:"description,omitzero"`
}

// roleList is the body of the role lists, which are not paginated.
type roleList struct {
	Object string `json:"object"`
	Data   []Role `json:"data"`
}

// setPermissionsBody is the body of PUT …/permissions.
type setPermissionsBody struct {
	Permissions []string `json:"permissions"`
}

// addPermissionBody is the body of POST …/permissions.
type addPermissionBody struct {
	Slug string `json:"slug"`
}

func envRolePath(slug string, rest ...string) (string, error) {
	return buildPath(append([]string{"/authorization/roles/", "role slug", slug}, rest...)...)
}

func orgRolesPath(org string) (string, error) {
	return buildPath("/authorization/organizations/", "organization ID", org, "/roles")
}

func orgRolePath(org, slug string, rest ...string) (string, error) {
	return buildPath(append([]string{"/authorization/organizations/", "organization ID", org, "/roles/", "role slug", slug}, rest...)...)
}

// roleCall sends one request whose answer is a role. A path error is
// returned before any call. invalidate is nil for a read (see [call]).
func (c *Client) roleCall(ctx context.Context, path string, pathErr error, req request, invalidate func(context.Context)) (*Role, error) {
	if pathErr != nil {
		return nil, pathErr
	}
	req.path = path
	return call[Role](ctx, c, req, invalidate)
}

func (c *Client) listRoles(ctx context.Context, path string) ([]Role, error) {
	var out roleList
	if err := c.do(ctx, request{method: "GET", path: path}, &out); err != nil {
		return nil, err
	}
	if out.Data == nil {
		return nil, badResponse("role list without data")
	}
	return out.Data, nil
}

func checkPermissionSlugs(perms []string) error {
	for _, p := range perms {
		if p == "" {
			return badArg("permissions", "contains an empty slug")
		}
	}
	return nil
}

// CreateEnvironmentRole creates an environment role: POST
// /authorization/roles, 201, with an Idempotency-Key. Documented errors:
// 400, 403, 404, 409 role_slug_conflict, 422.
func (c *Client) CreateEnvironmentRole(ctx context.Context, p CreateEnvironmentRoleParams) (*Role, error) {
	if p.Slug == "" {
		return nil, badArg("CreateEnvironmentRoleParams.Slug", "is required")
	}
	if p.Name == "" {
		return nil, badArg("CreateEnvironmentRoleParams.Name", "is required")
	}
	return c.roleCall(ctx, "/authorization/roles", nil, request{method: "POST", body: p, idempotent: true}, nil)
}

// ListEnvironmentRoles returns every environment role in priority order:
// GET /authorization/roles. The list is not paginated. Documented errors: 403.
func (c *Client) ListEnvironmentRoles(ctx context.Context) ([]Role, error) {
	return c.listRoles(ctx, "/authorization/roles")
}

// GetEnvironmentRole returns the environment role with the given slug: GET
// /authorization/roles/{slug}. Documented errors: 403, 404.
func (c *Client) GetEnvironmentRole(ctx context.Context, slug string) (*Role, error) {
	path, err := envRolePath(slug)
	return c.roleCall(ctx, path, err, request{method: "GET"}, nil)
}

// UpdateEnvironmentRole changes an environment role's name or description:
// PATCH /authorization/roles/{slug}. Documented errors: 400, 403, 404, 422.
func (c *Client) UpdateEnvironmentRole(ctx context.Context, slug string, p UpdateRoleParams) (*Role, error) {
	path, err := envRolePath(slug)
	return c.roleCall(ctx, path, err, request{method: "PATCH", body: p}, nil)
}

// SetEnvironmentRolePermissions replaces all permissions of an environment
// role: PUT /authorization/roles/{slug}/permissions. An empty list removes
// every permission. The change applies at once to everyone holding the
// role. Documented errors: 400, 403, 404, 422.
func (c *Client) SetEnvironmentRolePermissions(ctx context.Context, slug string, permissions []string) (*Role, error) {
	path, err := envRolePath(slug, "/permissions")
	return c.setPermissions(ctx, path, err, permissions)
}

// AddEnvironmentRolePermission adds one permission to an environment role
// (nothing changes if it is already there): POST
// /authorization/roles/{slug}/permissions. Documented errors: 400, 403,
// 404, 422.
func (c *Client) AddEnvironmentRolePermission(ctx context.Context, slug, permission string) (*Role, error) {
	path, err := envRolePath(slug, "/permissions")
	return c.addPermission(ctx, path, err, permission)
}

func (c *Client) setPermissions(ctx context.Context, path string, pathErr error, permissions []string) (*Role, error) {
	if pathErr == nil {
		pathErr = checkPermissionSlugs(permissions)
	}
	if permissions == nil {
		permissions = []string{} // "permissions": [], never null
	}
	return c.roleCall(ctx, path, pathErr, request{method: "PUT", body: setPermissionsBody{permissions}}, c.invalidateAll)
}

func (c *Client) addPermission(ctx context.Context, path string, pathErr error, permission string) (*Role, error) {
	if pathErr == nil && permission == "" {
		pathErr = badArg("permission", "is empty")
	}
	return c.roleCall(ctx, path, pathErr, request{method: "POST", body: addPermissionBody{permission}, idempotent: true}, c.invalidateAll)
}

// CreateOrganizationRole creates a custom role of organization org: POST
// /authorization/organizations/{org}/roles, 201, with an Idempotency-Key.
// Documented errors: 400, 403, 404, 409 organization_role_slug_conflict, 422.
func (c *Client) CreateOrganizationRole(ctx context.Context, org string, p CreateOrganizationRoleParams) (*Role, error) {
	path, err := orgRolesPath(org)
	if err == nil && p.Name == "" {
		err = badArg("CreateOrganizationRoleParams.Name", "is required")
	}
	return c.roleCall(ctx, path, err, request{method: "POST", body: p, idempotent: true}, nil)
}

// ListOrganizationRoles returns the roles usable in organization org —
// environment and custom roles — in priority order: GET
// /authorization/organizations/{org}/roles. The list is not paginated.
// Documented errors: 403, 404.
func (c *Client) ListOrganizationRoles(ctx context.Context, org string) ([]Role, error) {
	path, err := orgRolesPath(org)
	if err != nil {
		return nil, err
	}
	return c.listRoles(ctx, path)
}

// GetOrganizationRole returns a role of organization org (custom or
// environment): GET /authorization/organizations/{org}/roles/{slug}.
// Documented errors: 403, 404.
func (c *Client) GetOrganizationRole(ctx context.Context, org, slug string) (*Role, error) {
	path, err := orgRolePath(org, slug)
	return c.roleCall(ctx, path, err, request{method: "GET"}, nil)
}

// UpdateOrganizationRole changes a custom role's name or description: PATCH
// /authorization/organizations/{org}/roles/{slug}. Documented errors: 400,
// 403, 404, 422.
func (c *Client) UpdateOrganizationRole(ctx context.Context, org, slug string, p UpdateRoleParams) (*Role, error) {
	path, err := orgRolePath(org, slug)
	return c.roleCall(ctx, path, err, request{method: "PATCH", body: p}, nil)
}

// DeleteOrganizationRole deletes a custom role: DELETE
// /authorization/organizations/{org}/roles/{slug}, 204. Documented errors:
// 400, 403, 404, 409 role_has_assignments or role_has_group_role_mappings.
// (The API cannot delete environment roles.)
func (c *Client) DeleteOrganizationRole(ctx context.Context, org, slug string) error {
	path, err := orgRolePath(org, slug)
	if err != nil {
		return err
	}
	return c.mutate(ctx, request{method: "DELETE", path: path}, nil, c.invalidateAll)
}

// SetOrganizationRolePermissions replaces all permissions of a custom role:
// PUT /authorization/organizations/{org}/roles/{slug}/permissions.
// Documented errors: 403, 404, 422.
func (c *Client) SetOrganizationRolePermissions(ctx context.Context, org, slug string, permissions []string) (*Role, error) {
	path, err := orgRolePath(org, slug, "/permissions")
	return c.setPermissions(ctx, path, err, permissions)
}

// AddOrganizationRolePermission adds one permission to a custom role: POST
// /authorization/organizations/{org}/roles/{slug}/permissions. Documented
// errors: 400, 403, 404, 422.
func (c *Client) AddOrganizationRolePermission(ctx context.Context, org, slug, permission string) (*Role, error) {
	path, err := orgRolePath(org, slug, "/permissions")
	return c.addPermission(ctx, path, err, permission)
}

// RemoveOrganizationRolePermission removes one permission from a custom
// role and returns the role: DELETE
// /authorization/organizations/{org}/roles/{slug}/permissions/{permission}.
// The API documents a 200 with the role; the official SDK ignores the
// body, so an answer without one (204, or an empty 200) is a success with a
// nil Role. Documented errors: 403, 404.
func (c *Client) RemoveOrganizationRolePermission(ctx context.Context, org, slug, permission string) (*Role, error) {
	path, err := orgRolePath(org, slug, "/permissions/", "permission slug", permission)
	if err != nil {
		return nil, err
	}
	var out maybeRole
	if err := c.mutate(ctx, request{method: "DELETE", path: path}, &out, c.invalidateAll); err != nil {
		return nil, err
	}
	return out.role, nil
}

// maybeRole decodes a role from a body the API may leave empty.
type maybeRole struct{ role *Role }

func (m *maybeRole) decodeBody(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var r Role
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	m.role = &r
	return nil
}
