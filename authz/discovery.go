package authz

import (
	"context"
	"iter"
	"net/url"
)

// Assignment selects which memberships [Client.ListMembershipsForResource]
// returns.
type Assignment string

const (
	// AssignmentDirect returns only memberships with a role assigned on the
	// resource itself. It is the API's documented default and what the zero
	// Assignment sends.
	AssignmentDirect Assignment = "direct"
	// AssignmentIndirect also returns memberships whose access is inherited
	// from an ancestor or comes from their organization role.
	AssignmentIndirect Assignment = "indirect"
)

func resourcesForMembership(om, permission string, parent ResourceRef) (string, url.Values, error) {
	path, err := buildPath("/authorization/organization_memberships/", "membership ID", om, "/resources")
	if err != nil {
		return "", nil, err
	}
	if permission == "" {
		return "", nil, badArg("permission", "is empty")
	}
	if err := checkRef("parent", parent); err != nil {
		return "", nil, err
	}
	q := url.Values{"permission_slug": {permission}}
	if parent.ID != "" {
		q.Set("parent_resource_id", parent.ID)
	} else {
		q.Set("parent_resource_type_slug", parent.ResourceTypeSlug)
		q.Set("parent_resource_external_id", parent.ExternalID)
	}
	return path, q, nil
}

// ListResourcesForMembershipPage returns one page of the child resources of
// parent on which membership om holds permission: GET
// /authorization/organization_memberships/{om}/resources with
// permission_slug and parent_resource_id, or parent_resource_type_slug and
// parent_resource_external_id. fgakit's fake answers the parent's direct
// children of the permission's resource type (WIRE §7.4). Documented errors:
// 400 bad_request, 403, 404, 422.
//
// A parent that names its organization (by ID or by external ID) must name
// om's, or
// the call fails with [ErrOrganizationMismatch] without a listing (one GET
// of the membership the first time, see [Client.AssignRole]).
func (c *Client) ListResourcesForMembershipPage(ctx context.Context, om, permission string, parent ResourceRef, opts ListOptions) (*Page[AuthorizationResource], error) {
	path, q, err := resourcesForMembership(om, permission, parent)
	if err == nil {
		err = c.sameOrganization(ctx, om, parent)
	}
	return listPage[AuthorizationResource](ctx, c, path, err, q, opts)
}

// listResourcesForMembershipPage is ListResourcesForMembershipPage for a
// caller that has checked parent's organization already.
func (c *Client) listResourcesForMembershipPage(ctx context.Context, om, permission string, parent ResourceRef, opts ListOptions) (*Page[AuthorizationResource], error) {
	path, q, err := resourcesForMembership(om, permission, parent)
	return listPage[AuthorizationResource](ctx, c, path, err, q, opts)
}

// ListResourcesForMembership iterates over every resource
// [Client.ListResourcesForMembershipPage] would return, page after page. An
// error is yielded once and ends the iteration.
func (c *Client) ListResourcesForMembership(ctx context.Context, om, permission string, parent ResourceRef, opts ListOptions) iter.Seq2[AuthorizationResource, error] {
	path, q, err := resourcesForMembership(om, permission, parent)
	return guardSeq(func() error {
		if err != nil {
			return err
		}
		return c.sameOrganization(ctx, om, parent)
	}, listAll[AuthorizationResource](ctx, c, path, err, q, opts))
}

func membershipsForResource(r ResourceRef, permission string, a Assignment) (string, url.Values, error) {
	path, err := resourcePath(r)
	if err != nil {
		return "", nil, err
	}
	path += "/organization_memberships"
	if permission == "" {
		return "", nil, badArg("permission", "is empty")
	}
	switch a {
	case "":
		a = AssignmentDirect
	case AssignmentDirect, AssignmentIndirect:
	default:
		return "", nil, badArg("assignment", "must be AssignmentDirect or AssignmentIndirect, got "+string(a))
	}
	return path, url.Values{"permission_slug": {permission}, "assignment": {string(a)}}, nil
}

// ListMembershipsForResourcePage returns one page of the organization
// memberships that hold permission on resource r ("who can access this?"):
// GET /authorization/resources/{id}/organization_memberships for a
// reference by ID, or GET
// /authorization/organizations/{org}/resources/{type}/{external_id}/organization_memberships
// for a reference by external ID, which must name its organization
// ([ResourceRef.InOrganization]). Each membership carries its User and no role
// fields. Documented errors: 400, 403, 404, 422. A reference by ID that
// names another organization than the resource's fails with
// [ErrOrganizationMismatch] (see [Client.GetResource]).
func (c *Client) ListMembershipsForResourcePage(ctx context.Context, r ResourceRef, permission string, a Assignment, opts ListOptions) (*Page[OrganizationMembership], error) {
	path, q, err := membershipsForResource(r, permission, a)
	if err == nil {
		err = c.resourceInOrganization(ctx, r)
	}
	return listPage[OrganizationMembership](ctx, c, path, err, q, opts)
}

// ListMembershipsForResource iterates over every membership
// [Client.ListMembershipsForResourcePage] would return, page after page. An
// error is yielded once and ends the iteration.
func (c *Client) ListMembershipsForResource(ctx context.Context, r ResourceRef, permission string, a Assignment, opts ListOptions) iter.Seq2[OrganizationMembership, error] {
	path, q, err := membershipsForResource(r, permission, a)
	return guardSeq(func() error {
		if err != nil {
			return err
		}
		return c.resourceInOrganization(ctx, r)
	}, listAll[OrganizationMembership](ctx, c, path, err, q, opts))
}

func effectivePermissionsPath(om string, r ResourceRef) (string, error) {
	if err := checkRef("resource", r); err != nil {
		return "", err
	}
	if r.ID != "" {
		// The documented path (WIRE §6.1, §7.1); SDK v11 uses another one.
		return buildPath("/authorization/organization_memberships/", "membership ID", om,
			"/resources/", "resource ID", r.ID, "/permissions")
	}
	return buildPath("/authorization/organization_memberships/", "membership ID", om,
		"/resources/", "resource type slug", r.ResourceTypeSlug, "/", "external ID", r.ExternalID, "/permissions")
}

// EffectivePermissionsPage returns one page of the permissions membership om
// holds on resource r, including those inherited from ancestors: GET
// /authorization/organization_memberships/{om}/resources/{id}/permissions,
// or …/resources/{type}/{external_id}/permissions for a reference by
// external ID (scoped by the API to the membership's organization).
// Documented errors: 403, 404, 422. A reference (by ID or by external ID)
// naming another organization than om's fails with [ErrOrganizationMismatch]
// without a listing (one GET of the membership the first time, see
// [Client.AssignRole]).
func (c *Client) EffectivePermissionsPage(ctx context.Context, om string, r ResourceRef, opts ListOptions) (*Page[Permission], error) {
	path, err := effectivePermissionsPath(om, r)
	if err == nil {
		err = c.sameOrganization(ctx, om, r)
	}
	return listPage[Permission](ctx, c, path, err, nil, opts)
}

// EffectivePermissions iterates over every permission membership om holds
// on resource r; see [Client.EffectivePermissionsPage]. One listing can
// power a page with many permission gates. An error is yielded once and
// ends the iteration.
func (c *Client) EffectivePermissions(ctx context.Context, om string, r ResourceRef, opts ListOptions) iter.Seq2[Permission, error] {
	path, err := effectivePermissionsPath(om, r)
	return guardSeq(func() error {
		if err != nil {
			return err
		}
		return c.sameOrganization(ctx, om, r)
	}, listAll[Permission](ctx, c, path, err, nil, opts))
}
