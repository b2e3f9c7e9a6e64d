package authz

import (
	"context"
	"iter"
	"time"
)

// Group management: the /organizations/{organizationId}/groups operations
// of the official spec (WIRE.md §1.7). Every member of a group receives the
// group's role assignments ([Client.AssignGroupRole]); adding or removing a
// member forgets the Client's remembered decisions of that membership,
// deleting a group forgets all of them.

// Group is a group of organization memberships (object "group").
type Group struct {
	Object string `json:"object"`
	// ID is the group ID (group_…).
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	// Description is empty when the API answers null.
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CreateGroupParams are the fields of a new group.
type CreateGroupParams struct {
	// Name (required), at most 256 characters.
	Name string `json:"name"`
	// Description, at most 150 characters; empty sends none.
	Description string `json:"description,omitempty"`
}

// UpdateGroupParams are the fields of a group to change: nil and unset
// fields stay as they are.
type UpdateGroupParams struct {
	Name *string `json:"name,omitempty"`
	// Description is set with [Value] or cleared to null with [Null].
	Description Nullable[string] `json:"description,omitzero"`
}

const maxGroupName = 256

func groupsPath(org string) (string, error) {
	return buildPath("/organizations/", "organization ID", org, "/groups")
}

func groupPath(org, group string, rest ...string) (string, error) {
	return buildPath(append([]string{"/organizations/", "organization ID", org, "/groups/", "group ID", group}, rest...)...)
}

// CreateGroup creates a group in an organization: POST
// /organizations/{organizationId}/groups, 201. Documented errors: 400, 403,
// 404, 422.
func (c *Client) CreateGroup(ctx context.Context, org string, p CreateGroupParams) (*Group, error) {
	path, err := groupsPath(org)
	if err != nil {
		return nil, err
	}
	if p.Name == "" {
		return nil, badArg("CreateGroupParams.Name", "is empty")
	}
	if err := checkLen("CreateGroupParams.Name", p.Name, maxGroupName); err != nil {
		return nil, err
	}
	return call[Group](ctx, c, request{method: "POST", path: path, body: p, idempotent: true}, nil)
}

// GetGroup returns a group: GET /organizations/{organizationId}/groups/{groupId}.
// Documented errors: 403, 404.
func (c *Client) GetGroup(ctx context.Context, org, group string) (*Group, error) {
	path, err := groupPath(org, group)
	if err != nil {
		return nil, err
	}
	return call[Group](ctx, c, request{method: "GET", path: path}, nil)
}

// UpdateGroup changes a group's name or description: PATCH
// /organizations/{organizationId}/groups/{groupId}. Documented errors: 400,
// 403, 404, 422.
func (c *Client) UpdateGroup(ctx context.Context, org, group string, p UpdateGroupParams) (*Group, error) {
	path, err := groupPath(org, group)
	if err != nil {
		return nil, err
	}
	if p.Name != nil {
		if *p.Name == "" {
			return nil, badArg("UpdateGroupParams.Name", "is empty")
		}
		if err := checkLen("UpdateGroupParams.Name", *p.Name, maxGroupName); err != nil {
			return nil, err
		}
	}
	return call[Group](ctx, c, request{method: "PATCH", path: path, body: p}, nil)
}

// DeleteGroup deletes a group with its role assignments, which its members
// lose: DELETE /organizations/{organizationId}/groups/{groupId}, 204.
// Documented errors: 403, 404.
func (c *Client) DeleteGroup(ctx context.Context, org, group string) error {
	path, err := groupPath(org, group)
	if err != nil {
		return err
	}
	return c.mutate(ctx, request{method: "DELETE", path: path}, nil, c.invalidateAll)
}

// ListGroupsPage returns one page of an organization's groups: GET
// /organizations/{organizationId}/groups. Documented errors: 403, 404.
func (c *Client) ListGroupsPage(ctx context.Context, org string, opts ListOptions) (*Page[Group], error) {
	path, err := groupsPath(org)
	return listPage[Group](ctx, c, path, err, nil, opts)
}

// ListGroups iterates over every group of an organization; see
// [Client.ListGroupsPage]. An error is yielded once and ends the iteration.
func (c *Client) ListGroups(ctx context.Context, org string, opts ListOptions) iter.Seq2[Group, error] {
	path, err := groupsPath(org)
	return listAll[Group](ctx, c, path, err, nil, opts)
}

// AddGroupMember adds a membership to a group and returns the group: POST
// /organizations/{organizationId}/groups/{groupId}/organization-memberships,
// 200. The member receives the group's role assignments before the answer
// (WIRE.md §1.7). Documented errors: 400 group_membership_limit_exceeded,
// 403, 404, 422.
func (c *Client) AddGroupMember(ctx context.Context, org, group, membershipID string) (*Group, error) {
	path, err := groupPath(org, group, "/organization-memberships")
	if err != nil {
		return nil, err
	}
	if membershipID == "" {
		return nil, badArg("organization membership ID", "is empty")
	}
	body := struct {
		OrganizationMembershipID string `json:"organization_membership_id"`
	}{membershipID}
	return call[Group](ctx, c, request{method: "POST", path: path, body: body}, c.forgetMembership(membershipID))
}

// RemoveGroupMember takes a membership out of a group, and with it the
// group's role assignments: DELETE
// …/groups/{groupId}/organization-memberships/{omId}, 204. Documented
// errors: 403, 404.
func (c *Client) RemoveGroupMember(ctx context.Context, org, group, membershipID string) error {
	path, err := groupPath(org, group, "/organization-memberships/", "organization membership ID", membershipID)
	if err != nil {
		return err
	}
	return c.mutate(ctx, request{method: "DELETE", path: path}, nil, c.forgetMembership(membershipID))
}

// ListGroupMembersPage returns one page of a group's members (without
// roles or user): GET …/groups/{groupId}/organization-memberships.
// Documented errors: 403, 404.
func (c *Client) ListGroupMembersPage(ctx context.Context, org, group string, opts ListOptions) (*Page[OrganizationMembership], error) {
	path, err := groupPath(org, group, "/organization-memberships")
	return listPage[OrganizationMembership](ctx, c, path, err, nil, opts)
}

// ListGroupMembers iterates over every member of a group; see
// [Client.ListGroupMembersPage].
func (c *Client) ListGroupMembers(ctx context.Context, org, group string, opts ListOptions) iter.Seq2[OrganizationMembership, error] {
	path, err := groupPath(org, group, "/organization-memberships")
	return listAll[OrganizationMembership](ctx, c, path, err, nil, opts)
}
