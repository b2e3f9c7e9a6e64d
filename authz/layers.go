package authz

import (
	"context"
	"net/http"
	"net/url"

	"github.com/fgakit/fgakit/token"
)

// TokenLayer answers from verified session claims alone: organization-wide
// permissions, no I/O, no allocation. Get it with [Client.Token]; the zero
// TokenLayer is ready to use.
//
// Security rule: a permission in the token is organization-wide for the
// token's own organization (claim org_id) and for no other. So
// [TokenLayer.Allows] answers true for a resource only when it can tell the
// resource belongs to that organization:
//
//   - a reference by type and external ID ([ExternalResource]) is resolved
//     by the API inside the membership's organization, so the token may
//     answer for it (unless the reference names another organization);
//   - a reference by resource ID ([ResourceID]) answers from the token only
//     when it names its organization ([Resource.InOrganization]) and that
//     organization equals the token's org_id.
//
// Everything else is left to the [ResourceLayer].
type TokenLayer struct{}

// Token returns the token layer.
func (c *Client) Token() TokenLayer { return TokenLayer{} }

// HasPermission reports whether claims grant permission organization-wide
// — for organization-level gates (navigation, feature gates) that name no
// resource. Nil claims grant nothing.
func (TokenLayer) HasPermission(claims *token.Claims, permission string) bool {
	return claims.HasPermission(permission)
}

// Allows reports whether claims grant permission on r without asking the
// API: the token grants it organization-wide and the security rule of
// [TokenLayer] holds. False means "the token cannot tell", not "denied".
func (TokenLayer) Allows(claims *token.Claims, permission string, r Resource) bool {
	if claims == nil || claims.OrganizationID == "" || !claims.HasPermission(permission) {
		return false
	}
	if r.ID != "" {
		// By ID: only a reference that names the token's own organization.
		return r.TypeSlug == "" && r.ExternalID == "" && r.OrganizationID == claims.OrganizationID
	}
	// By type + external ID: scoped to the membership's organization by the
	// API, unless the reference names another organization.
	return r.TypeSlug != "" && r.ExternalID != "" &&
		(r.OrganizationID == "" || r.OrganizationID == claims.OrganizationID)
}

// ResourceLayer asks the Authorization API, which is always current. Get it
// with [Client.Resource].
type ResourceLayer struct {
	c *Client
}

// Resource returns the resource (API) layer.
func (c *Client) Resource() *ResourceLayer { return &c.res }

// checkRoute is the route template of the check call.
const checkRoute = "/authorization/organization_memberships/{om}/check"

// Check asks the API whether membership (om_…) holds permission on r, by a
// role on r, on any ancestor of r, or its organization role:
//
//	POST /authorization/organization_memberships/{om}/check
//
// Concurrent identical checks on one Client share a single call (see
// [Client.Check]). Empty arguments or an invalid r fail with
// [ErrInvalidInput] before any call. Any error returns a Decision that is
// not Allowed.
//
// The cache, the request memo and [Fresh] work as for [Client.Check].
func (l *ResourceLayer) Check(ctx context.Context, membershipID, permission string, r Resource, opts ...CallOption) (Decision, error) {
	k, err := newCheckKey(membershipID, permission, r)
	if err != nil {
		return Decision{}, err
	}
	fresh := len(opts) > 0 && callOptions(opts).fresh // options escape: skip when none
	return l.c.check(ctx, k, fresh)
}

// checkKey is every input of a check. It is comparable: two checks are
// identical exactly when their keys are equal.
type checkKey struct {
	membership string
	permission string
	resourceID string
	typeSlug   string
	externalID string
}

func newCheckKey(membershipID, permission string, r Resource) (checkKey, error) {
	switch {
	case membershipID == "":
		return checkKey{}, invalid("empty organization membership ID")
	case membershipID == "." || membershipID == "..":
		return checkKey{}, invalid("organization membership ID %q", membershipID)
	case permission == "":
		return checkKey{}, invalid("empty permission")
	}
	if err := r.Validate(); err != nil {
		return checkKey{}, err
	}
	return checkKey{membership: membershipID, permission: permission, resourceID: r.ID, typeSlug: r.TypeSlug, externalID: r.ExternalID}, nil
}

// checkBody is the request body of the check call (WIRE.md §3 #1): the
// permission and exactly one resource target.
type checkBody struct {
	PermissionSlug     string `json:"permission_slug"`
	ResourceID         string `json:"resource_id,omitempty"`
	ResourceExternalID string `json:"resource_external_id,omitempty"`
	ResourceTypeSlug   string `json:"resource_type_slug,omitempty"`
}

func (k checkKey) request() request {
	return request{
		method: http.MethodPost,
		path:   "/authorization/organization_memberships/" + url.PathEscape(k.membership) + "/check",
		route:  checkRoute,
		body: checkBody{
			PermissionSlug:     k.permission,
			ResourceID:         k.resourceID,
			ResourceExternalID: k.externalID,
			ResourceTypeSlug:   k.typeSlug,
		},
	}
}
