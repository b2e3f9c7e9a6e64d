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

// User is a WorkOS user as it comes with a membership (object "user").
type User struct {
	Object string `json:"object"`
	// ID is the user ID (user_…).
	ID    string `json:"id"`
	Email string `json:"email"`
	// FirstName, LastName, Name, ProfilePictureURL, ExternalID and Locale
	// are empty when the API answers null.
	FirstName         string `json:"first_name"`
	LastName          string `json:"last_name"`
	Name              string `json:"name"`
	EmailVerified     bool   `json:"email_verified"`
	ProfilePictureURL string `json:"profile_picture_url"`
	ExternalID        string `json:"external_id"`
	// Locale is the user's preferred locale, e.g. "en-US".
	Locale string `json:"locale"`
	// Metadata holds the user's key/value metadata (at most 50 keys);
	// nil when the API sends none.
	Metadata map[string]string `json:"metadata,omitempty"`
	// LastSignInAt is when the user last signed in; the zero Time when the
	// API answers null (never, or unknown).
	LastSignInAt time.Time `json:"last_sign_in_at"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// RoleRef names a role by slug, as role assignments and memberships do
// ({"slug": "admin"}).
type RoleRef struct {
	Slug string `json:"slug"`
}
