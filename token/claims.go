package token

import (
	"slices"
	"time"
)

// DefaultMembershipClaim is the claim that carries the organization membership
// ID when the AuthKit JWT template adds it:
//
//	{"organization_membership_id": "{{ organization_membership.id }}"}
const DefaultMembershipClaim = "organization_membership_id"

// Claims are the verified claims of an AuthKit access token.
//
// A Claims value is produced only by a successful [Verifier.Verify]; a zero
// Claims grants nothing. Organization-level fields (Role, Roles, Permissions)
// are as old as the token: they change only when the session refreshes.
//
// Treat the slices (Audience, Roles, Permissions, …) as read-only: with the
// verified-token cache on ([WithCache]) they are shared by every Claims
// returned for the same token.
type Claims struct {
	// Subject is the user ID (user_…), claim "sub".
	Subject string `json:"sub"`
	// SessionID is the AuthKit session ID, claim "sid".
	SessionID string `json:"sid,omitempty"`
	// Issuer is claim "iss".
	Issuer string `json:"iss,omitempty"`
	// Audience is claim "aud"; AuthKit sets none unless a JWT template adds one.
	Audience []string `json:"aud,omitempty"`
	// OrganizationID is the organization the session is signed in to, claim "org_id".
	OrganizationID string `json:"org_id,omitempty"`
	// Role is the membership's organization role slug, claim "role".
	Role string `json:"role,omitempty"`
	// Roles are the membership's organization role slugs, claim "roles".
	Roles []string `json:"roles,omitempty"`
	// Permissions are the organization-wide permission slugs, claim "permissions".
	Permissions []string `json:"permissions,omitempty"`
	// Entitlements is claim "entitlements".
	Entitlements []string `json:"entitlements,omitempty"`
	// FeatureFlags is claim "feature_flags".
	FeatureFlags []string `json:"feature_flags,omitempty"`
	// OrganizationMembershipID (om_…) is the subject of every Authorization API
	// call. It is present only when a JWT template adds it (see
	// [DefaultMembershipClaim] and [WithMembershipClaim]); it is never invented.
	OrganizationMembershipID string `json:"organization_membership_id,omitempty"`
	// Impersonator is set when the session is impersonated (claim "act").
	Impersonator *Impersonator `json:"act,omitempty"`
	// IssuedAt is claim "iat"; zero if absent.
	IssuedAt time.Time `json:"iat,omitzero"`
	// ExpiresAt is claim "exp"; always set on verified claims.
	ExpiresAt time.Time `json:"exp,omitzero"`
	// NotBefore is claim "nbf"; zero if absent.
	NotBefore time.Time `json:"nbf,omitzero"`
	// ID is the token ID, claim "jti".
	ID string `json:"jti,omitempty"`
}

// Impersonator identifies who acts on behalf of the subject (claim "act").
type Impersonator struct {
	// Subject is the impersonator's identity, usually an email address.
	Subject string `json:"sub"`
	// Reason is the stated reason for the impersonation, when present.
	Reason string `json:"reason,omitempty"`
}

// HasPermission reports whether the token grants the organization-wide
// permission slug. It never allocates. A nil Claims grants nothing.
func (c *Claims) HasPermission(slug string) bool {
	if c == nil || slug == "" {
		return false
	}
	return slices.Contains(c.Permissions, slug)
}

// HasRole reports whether the token carries the organization role slug, in
// "role" or in "roles". It never allocates. A nil Claims has no role.
func (c *Claims) HasRole(slug string) bool {
	if c == nil || slug == "" {
		return false
	}
	return c.Role == slug || slices.Contains(c.Roles, slug)
}
