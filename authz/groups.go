package authz

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// MaxGroupRoleAssignments is the most entries
// [Client.ReplaceGroupRoleAssignments] accepts.
const MaxGroupRoleAssignments = 100

// GroupRoleAssignment is a role given to every member of a group (object
// "group_role_assignment"). Members see it as a [RoleAssignment] with
// source type [SourceTypeGroup].
type GroupRoleAssignment struct {
	Object string `json:"object"`
	// ID is the group role assignment ID (gra_…).
	ID      string  `json:"id"`
	GroupID string  `json:"group_id"`
	Role    RoleRef `json:"role"`
	// Resource is where the role is assigned; the organization's own
	// resource when the role was given organization-wide.
	Resource  AssignedResource `json:"resource"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// GroupRole is one entry of [Client.ReplaceGroupRoleAssignments]: a role
// and where it applies.
type GroupRole struct {
	RoleSlug string
	// Resource is the target (by ID, or by type and external ID). The zero
	// Resource means the organization itself.
	Resource ResourceRef
}

func groupAssignmentsPath(groupID string) (string, error) {
	return buildPath("/authorization/groups/", "group ID", groupID, "/role_assignments")
}

func groupAssignmentPath(groupID, graID string) (string, error) {
	return buildPath("/authorization/groups/", "group ID", groupID,
		"/role_assignments/", "group role assignment ID", graID)
}

// ListGroupRoleAssignmentsPage returns one page of the role assignments of
// a group: GET /authorization/groups/{group_id}/role_assignments.
// Documented errors: 403, 404, 422.
func (c *Client) ListGroupRoleAssignmentsPage(ctx context.Context, groupID string, opts ListOptions) (*Page[GroupRoleAssignment], error) {
	path, err := groupAssignmentsPath(groupID)
	return listPage[GroupRoleAssignment](ctx, c, path, err, nil, opts)
}

// ListGroupRoleAssignments iterates over every role assignment of a group;
// see [Client.ListGroupRoleAssignmentsPage]. An error is yielded once and
// ends the iteration.
func (c *Client) ListGroupRoleAssignments(ctx context.Context, groupID string, opts ListOptions) iter.Seq2[GroupRoleAssignment, error] {
	path, err := groupAssignmentsPath(groupID)
	return listAll[GroupRoleAssignment](ctx, c, path, err, nil, opts)
}

// AssignGroupRole gives every member of a group the role roleSlug on target
// (the zero ResourceRef: on the organization itself): POST
// /authorization/groups/{group_id}/role_assignments, 201, with an
// Idempotency-Key. The real API may apply it to the members
// asynchronously. Documented errors: 403, 404, 409
// duplicate_group_role_assignment, 422.
//
// A target that names its organization ([ResourceRef.InOrganization]), by
// ID or by external ID, must name the group's: otherwise the call fails
// with [ErrOrganizationMismatch] and sends nothing (for an external ID the
// API would look it up in the group's organization). The first such
// call for a group costs one [Client.GetGroup]; the answer is kept. The
// same holds for [Client.RemoveGroupRole] and
// [Client.ReplaceGroupRoleAssignments].
func (c *Client) AssignGroupRole(ctx context.Context, groupID, roleSlug string, target ResourceRef) (*GroupRoleAssignment, error) {
	path, err := groupAssignmentsPath(groupID)
	if err != nil {
		return nil, err
	}
	body, err := roleTarget(roleSlug, target, true)
	if err != nil {
		return nil, err
	}
	if err := c.groupInOrganization(ctx, groupID, target); err != nil {
		return nil, err
	}
	return call[GroupRoleAssignment](ctx, c, request{method: "POST", path: path, body: body, idempotent: true}, c.invalidateAll)
}

// ReplaceGroupRoleAssignments makes roles the complete list of a group's
// role assignments (at most [MaxGroupRoleAssignments]; an empty list
// removes them all) and returns the new list: PUT
// /authorization/groups/{group_id}/role_assignments. Documented errors:
// 403, 404, 422.
func (c *Client) ReplaceGroupRoleAssignments(ctx context.Context, groupID string, roles []GroupRole) ([]GroupRoleAssignment, error) {
	path, err := groupAssignmentsPath(groupID)
	if err != nil {
		return nil, err
	}
	if len(roles) > MaxGroupRoleAssignments {
		return nil, badArg("roles", fmt.Sprintf("has %d entries, at most %d allowed", len(roles), MaxGroupRoleAssignments))
	}
	entries := make([]roleTargetBody, 0, len(roles))
	for i, r := range roles {
		e, err := roleTarget(r.RoleSlug, r.Resource, true)
		if err != nil {
			return nil, fmt.Errorf("roles[%d]: %w", i, err)
		}
		entries = append(entries, e)
	}
	for i, r := range roles {
		if err := c.groupInOrganization(ctx, groupID, r.Resource); err != nil {
			return nil, fmt.Errorf("roles[%d]: %w", i, err)
		}
	}
	body := struct {
		RoleAssignments []roleTargetBody `json:"role_assignments"`
	}{entries}
	var out struct {
		Data []GroupRoleAssignment `json:"data"`
	}
	if err := c.mutate(ctx, request{method: "PUT", path: path, body: body}, &out, c.invalidateAll); err != nil {
		return nil, err
	}
	if out.Data == nil {
		return nil, badResponse("group role assignment list without data")
	}
	return out.Data, nil
}

// RemoveGroupRole takes the role roleSlug on target (the zero ResourceRef: on
// the organization itself) away from a group: DELETE
// /authorization/groups/{group_id}/role_assignments with a JSON body, 204;
// 404 if no assignment matches. Documented errors: 403, 404, 422.
func (c *Client) RemoveGroupRole(ctx context.Context, groupID, roleSlug string, target ResourceRef) error {
	path, err := groupAssignmentsPath(groupID)
	if err != nil {
		return err
	}
	body, err := roleTarget(roleSlug, target, true)
	if err != nil {
		return err
	}
	if err := c.groupInOrganization(ctx, groupID, target); err != nil {
		return err
	}
	return c.mutate(ctx, request{method: "DELETE", path: path, body: body}, nil, c.invalidateAll)
}

// GetGroupRoleAssignment returns one role assignment of a group: GET
// /authorization/groups/{group_id}/role_assignments/{id}. Documented
// errors: 403, 404.
func (c *Client) GetGroupRoleAssignment(ctx context.Context, groupID, graID string) (*GroupRoleAssignment, error) {
	path, err := groupAssignmentPath(groupID, graID)
	if err != nil {
		return nil, err
	}
	return call[GroupRoleAssignment](ctx, c, request{method: "GET", path: path}, nil)
}

// RemoveGroupRoleAssignment deletes one role assignment of a group by ID:
// DELETE /authorization/groups/{group_id}/role_assignments/{id}, 204.
// Documented errors: 403, 404.
func (c *Client) RemoveGroupRoleAssignment(ctx context.Context, groupID, graID string) error {
	path, err := groupAssignmentPath(groupID, graID)
	if err != nil {
		return err
	}
	return c.mutate(ctx, request{method: "DELETE", path: path}, nil, c.invalidateAll)
}
