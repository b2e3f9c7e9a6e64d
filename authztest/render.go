package authztest

import "time"

// The JSON objects of WIRE.md §1, written field by field from the model.
// Every field the API always sends is present, null included.

// timeFormat is ISO-8601 in UTC with milliseconds, as the API answers.
const timeFormat = "2006-01-02T15:04:05.000Z"

func ts(t time.Time) string { return t.UTC().Format(timeFormat) }

type resourceJSON struct {
	Object           string  `json:"object"`
	ID               string  `json:"id"`
	ExternalID       string  `json:"external_id"`
	Name             string  `json:"name"`
	Description      *string `json:"description"`
	ResourceTypeSlug string  `json:"resource_type_slug"`
	OrganizationID   string  `json:"organization_id"`
	ParentResourceID *string `json:"parent_resource_id"`
	CreatedAt        string  `json:"created_at"`
	UpdatedAt        string  `json:"updated_at"`
}

// renderResource renders r; a parent that is the organization root is
// null (WIRE.md §7.6).
func (m *model) renderResource(r *resource) resourceJSON {
	var parent *string
	if p := m.resources[r.parentID]; p != nil && p.parentID != "" {
		parent = &p.id
	}
	return resourceJSON{Object: "authorization_resource", ID: r.id, ExternalID: r.externalID, Name: r.name,
		Description: r.description, ResourceTypeSlug: r.typeSlug, OrganizationID: r.orgID,
		ParentResourceID: parent, CreatedAt: ts(r.created), UpdatedAt: ts(r.updated)}
}

type permissionJSON struct {
	Object           string  `json:"object"`
	ID               string  `json:"id"`
	Slug             string  `json:"slug"`
	Name             string  `json:"name"`
	Description      *string `json:"description"`
	System           bool    `json:"system"`
	ResourceTypeSlug string  `json:"resource_type_slug"`
	CreatedAt        string  `json:"created_at"`
	UpdatedAt        string  `json:"updated_at"`
}

func renderPermission(p *permission) permissionJSON {
	return permissionJSON{Object: "permission", ID: p.id, Slug: p.slug, Name: p.name, Description: p.description,
		System: p.system, ResourceTypeSlug: p.typeSlug, CreatedAt: ts(p.created), UpdatedAt: ts(p.updated)}
}

type roleJSON struct {
	Object           string   `json:"object"`
	ID               string   `json:"id"`
	Slug             string   `json:"slug"`
	Name             string   `json:"name"`
	Description      *string  `json:"description"`
	Type             string   `json:"type"`
	ResourceTypeSlug string   `json:"resource_type_slug"`
	Permissions      []string `json:"permissions"`
	CreatedAt        string   `json:"created_at"`
	UpdatedAt        string   `json:"updated_at"`
}

func renderRole(r *role) roleJSON {
	typ := "EnvironmentRole"
	if r.orgID != "" {
		typ = "OrganizationRole"
	}
	perms := append([]string{}, r.permissions...)
	return roleJSON{Object: "role", ID: r.id, Slug: r.slug, Name: r.name, Description: r.description, Type: typ,
		ResourceTypeSlug: r.typeSlug, Permissions: perms, CreatedAt: ts(r.created), UpdatedAt: ts(r.updated)}
}

type slugJSON struct {
	Slug string `json:"slug"`
}

type resourceRefJSON struct {
	ID               string `json:"id"`
	ExternalID       string `json:"external_id"`
	ResourceTypeSlug string `json:"resource_type_slug"`
}

type sourceJSON struct {
	Type                  string  `json:"type"`
	GroupRoleAssignmentID *string `json:"group_role_assignment_id"`
}

type assignmentJSON struct {
	Object                   string          `json:"object"`
	ID                       string          `json:"id"`
	OrganizationMembershipID string          `json:"organization_membership_id"`
	Role                     slugJSON        `json:"role"`
	Resource                 resourceRefJSON `json:"resource"`
	Source                   sourceJSON      `json:"source"`
	CreatedAt                string          `json:"created_at"`
	UpdatedAt                string          `json:"updated_at"`
}

func (m *model) resourceRef(id string) resourceRefJSON {
	r := m.resources[id]
	if r == nil {
		return resourceRefJSON{ID: id}
	}
	return resourceRefJSON{ID: r.id, ExternalID: r.externalID, ResourceTypeSlug: r.typeSlug}
}

func (m *model) renderAssignment(a *assignment) assignmentJSON {
	src := sourceJSON{Type: "direct"}
	if a.groupAssignmentID != "" {
		gra := a.groupAssignmentID
		src = sourceJSON{Type: "group", GroupRoleAssignmentID: &gra}
	}
	return assignmentJSON{Object: "role_assignment", ID: a.id, OrganizationMembershipID: a.om,
		Role: slugJSON{a.roleSlug}, Resource: m.resourceRef(a.resourceID), Source: src,
		CreatedAt: ts(a.created), UpdatedAt: ts(a.updated)}
}

// userHeadJSON is what both user shapes start with.
type userHeadJSON struct {
	Object            string  `json:"object"`
	ID                string  `json:"id"`
	Email             string  `json:"email"`
	FirstName         *string `json:"first_name"`
	LastName          *string `json:"last_name"`
	EmailVerified     bool    `json:"email_verified"`
	ProfilePictureURL *string `json:"profile_picture_url"`
	// ExternalID and LastSignInAt (in each shape, after the head) are
	// required by the spec, null when unknown: the fake keeps no users of
	// its own, so both are null.
	ExternalID *string `json:"external_id"`
}

type userJSON struct {
	userHeadJSON
	LastSignInAt *string `json:"last_sign_in_at"`
	CreatedAt    string  `json:"created_at"`
	UpdatedAt    string  `json:"updated_at"`
}

// membershipHeadJSON is what every membership shape starts with.
type membershipHeadJSON struct {
	Object           string `json:"object"`
	ID               string `json:"id"`
	UserID           string `json:"user_id"`
	OrganizationID   string `json:"organization_id"`
	OrganizationName string `json:"organization_name"`
	Status           string `json:"status"`
	DirectoryManaged bool   `json:"directory_managed"`
}

type membershipJSON struct {
	membershipHeadJSON
	User      userJSON `json:"user"`
	CreatedAt string   `json:"created_at"`
	UpdatedAt string   `json:"updated_at"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// renderMembership renders a membership as the discovery lists do: with
// its nested user and without role fields (WIRE.md §3 #5).
func (m *model) renderMembership(om *membership) membershipJSON {
	email := om.email
	if email == "" {
		email = om.userID + "@example.com"
	}
	orgName := ""
	if o := m.orgs[om.orgID]; o != nil {
		orgName = o.name
	}
	return membershipJSON{
		membershipHeadJSON: membershipHeadJSON{Object: "organization_membership", ID: om.id, UserID: om.userID,
			OrganizationID: om.orgID, OrganizationName: orgName, Status: om.status},
		User: userJSON{userHeadJSON: userHeadJSON{Object: "user", ID: om.userID, Email: email, FirstName: optional(om.firstName),
			LastName: optional(om.lastName), EmailVerified: true},
			CreatedAt: ts(om.created), UpdatedAt: ts(om.created)}, // users are implicit: no write updates one
		CreatedAt: ts(om.created), UpdatedAt: ts(om.updated)}
}

type groupAssignmentJSON struct {
	Object    string          `json:"object"`
	ID        string          `json:"id"`
	GroupID   string          `json:"group_id"`
	Role      slugJSON        `json:"role"`
	Resource  resourceRefJSON `json:"resource"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
}

func (m *model) renderGroupAssignment(g *groupAssignment) groupAssignmentJSON {
	return groupAssignmentJSON{Object: "group_role_assignment", ID: g.id, GroupID: g.groupID, Role: slugJSON{g.roleSlug},
		Resource: m.resourceRef(g.resourceID), CreatedAt: ts(g.created), UpdatedAt: ts(g.updated)}
}

// listJSON is the body of every list answer.
type listJSON[T any] struct {
	Object       string        `json:"object"`
	Data         []T           `json:"data"`
	ListMetadata *listMetadata `json:"list_metadata,omitempty"`
}

type listMetadata struct {
	Before *string `json:"before"`
	After  *string `json:"after"`
}
