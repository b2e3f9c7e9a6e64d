package authztest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Fixture is a whole scenario in the API's own vocabulary (DESIGN.md,
// "Fixture format"). Every key is optional. Load it with [Fake.Load] or
// [WithFixture]; read it with [ParseFixture] or [LoadFixtureFile].
//
//	{
//	  "client_id": "client_test",
//	  "resource_types": [{"slug": "workspace", "parent_types": ["organization"]}],
//	  "permissions": [{"slug": "workspace:view", "resource_type_slug": "workspace"}],
//	  "roles": [{"slug": "member", "resource_type_slug": "organization", "permissions": ["workspace:view"]}],
//	  "organizations": [{"id": "org_acme", "name": "Acme"}],
//	  "organization_memberships": [{"id": "om_alice", "user_id": "user_alice",
//	    "organization_id": "org_acme", "role": {"slug": "member"}}],
//	  "resources": [{"external_id": "eng", "name": "Engineering",
//	    "resource_type_slug": "workspace", "organization_id": "org_acme"}],
//	  "role_assignments": [{"organization_membership_id": "om_alice",
//	    "role_slug": "member", "resource_external_id": "org_acme", "resource_type_slug": "organization"}]
//	}
type Fixture struct {
	// ClientID, when set, replaces the fake's AuthKit client ID.
	ClientID                string                       `json:"client_id,omitempty"`
	ResourceTypes           []FixtureResourceType        `json:"resource_types,omitempty"`
	Permissions             []FixturePermission          `json:"permissions,omitempty"`
	Roles                   []FixtureRole                `json:"roles,omitempty"`
	Organizations           []FixtureOrganization        `json:"organizations,omitempty"`
	OrganizationMemberships []FixtureMembership          `json:"organization_memberships,omitempty"`
	Resources               []FixtureResource            `json:"resources,omitempty"`
	RoleAssignments         []FixtureRoleAssignment      `json:"role_assignments,omitempty"`
	Groups                  []FixtureGroup               `json:"groups,omitempty"`
	GroupRoleAssignments    []FixtureGroupRoleAssignment `json:"group_role_assignments,omitempty"`
}

// FixtureResourceType declares a resource type. Without parent_types it
// hangs under "organization".
type FixtureResourceType struct {
	Slug        string   `json:"slug"`
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	ParentTypes []string `json:"parent_types,omitempty"`
}

// FixturePermission is a permission; name defaults to the slug and
// resource_type_slug to "organization".
type FixturePermission struct {
	ID               string  `json:"id,omitempty"`
	Slug             string  `json:"slug"`
	Name             string  `json:"name,omitempty"`
	Description      *string `json:"description,omitempty"`
	ResourceTypeSlug string  `json:"resource_type_slug,omitempty"`
	System           bool    `json:"system,omitempty"`
}

// FixtureRole is an environment role, or with organization_id that
// organization's custom role (slug starting with "org-").
type FixtureRole struct {
	ID               string   `json:"id,omitempty"`
	Slug             string   `json:"slug"`
	Name             string   `json:"name,omitempty"`
	Description      *string  `json:"description,omitempty"`
	OrganizationID   string   `json:"organization_id,omitempty"`
	ResourceTypeSlug string   `json:"resource_type_slug,omitempty"`
	Permissions      []string `json:"permissions"`
}

// FixtureOrganization is an organization; its root resource is created
// with it.
type FixtureOrganization struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// FixtureSlug is a {"slug": …} reference, as in a membership's role.
type FixtureSlug struct {
	Slug string `json:"slug"`
}

// FixtureUser is the user shown nested in membership lists.
type FixtureUser struct {
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// FixtureMembership is an organization membership with its organization
// role ("role") or roles ("roles", multiple-roles mode).
type FixtureMembership struct {
	ID             string        `json:"id,omitempty"`
	UserID         string        `json:"user_id"`
	OrganizationID string        `json:"organization_id"`
	Status         string        `json:"status,omitempty"`
	Role           *FixtureSlug  `json:"role,omitempty"`
	Roles          []FixtureSlug `json:"roles,omitempty"`
	User           *FixtureUser  `json:"user,omitempty"`
}

// FixtureResource is a resource. Name its parent by parent_resource_id, or
// by parent_resource_external_id and parent_resource_type_slug (in any
// order within the fixture); without one it hangs under the organization
// root. name defaults to external_id.
type FixtureResource struct {
	ID                       string  `json:"id,omitempty"`
	ExternalID               string  `json:"external_id"`
	Name                     string  `json:"name,omitempty"`
	Description              *string `json:"description,omitempty"`
	ResourceTypeSlug         string  `json:"resource_type_slug"`
	OrganizationID           string  `json:"organization_id"`
	ParentResourceID         string  `json:"parent_resource_id,omitempty"`
	ParentResourceExternalID string  `json:"parent_resource_external_id,omitempty"`
	ParentResourceTypeSlug   string  `json:"parent_resource_type_slug,omitempty"`
}

// FixtureRoleAssignment gives a membership a role on a resource named by
// resource_id or by resource_external_id and resource_type_slug.
type FixtureRoleAssignment struct {
	ID                       string `json:"id,omitempty"`
	OrganizationMembershipID string `json:"organization_membership_id"`
	RoleSlug                 string `json:"role_slug"`
	ResourceID               string `json:"resource_id,omitempty"`
	ResourceExternalID       string `json:"resource_external_id,omitempty"`
	ResourceTypeSlug         string `json:"resource_type_slug,omitempty"`
}

// FixtureGroup is a group of memberships of one organization.
type FixtureGroup struct {
	ID                        string   `json:"id,omitempty"`
	OrganizationID            string   `json:"organization_id"`
	Name                      string   `json:"name"`
	Description               *string  `json:"description,omitempty"`
	OrganizationMembershipIDs []string `json:"organization_membership_ids,omitempty"`
}

// FixtureGroupRoleAssignment gives every member of a group a role on a
// resource; without a resource, on the organization itself.
type FixtureGroupRoleAssignment struct {
	ID                 string `json:"id,omitempty"`
	GroupID            string `json:"group_id"`
	RoleSlug           string `json:"role_slug"`
	ResourceID         string `json:"resource_id,omitempty"`
	ResourceExternalID string `json:"resource_external_id,omitempty"`
	ResourceTypeSlug   string `json:"resource_type_slug,omitempty"`
}

// ParseFixture reads one JSON fixture. An unknown key is an error naming
// it; references are checked by [Fake.Load].
func ParseFixture(r io.Reader) (*Fixture, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var fx Fixture
	if err := dec.Decode(&fx); err != nil {
		return nil, fmt.Errorf("authztest: fixture: %w", err)
	}
	if dec.More() {
		return nil, errors.New("authztest: fixture: data after the JSON object")
	}
	return &fx, nil
}

// LoadFixtureFile reads and parses the fixture file at path.
func LoadFixtureFile(path string) (*Fixture, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authztest: %w", err)
	}
	fx, err := ParseFixture(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return fx, nil
}

// Load adds the fixture to the fake's model, all or nothing: a dangling
// reference or a rule the API would refuse is an error naming the entry,
// e.g. `resources[1] (external_id "web"): parent workspace "eng" not
// found`, and leaves the fake unchanged. Entries may refer to entries
// earlier in the fixture or already in the fake.
func (f *Fake) Load(fx *Fixture) error {
	if fx == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.m.clone()
	if err := m.load(fx); err != nil {
		return fmt.Errorf("authztest: fixture: %w", err)
	}
	f.m = m
	if fx.ClientID != "" {
		f.clientID = fx.ClientID
	}
	return nil
}

// errMissingParent marks an error that a later entry may resolve.
var errMissingParent = errors.New("missing parent")

func (m *model) load(fx *Fixture) error {
	// Resource types may name parent types declared later in the list.
	if err := inPasses(fx.ResourceTypes, func(t FixtureResourceType) error {
		for _, p := range t.ParentTypes {
			if m.types[p] == nil && p != t.Slug && declared(fx.ResourceTypes, p) {
				return errMissingParent
			}
		}
		return m.addResourceType(t.Slug, t.ParentTypes)
	}, func(i int, t FixtureResourceType) string {
		return fmt.Sprintf("resource_types[%d] (slug %q)", i, t.Slug)
	}); err != nil {
		return err
	}
	for i, p := range fx.Permissions {
		if _, err := m.addPermission(permissionInput{id: p.ID, slug: p.Slug, name: p.Name, description: p.Description,
			typeSlug: p.ResourceTypeSlug, system: p.System}); err != nil {
			return fmt.Errorf("permissions[%d] (slug %q): %w", i, p.Slug, err)
		}
	}
	for i, o := range fx.Organizations {
		if _, err := m.addOrganization(o.ID, o.Name); err != nil {
			return fmt.Errorf("organizations[%d] (id %q): %w", i, o.ID, err)
		}
	}
	for i, r := range fx.Roles {
		if r.Slug == "" {
			return fmt.Errorf("roles[%d]: slug is required", i)
		}
		if _, err := m.addRole(roleInput{id: r.ID, slug: r.Slug, name: r.Name, description: r.Description,
			orgID: r.OrganizationID, typeSlug: r.ResourceTypeSlug, permissions: r.Permissions}); err != nil {
			return fmt.Errorf("roles[%d] (slug %q): %w", i, r.Slug, err)
		}
	}
	for i, om := range fx.OrganizationMemberships {
		in := membershipInput{id: om.ID, userID: om.UserID, orgID: om.OrganizationID, status: om.Status}
		if om.Role != nil {
			in.roles = append(in.roles, om.Role.Slug)
		}
		for _, r := range om.Roles {
			in.roles = append(in.roles, r.Slug)
		}
		if om.User != nil {
			in.email, in.firstName, in.lastName = om.User.Email, om.User.FirstName, om.User.LastName
		}
		if _, err := m.addMembership(in); err != nil {
			return fmt.Errorf("organization_memberships[%d] (id %q): %w", i, om.ID, err)
		}
	}
	// Resources may name parents listed later.
	if err := inPasses(fx.Resources, func(r FixtureResource) error {
		in := resourceInput{id: r.ID, externalID: r.ExternalID, name: r.Name, description: r.Description,
			typeSlug: r.ResourceTypeSlug, orgID: r.OrganizationID,
			parent: parentRef{id: r.ParentResourceID, externalID: r.ParentResourceExternalID, typeSlug: r.ParentResourceTypeSlug}}
		if in.name == "" {
			in.name = in.externalID
		}
		if m.orgs[in.orgID] != nil && !in.parent.isZero() && laterParent(m, fx.Resources, in) {
			return errMissingParent
		}
		_, err := m.createResource(in)
		return err
	}, func(i int, r FixtureResource) string {
		return fmt.Sprintf("resources[%d] (external_id %q)", i, r.ExternalID)
	}); err != nil {
		return err
	}
	for i, g := range fx.Groups {
		gr, err := m.addGroup(g.ID, g.OrganizationID, g.Name, g.Description)
		if err == nil {
			for _, om := range g.OrganizationMembershipIDs {
				if err = m.addGroupMember(gr, om); err != nil {
					break
				}
			}
		}
		if err != nil {
			return fmt.Errorf("groups[%d] (id %q): %w", i, g.ID, err)
		}
	}
	for i, a := range fx.RoleAssignments {
		om, err := m.membership(a.OrganizationMembershipID)
		if err == nil {
			var res *resource
			res, err = m.resolveTarget(om.orgID, target{id: a.ResourceID, externalID: a.ResourceExternalID, typeSlug: a.ResourceTypeSlug})
			if err == nil {
				_, err = m.assign(a.ID, om, a.RoleSlug, res)
			}
		}
		if err != nil {
			return fmt.Errorf("role_assignments[%d] (organization_membership_id %q, role_slug %q): %w", i, a.OrganizationMembershipID, a.RoleSlug, err)
		}
	}
	for i, a := range fx.GroupRoleAssignments {
		g, err := m.group(a.GroupID)
		if err == nil {
			res := m.resources[m.orgs[g.orgID].rootID]
			t := target{id: a.ResourceID, externalID: a.ResourceExternalID, typeSlug: a.ResourceTypeSlug}
			if t != (target{}) {
				res, err = m.resolveTarget(g.orgID, t)
			}
			if err == nil {
				_, err = m.assignGroup(a.ID, g, a.RoleSlug, res)
			}
		}
		if err != nil {
			return fmt.Errorf("group_role_assignments[%d] (group_id %q, role_slug %q): %w", i, a.GroupID, a.RoleSlug, err)
		}
	}
	return nil
}

// inPasses adds entries in as many passes as needed when an entry's parent
// comes later in the list (add returns errMissingParent to wait). An entry
// that can never be added is reported by its name.
func inPasses[T any](entries []T, add func(T) error, name func(int, T) string) error {
	pending := make([]int, len(entries))
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 {
		var next []int
		for _, i := range pending {
			err := add(entries[i])
			if errors.Is(err, errMissingParent) {
				next = append(next, i)
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name(i, entries[i]), err)
			}
		}
		if len(next) == len(pending) {
			// No progress: a cycle. Report the first entry.
			i := next[0]
			return fmt.Errorf("%s: its parent is part of a cycle", name(i, entries[i]))
		}
		pending = next
	}
	return nil
}

func declared(types []FixtureResourceType, slug string) bool {
	for _, t := range types {
		if t.Slug == slug {
			return true
		}
	}
	return false
}

// laterParent reports whether in's parent is not in the model yet but is
// declared among the fixture's resources, so in must wait for it.
func laterParent(m *model, all []FixtureResource, in resourceInput) bool {
	p := in.parent
	if p.id != "" {
		if m.resources[p.id] != nil {
			return false
		}
		for _, r := range all {
			if r.ID == p.id {
				return true
			}
		}
		return false
	}
	if m.resourceByExternal(in.orgID, p.typeSlug, p.externalID) != nil {
		return false
	}
	for _, r := range all {
		if r.OrganizationID == in.orgID && r.ResourceTypeSlug == p.typeSlug && r.ExternalID == p.externalID {
			return true
		}
	}
	return false
}
