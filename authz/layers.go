package authz

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/fgakit/fgakit/token"
)

// TokenLayer answers from verified session claims alone: organization-wide
// permissions, no I/O, no allocation. Get it with [Client.Token]; the zero
// TokenLayer is ready to use.
//
// Security rule: a permission in the token is organization-wide for the
// token's own organization (claim org_id) and for no other, and the token
// says nothing about which organization a resource belongs to. So
// [TokenLayer.Allows] answers true only when the resource's organization is
// known to be the token's, which is the case for either reference form:
//
//   - the reference names its organization ([ResourceRef.InOrganization]) and
//     that organization equals the token's org_id, both non-empty. Name the
//     organization your own records hold for the resource, never a value
//     taken from the request (a path, query or body field): a reference
//     whose organization the caller chose is a way into another tenant;
//   - or the reference is the organization root itself: type
//     "organization" with the token's org_id as external ID
//     (ExternalResource("organization", claims.OrganizationID)), as WorkOS
//     references an organization's root resource.
//
// Everything else is left to the [ResourceLayer]: the API scopes an
// external ID to the membership's organization and answers 404 for another
// organization's resource. A reference by external ID alone, without
// InOrganization, is therefore always asked of the API — even though the
// token grants the permission, the external ID may be another tenant's.
// (An organization root of another organization,
// ExternalResource("organization", "org_other"), is asked too, and the API
// answers 404.)
//
// Resource types: the token carries permission slugs only, not the resource
// type each permission belongs to. Checking a permission on a resource of
// another type (say workspace:view on a project) may be answered true by
// the token, while the API answers false (a permission of another type
// grants nothing). Check the permission that matches the
// resource's type.
//
// Claims are trusted as given: Allows does not re-check the signature or
// the expiry. Pass the claims [token.Verifier.Verify] returned for the
// current request; a long-lived connection (websocket, job) that keeps
// claims must verify its token again before they expire, and Claims built
// by hand grant whatever they hold.
//
// Freshness: the claims are as old as the token's iat. A TokenLayer of a
// Client with [WithFreshness] also answers false (so the API is asked) for
// claims the [Freshness] calls stale: their membership, role, permission,
// organization or user changed at or after iat. The zero TokenLayer has no
// Freshness.
type TokenLayer struct {
	f Freshness // nil: trust the claims until they expire
}

// Token returns the token layer, with the Client's [Freshness] if any.
func (c *Client) Token() TokenLayer { return TokenLayer{f: c.cfg.freshness} }

// HasPermission reports whether claims grant permission organization-wide
// — for organization-level gates (navigation, feature gates) that name no
// resource. Nil claims grant nothing. As for [TokenLayer.Allows], claims
// must come from a successful [token.Verifier.Verify] of the current
// request.
//
// With a [Freshness], claims it calls stale grant nothing here (ask the API
// for the organization root instead, as [Middleware.RequirePermission]
// does).
func (l TokenLayer) HasPermission(claims *token.Claims, permission string) bool {
	return claims.HasPermission(permission) && !l.stale(claims, permission)
}

// stale reports whether l's Freshness declines claims for permission.
func (l TokenLayer) stale(claims *token.Claims, permission string) bool {
	return !l.fresh(claims, permission)
}

// orgRootType is the resource type of an organization's root resource,
// whose external ID is the organization's ID (WIRE.md §1.2).
const orgRootType = "organization"

// Allows reports whether claims grant permission on r without asking the
// API: the token grants it organization-wide and r's organization is known
// to be the token's (the security rule of [TokenLayer]: r names it with
// [ResourceRef.InOrganization], or r is the token organization's root). False
// means "the token cannot tell", not "denied" — also when a [Freshness]
// calls the claims stale.
func (l TokenLayer) Allows(claims *token.Claims, permission string, r ResourceRef) bool {
	if l.f != nil && claims != nil && l.f.Stale(claims, permission) {
		return false // a Freshness is consulted first: it answers in a few ns
	}
	return tokenAllows(claims, permission, r)
}

// tokenAllows is [TokenLayer.Allows] without freshness: what the claims
// alone grant.
func tokenAllows(claims *token.Claims, permission string, r ResourceRef) bool {
	if claims == nil || claims.OrganizationID == "" || !claims.HasPermission(permission) {
		return false
	}
	if r.ID != "" {
		return r.ResourceTypeSlug == "" && r.ExternalID == "" && r.OrganizationID == claims.OrganizationID
	}
	if r.ResourceTypeSlug == "" || r.ExternalID == "" {
		return false // not a valid reference
	}
	if r.ResourceTypeSlug == orgRootType {
		// The organization root: its external ID is its organization. A
		// reference that says otherwise (another org's root "in" this org)
		// contradicts itself and is left to the API.
		return r.ExternalID == claims.OrganizationID &&
			(r.OrganizationID == "" || r.OrganizationID == claims.OrganizationID)
	}
	return r.OrganizationID == claims.OrganizationID
}

// fresh reports whether l's Freshness, if any, trusts claims for
// permission.
func (l TokenLayer) fresh(claims *token.Claims, permission string) bool {
	return l.f == nil || !l.f.Stale(claims, permission)
}

// namesOtherOrganization reports whether r names another organization
// than the claims'. A call that names a resource's organization never acts
// in another one, so such a check fails with ErrOrganizationMismatch
// without a call, whether r is by external ID (the API would look it up in
// the membership's organization: a different resource, or none) or by ID
// (the caller meant another tenant than the session's).
func namesOtherOrganization(claims *token.Claims, r ResourceRef) bool {
	return r.OrganizationID != "" && r.OrganizationID != claims.OrganizationID
}

// ResourceLayer asks the Authorization API, which is always current. Get it
// with [Client.API].
type ResourceLayer struct {
	c *Client
}

// API returns the resource layer: the calls that ask the Authorization API
// (one HTTP request per question, merged with concurrent identical ones).
// client.API().Check(ctx, om, permission, ref) reads as what it does: ask the
// API.
func (c *Client) API() *ResourceLayer { return &c.res }

// checkRoute is the route template of the check call.
const checkRoute = "/authorization/organization_memberships/{om}/check"

// Check asks the API whether membership (om_…) holds permission on r, by a
// role on r, on any ancestor of r, or its organization role:
//
//	POST /authorization/organization_memberships/{om}/check
//
// Concurrent identical checks on one Client share a single call (see
// [Client.Check]). Empty arguments or an invalid r fail with
// [ErrInvalidInput] before any call. A 404 of the API is a deny with
// NotFound set ([Decision.NotFound]). Any error returns a Decision that is
// not Allowed.
//
// A reference that names its organization ([ResourceRef.InOrganization]),
// by ID or by external ID, must name the membership's: otherwise Check
// fails with [ErrOrganizationMismatch] without a check call (for an
// external ID the API would answer for another organization's resource of
// that external ID). The first such check for a membership costs one GET
// of the membership; its organization is kept for the Client's life.
// Without InOrganization the API looks an external ID up in the
// membership's organization, and knows an ID's: no extra call.
//
// The cache, the request memo and [Fresh] work as for [Client.Check].
func (l *ResourceLayer) Check(ctx context.Context, membershipID, permission string, r ResourceRef, opts ...CallOption) (Decision, error) {
	if l.c.cfg.hooks.onCall() {
		return l.c.hookedCheck(ctx, singleCall(OpResourceCheck, permission, r), func(ctx context.Context) (Decision, error) {
			return l.check(ctx, membershipID, permission, r, opts...)
		})
	}
	return l.check(ctx, membershipID, permission, r, opts...)
}

// check is Check without the hooks.
func (l *ResourceLayer) check(ctx context.Context, membershipID, permission string, r ResourceRef, opts ...CallOption) (Decision, error) {
	k, err := newCheckKey(membershipID, permission, r)
	if err != nil {
		return Decision{}, err
	}
	if r.OrganizationID != "" {
		if l.c.isClosed.Load() {
			return Decision{}, ErrClosed
		}
		if err := l.c.sameOrganization(ctx, membershipID, r); err != nil {
			if errors.Is(err, ErrNotFound) {
				// No such membership: what the check itself would answer.
				return Decision{Source: SourceAPI, NotFound: true}, nil
			}
			return Decision{}, err
		}
	}
	fresh := len(opts) > 0 && callOptions(opts).fresh // options escape: skip when none
	return l.c.check(ctx, k, fresh)
}

// checkSameOrg is ResourceLayer.Check for a caller that has checked r's
// organization already (Client.Check, against the session's).
func (l *ResourceLayer) checkSameOrg(ctx context.Context, membershipID, permission string, r ResourceRef, opts []CallOption) (Decision, error) {
	k, err := newCheckKey(membershipID, permission, r)
	if err != nil {
		return Decision{}, err
	}
	fresh := len(opts) > 0 && callOptions(opts).fresh
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

func newCheckKey(membershipID, permission string, r ResourceRef) (checkKey, error) {
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
	return checkKey{membership: membershipID, permission: permission, resourceID: r.ID, typeSlug: r.ResourceTypeSlug, externalID: r.ExternalID}, nil
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
