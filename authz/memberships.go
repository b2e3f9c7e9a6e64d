package authz

import "time"

// OrganizationMembership is a user's membership in an organization (object
// "organization_membership"), the subject of every authorization call. The
// discovery endpoint [Client.ListMembershipsForResource] returns it with
// User set and no role fields.
type OrganizationMembership struct {
	Object string `json:"object"`
	// ID is the membership ID (om_…).
	ID             string `json:"id"`
	UserID         string `json:"user_id"`
	OrganizationID string `json:"organization_id"`
	// Status is "active", "inactive" or "pending".
	Status           string `json:"status"`
	DirectoryManaged bool   `json:"directory_managed"`
	// OrganizationName is set when the API includes it.
	OrganizationName string `json:"organization_name,omitempty"`
	// CustomAttributes are IdP-sourced attributes, when present.
	CustomAttributes map[string]any `json:"custom_attributes,omitempty"`
	// Role is the membership's organization role, when the endpoint returns it.
	Role *RoleRef `json:"role,omitempty"`
	// Roles are its organization roles in multiple-roles mode, when returned.
	Roles []RoleRef `json:"roles,omitempty"`
	// User is the member, when the endpoint returns it.
	User      *User     `json:"user,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// User is the subset of a WorkOS user that comes with a membership.
type User struct {
	Object string `json:"object"`
	// ID is the user ID (user_…).
	ID    string `json:"id"`
	Email string `json:"email"`
	// FirstName, LastName, ProfilePictureURL and ExternalID are empty when
	// the API answers null.
	FirstName         string    `json:"first_name"`
	LastName          string    `json:"last_name"`
	EmailVerified     bool      `json:"email_verified"`
	ProfilePictureURL string    `json:"profile_picture_url"`
	ExternalID        string    `json:"external_id"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// RoleRef names a role by slug, as role assignments and memberships do
// ({"slug": "admin"}).
type RoleRef struct {
	Slug string `json:"slug"`
}
