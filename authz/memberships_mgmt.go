package authz

import (
	"context"
	"iter"
	"net/url"
	"strings"
)

// Organization membership management: the
// /user_management/organization_memberships operations of the official
// spec (WIRE.md §1.5). A membership is the subject of every check; these
// calls create it, change its organization roles, deactivate, reactivate
// and delete it. The calls that change what a membership may do forget the
// Client's remembered decisions of that membership, as the role assignment
// calls do.

// Membership statuses of [OrganizationMembership.Status] and
// [ListMembershipsOptions.Statuses].
const (
	MembershipActive   = "active"
	MembershipInactive = "inactive"
	MembershipPending  = "pending"
)

const membershipsPath = "/user_management/organization_memberships"

func membershipPath(id string, rest ...string) (string, error) {
	return buildPath(append([]string{membershipsPath + "/", "organization membership ID", id}, rest...)...)
}

// CreateMembershipParams are the fields of a new organization membership.
// Give RoleSlug or RoleSlugs (multiple-roles mode), not both; neither gives
// the environment's default role.
type CreateMembershipParams struct {
	// UserID is the user (user_…) (required).
	UserID string `json:"user_id"`
	// OrganizationID is the organization (org_…) (required).
	OrganizationID string `json:"organization_id"`
	// RoleSlug is the organization role: a role scoped to the organization.
	RoleSlug string `json:"role_slug,omitempty"`
	// RoleSlugs are several organization roles (multiple-roles mode).
	RoleSlugs []string `json:"role_slugs,omitempty"`
}

// UpdateMembershipParams change a membership's organization role: give
// RoleSlug or RoleSlugs, not both.
type UpdateMembershipParams struct {
	RoleSlug  string   `json:"role_slug,omitempty"`
	RoleSlugs []string `json:"role_slugs,omitempty"`
}

func checkRoleChoice(arg, single string, multiple []string) error {
	if single != "" && multiple != nil {
		return badArg(arg, "sets both RoleSlug and RoleSlugs (give one)")
	}
	if multiple != nil && len(multiple) == 0 {
		return badArg(arg+".RoleSlugs", "is empty (leave it nil to keep the roles)")
	}
	for _, s := range multiple {
		if s == "" {
			return badArg(arg+".RoleSlugs", "holds an empty slug")
		}
	}
	return nil
}

// ListMembershipsOptions filter [Client.ListMemberships]: at least one of
// UserID and OrganizationID is required.
type ListMembershipsOptions struct {
	UserID         string
	OrganizationID string
	// Statuses lists the statuses to include ([MembershipActive],
	// [MembershipInactive], [MembershipPending]); empty means active only,
	// the API's default.
	Statuses []string
	ListOptions
}

func (o ListMembershipsOptions) query() (url.Values, error) {
	if o.UserID == "" && o.OrganizationID == "" {
		return nil, badArg("ListMembershipsOptions", "needs UserID or OrganizationID")
	}
	q := url.Values{}
	setIf(q, "user_id", o.UserID)
	setIf(q, "organization_id", o.OrganizationID)
	for _, s := range o.Statuses {
		switch s {
		case MembershipActive, MembershipInactive, MembershipPending:
		default:
			return nil, badArg("ListMembershipsOptions.Statuses", "must hold active, inactive or pending, got "+quote(s))
		}
	}
	if len(o.Statuses) > 0 {
		q.Set("statuses", strings.Join(o.Statuses, ","))
	}
	return q, nil
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// CreateMembership creates an active organization membership, or
// reactivates the user's inactive membership in the organization with the
// given roles: POST /user_management/organization_memberships, 201.
// Documented errors: 400 cannot_reactivate_pending_organization_membership,
// 404, 422 (invalid_role, multiple_roles_not_enabled,
// sub_resource_scoped_role_not_allowed with [APIError.RoleSlug] naming the
// role, invalid_request_parameters).
func (c *Client) CreateMembership(ctx context.Context, p CreateMembershipParams) (*OrganizationMembership, error) {
	if p.UserID == "" {
		return nil, badArg("CreateMembershipParams.UserID", "is empty")
	}
	if p.OrganizationID == "" {
		return nil, badArg("CreateMembershipParams.OrganizationID", "is empty")
	}
	if err := checkRoleChoice("CreateMembershipParams", p.RoleSlug, p.RoleSlugs); err != nil {
		return nil, err
	}
	// Creating may reactivate an inactive membership: forget every
	// remembered decision, as its ID is known only from the answer.
	return call[OrganizationMembership](ctx, c, request{method: "POST", path: membershipsPath, body: p, idempotent: true}, c.invalidateAll)
}

// GetMembership returns one organization membership with its roles and
// user: GET /user_management/organization_memberships/{id}. Documented
// errors: 404.
func (c *Client) GetMembership(ctx context.Context, id string) (*OrganizationMembership, error) {
	path, err := membershipPath(id)
	if err != nil {
		return nil, err
	}
	return call[OrganizationMembership](ctx, c, request{method: "GET", path: path}, nil)
}

// UpdateMembership changes the organization role(s) of a membership: PUT
// /user_management/organization_memberships/{id}. Checks see the change at
// once; session tokens carry it from the session's next refresh.
// Documented errors: 404, 422 (as for [Client.CreateMembership]).
func (c *Client) UpdateMembership(ctx context.Context, id string, p UpdateMembershipParams) (*OrganizationMembership, error) {
	path, err := membershipPath(id)
	if err != nil {
		return nil, err
	}
	if err := checkRoleChoice("UpdateMembershipParams", p.RoleSlug, p.RoleSlugs); err != nil {
		return nil, err
	}
	return call[OrganizationMembership](ctx, c, request{method: "PUT", path: path, body: p}, c.forgetMembership(id))
}

// DeleteMembership deletes a membership for good, with its role
// assignments: DELETE /user_management/organization_memberships/{id}, 200.
// Documented errors: 404.
func (c *Client) DeleteMembership(ctx context.Context, id string) error {
	path, err := membershipPath(id)
	if err != nil {
		return err
	}
	return c.mutate(ctx, request{method: "DELETE", path: path}, nil, c.forgetMembership(id))
}

// DeactivateMembership makes an active membership inactive (an inactive
// one stays so): PUT …/organization_memberships/{id}/deactivate.
// Documented errors: 400 cannot_deactivate_pending_organization_membership,
// 404, 422.
func (c *Client) DeactivateMembership(ctx context.Context, id string) (*OrganizationMembership, error) {
	path, err := membershipPath(id, "/deactivate")
	if err != nil {
		return nil, err
	}
	return call[OrganizationMembership](ctx, c, request{method: "PUT", path: path}, c.forgetMembership(id))
}

// ReactivateMembership makes an inactive membership active again with the
// roles it had: PUT …/organization_memberships/{id}/reactivate. Documented
// errors: 400 cannot_reactivate_pending_organization_membership, 404, 422.
func (c *Client) ReactivateMembership(ctx context.Context, id string) (*OrganizationMembership, error) {
	path, err := membershipPath(id, "/reactivate")
	if err != nil {
		return nil, err
	}
	return call[OrganizationMembership](ctx, c, request{method: "PUT", path: path}, c.forgetMembership(id))
}

// ListMembershipsPage returns one page of organization memberships: GET
// /user_management/organization_memberships. Documented errors: 400
// missing_user_id_or_organization_id or invalid_request_parameters, 404,
// 422.
func (c *Client) ListMembershipsPage(ctx context.Context, opts ListMembershipsOptions) (*Page[OrganizationMembership], error) {
	q, err := opts.query()
	return listPage[OrganizationMembership](ctx, c, membershipsPath, err, q, opts.ListOptions)
}

// ListMemberships iterates over every organization membership matching
// opts; see [Client.ListMembershipsPage]. An error is yielded once and ends
// the iteration.
func (c *Client) ListMemberships(ctx context.Context, opts ListMembershipsOptions) iter.Seq2[OrganizationMembership, error] {
	q, err := opts.query()
	return listAll[OrganizationMembership](ctx, c, membershipsPath, err, q, opts.ListOptions)
}

// ListMembershipGroupsPage returns one page of the groups a membership
// belongs to: GET /user_management/organization_memberships/{id}/groups.
// Documented errors: 404.
func (c *Client) ListMembershipGroupsPage(ctx context.Context, id string, opts ListOptions) (*Page[Group], error) {
	path, err := membershipPath(id, "/groups")
	return listPage[Group](ctx, c, path, err, nil, opts)
}

// ListMembershipGroups iterates over every group a membership belongs to;
// see [Client.ListMembershipGroupsPage].
func (c *Client) ListMembershipGroups(ctx context.Context, id string, opts ListOptions) iter.Seq2[Group, error] {
	path, err := membershipPath(id, "/groups")
	return listAll[Group](ctx, c, path, err, nil, opts)
}

// RevokeSession ends an AuthKit session (a session token's sid claim):
// POST /user_management/sessions/revoke, 200. Access tokens of the session
// keep a valid signature until they expire; WorkOS emits a session.revoked
// event. Documented errors: 400.
func (c *Client) RevokeSession(ctx context.Context, sessionID string) error {
	if sessionID == "" {
		return badArg("session ID", "is empty")
	}
	body := struct {
		SessionID string `json:"session_id"`
	}{sessionID}
	return c.do(ctx, request{method: "POST", path: "/user_management/sessions/revoke", body: body}, nil)
}

// JWTTemplate is the environment's JWT template (object "jwt_template"):
// the JSON that adds claims to every session token.
type JWTTemplate struct {
	Object string `json:"object"`
	// Content is the template, a JSON object as text, e.g.
	// {"organization_membership_id": "{{ organization_membership.id }}"}.
	Content string `json:"content"`
	// CreatedAt and UpdatedAt are the API's timestamps as sent (the spec
	// declares them plain strings, not date-times).
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// GetJWTTemplate returns the environment's JWT template: GET
// /user_management/jwt_template. Documented errors: 404.
func (c *Client) GetJWTTemplate(ctx context.Context) (*JWTTemplate, error) {
	return call[JWTTemplate](ctx, c, request{method: "GET", path: "/user_management/jwt_template"}, nil)
}

// UpdateJWTTemplate replaces the environment's JWT template: PUT
// /user_management/jwt_template. Tokens minted from then on carry its
// claims. Documented errors: 422 invalid_request_parameters (for instance a
// reserved claim: iss, sub, exp, iat, nbf, jti).
func (c *Client) UpdateJWTTemplate(ctx context.Context, content string) (*JWTTemplate, error) {
	body := struct {
		Content string `json:"content"`
	}{content}
	return call[JWTTemplate](ctx, c, request{method: "PUT", path: "/user_management/jwt_template", body: body}, nil)
}
