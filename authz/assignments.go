package authz

import (
	"context"
	"iter"
	"net/url"
	"time"
)

// RoleAssignment is a role held by a membership on a resource (object
// "role_assignment").
type RoleAssignment struct {
	Object string `json:"object"`
	// ID is the assignment ID (role_assignment_…).
	ID                       string `json:"id"`
	OrganizationMembershipID string `json:"organization_membership_id"`
	// Role is the assigned role.
	Role RoleRef `json:"role"`
	// Resource is where the role is assigned.
	Resource AssignedResource `json:"resource"`
	// Source says whether the role was assigned directly or through a group.
	Source    AssignmentSource `json:"source"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// AssignedResource is the resource of a [RoleAssignment] or
// [GroupRoleAssignment].
type AssignedResource struct {
	// ID is the WorkOS resource ID (authz_resource_…).
	ID string `json:"id"`
	// ExternalID is your identifier of the resource.
	ExternalID string `json:"external_id"`
	// ResourceTypeSlug is the resource's type, e.g. "workspace".
	ResourceTypeSlug string `json:"resource_type_slug"`
}

// Ref returns a reference to the resource by its ID.
func (r AssignedResource) Ref() ResourceRef { return ResourceRef{ID: r.ID} }

// Assignment source types of [AssignmentSource.Type].
const (
	SourceTypeDirect = "direct"
	SourceTypeGroup  = "group"
)

// AssignmentSource says where a [RoleAssignment] comes from.
type AssignmentSource struct {
	// Type is [SourceTypeDirect] or [SourceTypeGroup].
	Type string `json:"type"`
	// GroupRoleAssignmentID is the group role assignment (gra_…) that
	// granted the role, empty for a direct assignment.
	GroupRoleAssignmentID string `json:"group_role_assignment_id"`
}

// ListRoleAssignmentsOptions filter [Client.ListRoleAssignments]; the zero
// value lists every assignment. Each filter may be used alone or with the
// others (ResourceTypeSlug alone keeps the assignments on every resource
// of that type), so they are the API's three query parameters rather than
// one [ResourceRef] reference.
type ListRoleAssignmentsOptions struct {
	// ResourceID keeps the assignments on the resource with this WorkOS ID
	// (resource_id).
	ResourceID string
	// ResourceExternalID keeps the assignments on resources with this
	// external ID (resource_external_id).
	ResourceExternalID string
	// ResourceTypeSlug keeps the assignments on resources of this type
	// (resource_type_slug).
	ResourceTypeSlug string
	ListOptions
}

// ListResourceRoleAssignmentsOptions filter
// [Client.ListResourceRoleAssignments].
type ListResourceRoleAssignmentsOptions struct {
	// RoleSlug keeps only assignments of this role.
	RoleSlug string
	ListOptions
}

// roleTargetBody is the body of an assign or remove: the role and its target.
type roleTargetBody struct {
	RoleSlug string `json:"role_slug"`
	resourceTarget
}

func membershipAssignmentsPath(om string) (string, error) {
	return buildPath("/authorization/organization_memberships/", "membership ID", om, "/role_assignments")
}

func roleTarget(roleSlug string, target ResourceRef, orgIfZero bool) (roleTargetBody, error) {
	if roleSlug == "" {
		return roleTargetBody{}, badArg("role slug", "is empty")
	}
	t, err := targetOf("target", target, orgIfZero)
	if err != nil {
		return roleTargetBody{}, err
	}
	return roleTargetBody{RoleSlug: roleSlug, resourceTarget: t}, nil
}

// AssignRole gives membership om the role roleSlug on the target resource
// (by ID, or by type and external ID in om's organization): POST
// /authorization/organization_memberships/{om}/role_assignments, 201, with
// an Idempotency-Key. The role must be scoped to the target's resource
// type. The next check sees the new role. Documented errors: 403, 404, 422.
//
// A target that names its organization ([ResourceRef.InOrganization]), by
// ID or by external ID, must name om's: otherwise AssignRole fails with
// [ErrOrganizationMismatch] and sends nothing (for an external ID the API
// would look it up in om's organization and assign the role on another
// resource). The first such call for om costs one GET of the membership;
// its organization is kept for the Client's life.
func (c *Client) AssignRole(ctx context.Context, om, roleSlug string, target ResourceRef) (*RoleAssignment, error) {
	path, err := membershipAssignmentsPath(om)
	if err != nil {
		return nil, err
	}
	body, err := roleTarget(roleSlug, target, false)
	if err != nil {
		return nil, err
	}
	if err := c.sameOrganization(ctx, om, target); err != nil {
		return nil, err
	}
	return call[RoleAssignment](ctx, c, request{method: "POST", path: path, body: body, idempotent: true}, c.forgetMembership(om))
}

// RemoveRole takes the role roleSlug on the target resource away from
// membership om: DELETE
// /authorization/organization_memberships/{om}/role_assignments with a JSON
// body, 204. What the role passed down to the subtree goes with it; direct
// assignments on descendants stay. Documented errors: 403, 404, 422. A
// target naming another organization than om's fails with
// [ErrOrganizationMismatch] before anything is sent, as for
// [Client.AssignRole].
func (c *Client) RemoveRole(ctx context.Context, om, roleSlug string, target ResourceRef) error {
	path, err := membershipAssignmentsPath(om)
	if err != nil {
		return err
	}
	body, err := roleTarget(roleSlug, target, false)
	if err != nil {
		return err
	}
	if err := c.sameOrganization(ctx, om, target); err != nil {
		return err
	}
	return c.mutate(ctx, request{method: "DELETE", path: path, body: body}, nil, c.forgetMembership(om))
}

// RemoveRoleAssignment deletes the role assignment assignmentID of
// membership om: DELETE
// /authorization/organization_memberships/{om}/role_assignments/{id}, 204.
// Documented errors: 403, 404.
func (c *Client) RemoveRoleAssignment(ctx context.Context, om, assignmentID string) error {
	path, err := buildPath("/authorization/organization_memberships/", "membership ID", om,
		"/role_assignments/", "role assignment ID", assignmentID)
	if err != nil {
		return err
	}
	return c.mutate(ctx, request{method: "DELETE", path: path}, nil, c.forgetMembership(om))
}

func (o ListRoleAssignmentsOptions) query() url.Values {
	q := url.Values{}
	setIf(q, "resource_id", o.ResourceID)
	setIf(q, "resource_external_id", o.ResourceExternalID)
	setIf(q, "resource_type_slug", o.ResourceTypeSlug)
	return q
}

// ListRoleAssignmentsPage returns one page of the role assignments of
// membership om, organization-level and resource-scoped: GET
// /authorization/organization_memberships/{om}/role_assignments.
// Documented errors: 403, 404.
func (c *Client) ListRoleAssignmentsPage(ctx context.Context, om string, opts ListRoleAssignmentsOptions) (*Page[RoleAssignment], error) {
	path, err := membershipAssignmentsPath(om)
	return listPage[RoleAssignment](ctx, c, path, err, opts.query(), opts.ListOptions)
}

// ListRoleAssignments iterates over every role assignment of membership om;
// see [Client.ListRoleAssignmentsPage]. An error is yielded once and ends
// the iteration.
func (c *Client) ListRoleAssignments(ctx context.Context, om string, opts ListRoleAssignmentsOptions) iter.Seq2[RoleAssignment, error] {
	path, err := membershipAssignmentsPath(om)
	return listAll[RoleAssignment](ctx, c, path, err, opts.query(), opts.ListOptions)
}

func resourceAssignments(r ResourceRef, opts ListResourceRoleAssignmentsOptions) (string, url.Values, error) {
	path, err := resourcePath(r)
	if err != nil {
		return "", nil, err
	}
	path += "/role_assignments"
	q := url.Values{}
	setIf(q, "role_slug", opts.RoleSlug)
	return path, q, nil
}

// ListResourceRoleAssignmentsPage returns one page of the role assignments
// on resource r: GET /authorization/resources/{id}/role_assignments, or GET
// /authorization/organizations/{org}/resources/{type}/{external_id}/role_assignments
// for a reference by external ID, which must name its organization
// ([ResourceRef.InOrganization]). Documented errors: 403, 404. A reference
// by ID that names another organization than the resource's fails with
// [ErrOrganizationMismatch] (see [Client.GetResource]).
func (c *Client) ListResourceRoleAssignmentsPage(ctx context.Context, r ResourceRef, opts ListResourceRoleAssignmentsOptions) (*Page[RoleAssignment], error) {
	path, q, err := resourceAssignments(r, opts)
	if err == nil {
		err = c.resourceInOrganization(ctx, r)
	}
	return listPage[RoleAssignment](ctx, c, path, err, q, opts.ListOptions)
}

// ListResourceRoleAssignments iterates over every role assignment on
// resource r; see [Client.ListResourceRoleAssignmentsPage]. An error is
// yielded once and ends the iteration.
func (c *Client) ListResourceRoleAssignments(ctx context.Context, r ResourceRef, opts ListResourceRoleAssignmentsOptions) iter.Seq2[RoleAssignment, error] {
	path, q, err := resourceAssignments(r, opts)
	return guardSeq(func() error {
		if err != nil {
			return err
		}
		return c.resourceInOrganization(ctx, r)
	}, listAll[RoleAssignment](ctx, c, path, err, q, opts.ListOptions))
}
