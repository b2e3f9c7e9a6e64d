package authztest

// Setup in Go. Each method changes the model at once (no HTTP) and fails
// the test on misuse — an unknown reference or a rule the API would refuse
// — through tb.Fatalf (or panics under NewServer).

// AddResourceType declares a resource type. Without parent types it hangs
// under "organization", the built-in root type. Parent types must exist.
func (f *Fake) AddResourceType(slug string, parentTypes ...string) {
	f.helper()
	if !f.open("AddResourceType") {
		return
	}
	f.mu.Lock()
	err := f.m.addResourceType(slug, parentTypes)
	f.mu.Unlock()
	if err != nil {
		f.fail("AddResourceType "+slug, err)
	}
}

// AddPermission creates a permission scoped to resourceTypeSlug ("" means
// organization); its name is its slug.
func (f *Fake) AddPermission(slug, resourceTypeSlug string) {
	f.helper()
	if !f.open("AddPermission") {
		return
	}
	f.mu.Lock()
	_, err := f.m.addPermission(permissionInput{slug: slug, typeSlug: resourceTypeSlug})
	f.mu.Unlock()
	if err != nil {
		f.fail("AddPermission "+slug, err)
	}
}

// AddRole creates an environment role scoped to resourceTypeSlug with the
// given permissions, which must be of that type or a descendant type.
func (f *Fake) AddRole(slug, resourceTypeSlug string, permissions ...string) {
	f.helper()
	if !f.open("AddRole") {
		return
	}
	f.mu.Lock()
	_, err := f.m.addRole(roleInput{slug: slug, typeSlug: resourceTypeSlug, permissions: permissions, adopt: true})
	f.mu.Unlock()
	if err != nil {
		f.fail("AddRole "+slug, err)
	}
}

// AddOrganizationRole creates a custom role of organization orgID; its
// slug must start with "org-".
func (f *Fake) AddOrganizationRole(orgID, slug, resourceTypeSlug string, permissions ...string) {
	f.helper()
	if !f.open("AddOrganizationRole") {
		return
	}
	f.mu.Lock()
	_, err := f.m.addRole(roleInput{slug: slug, orgID: orgID, typeSlug: resourceTypeSlug, permissions: permissions})
	f.mu.Unlock()
	if err != nil {
		f.fail("AddOrganizationRole "+slug, err)
	}
}

// SetRolePermissions replaces the permissions of a role: an environment
// role when orgID is "", else that organization's custom role. Checks see
// the change at once.
func (f *Fake) SetRolePermissions(orgID, slug string, permissions ...string) {
	f.helper()
	if !f.open("SetRolePermissions") {
		return
	}
	f.mu.Lock()
	err := f.m.setRolePermissions(orgID, slug, permissions)
	f.mu.Unlock()
	if err != nil {
		f.fail("SetRolePermissions "+slug, err)
	}
}

func (m *model) setRolePermissions(orgID, slug string, permissions []string) error {
	ro := m.roles[roleKey{orgID, slug}]
	if ro == nil {
		return errNotFound("role %q not found", slug)
	}
	perms := dedupe(permissions)
	if err := m.checkRolePermissions(ro.typeSlug, perms); err != nil {
		return err
	}
	ro.permissions = perms
	ro.updated = m.now()
	m.emitRole("updated", ro)
	return nil
}

// AddOrganization creates an organization and its root resource
// (resource type "organization", external ID = the organization ID).
func (f *Fake) AddOrganization(id, name string) {
	f.helper()
	if !f.open("AddOrganization") {
		return
	}
	f.mu.Lock()
	_, err := f.m.addOrganization(id, name)
	f.mu.Unlock()
	if err != nil {
		f.fail("AddOrganization "+id, err)
	}
}

// AddMembership creates an organization membership of user userID with the
// organization role roleSlug and returns its ID; an empty id is generated
// ("om_…"). An empty roleSlug gives the environment's default role,
// "member", as WorkOS does: a membership always has a role. When the setup
// added no role "member", the fake creates it (scoped to the organization,
// no permissions); a later [Fake.AddRole]("member", "", …) gives it
// permissions.
func (f *Fake) AddMembership(id, userID, orgID, roleSlug string) string {
	f.helper()
	if !f.open("AddMembership") {
		return ""
	}
	var roles []string
	if roleSlug != "" {
		roles = []string{roleSlug}
	}
	f.mu.Lock()
	om, err := f.m.addMembership(membershipInput{id: id, userID: userID, orgID: orgID, roles: roles})
	f.mu.Unlock()
	if err != nil {
		f.fail("AddMembership "+id, err)
		return ""
	}
	return om.id
}

// Resource describes a resource for [Fake.AddResource], with the API's field
// names (as [FixtureResource] and [authz.AuthorizationResource] have them).
// Name the parent by ParentResourceID, or by ParentResourceExternalID and
// ParentResourceTypeSlug; without a parent the resource hangs under its
// organization's root. An empty ID is generated
// ("authz_resource_…"); an empty Name defaults to ExternalID.
type Resource struct {
	// ID is the resource ID; empty generates one ("authz_resource_…").
	ID string
	// ExternalID is your own ID of the resource, unique per type within the
	// organization (required).
	ExternalID string
	// Name defaults to ExternalID.
	Name string
	// Description is answered as given; "" is JSON null.
	Description string
	// ResourceTypeSlug is the resource's type, declared with
	// [Fake.AddResourceType] (required).
	ResourceTypeSlug string
	// OrganizationID is the organization the resource belongs to (required).
	OrganizationID string
	// ParentResourceID names the parent by resource ID.
	ParentResourceID string
	// ParentResourceExternalID names the parent by external ID, with
	// ParentResourceTypeSlug, within the same organization.
	ParentResourceExternalID string
	// ParentResourceTypeSlug is the parent's type, with ParentResourceExternalID.
	ParentResourceTypeSlug string
}

// AddResource creates a resource and returns its ID.
func (f *Fake) AddResource(r Resource) string {
	f.helper()
	if !f.open("AddResource") {
		return ""
	}
	if r.Name == "" {
		r.Name = r.ExternalID
	}
	f.mu.Lock()
	res, err := f.m.createResource(resourceInput{id: r.ID, externalID: r.ExternalID, name: r.Name,
		description: optional(r.Description), typeSlug: r.ResourceTypeSlug, orgID: r.OrganizationID,
		parent: parentRef{id: r.ParentResourceID, externalID: r.ParentResourceExternalID, typeSlug: r.ParentResourceTypeSlug}})
	f.mu.Unlock()
	if err != nil {
		f.fail("AddResource "+r.ExternalID, err)
		return ""
	}
	return res.id
}

// ResourceID returns the ID of the resource of organization orgID with the
// type and external ID; ("organization", orgID) names the organization's
// root resource. A missing resource fails the test.
func (f *Fake) ResourceID(orgID, typeSlug, externalID string) string {
	f.helper()
	f.mu.Lock()
	res := f.m.resourceByExternal(orgID, typeSlug, externalID)
	f.mu.Unlock()
	if res == nil {
		f.fail("ResourceID", errNotFound("%s %q not found in organization %q", typeSlug, externalID, orgID))
		return ""
	}
	return res.id
}

// Assign gives membership om the role on the resource (by ID) and returns
// the role assignment's ID.
func (f *Fake) Assign(om, roleSlug, resourceID string) string {
	f.helper()
	if !f.open("Assign") {
		return ""
	}
	f.mu.Lock()
	a, err := f.m.assignTo("", om, roleSlug, target{id: resourceID})
	f.mu.Unlock()
	if err != nil {
		f.fail("Assign "+roleSlug, err)
		return ""
	}
	return a.id
}

// assignTo gives membership omID the role on target t (Go setup and the
// fixture); id "" generates one.
func (m *model) assignTo(id, omID, roleSlug string, t target) (*assignment, error) {
	om, err := m.membership(omID)
	if err != nil {
		return nil, err
	}
	res, err := m.resolveTarget(om.orgID, t)
	if err != nil {
		return nil, err
	}
	return m.assign(id, om, roleSlug, res)
}

// Unassign removes a direct role assignment by its ID.
func (f *Fake) Unassign(assignmentID string) {
	f.helper()
	if !f.open("Unassign") {
		return
	}
	f.mu.Lock()
	var err error = errNotFound("role assignment %q not found", assignmentID)
	if a := f.m.assignments[assignmentID]; a != nil {
		err = f.m.unassign(f.m.members[a.om], assignmentID)
	}
	f.mu.Unlock()
	if err != nil {
		f.fail("Unassign", err)
	}
}

// AddGroup creates a group of organization orgID and returns its ID; an
// empty id is generated ("group_…").
func (f *Fake) AddGroup(id, orgID, name string) string {
	f.helper()
	if !f.open("AddGroup") {
		return ""
	}
	f.mu.Lock()
	g, err := f.m.addGroup(id, orgID, name, nil)
	f.mu.Unlock()
	if err != nil {
		f.fail("AddGroup "+id, err)
		return ""
	}
	return g.id
}

// AddGroupMember adds membership om to the group; it receives the group's
// role assignments at once.
func (f *Fake) AddGroupMember(groupID, om string) {
	f.helper()
	if !f.open("AddGroupMember") {
		return
	}
	f.mu.Lock()
	g, err := f.m.group(groupID)
	if err == nil {
		err = f.m.addGroupMember(g, om)
	}
	f.mu.Unlock()
	if err != nil {
		f.fail("AddGroupMember", err)
	}
}

// AssignGroup gives every member of the group the role on the resource
// (by ID; "" means the organization itself) and returns the group role
// assignment's ID ("gra_…").
func (f *Fake) AssignGroup(groupID, roleSlug, resourceID string) string {
	f.helper()
	if !f.open("AssignGroup") {
		return ""
	}
	f.mu.Lock()
	ga, err := f.m.assignGroupTo("", groupID, roleSlug, target{id: resourceID})
	f.mu.Unlock()
	if err != nil {
		f.fail("AssignGroup "+roleSlug, err)
		return ""
	}
	return ga.id
}

// assignGroupTo gives group groupID the role on target t, none meaning
// the organization (Go setup and the fixture); id "" generates one.
func (m *model) assignGroupTo(id, groupID, roleSlug string, t target) (*groupAssignment, error) {
	g, err := m.group(groupID)
	if err != nil {
		return nil, err
	}
	res, err := m.groupTarget(g, t)
	if err != nil {
		return nil, err
	}
	return m.assignGroup(id, g, roleSlug, res)
}

// RemoveGroupMember takes membership om out of the group, and with it the
// group's role assignments.
func (f *Fake) RemoveGroupMember(groupID, om string) {
	f.helper()
	if !f.open("RemoveGroupMember") {
		return
	}
	f.mu.Lock()
	g, err := f.m.group(groupID)
	if err == nil {
		err = f.m.removeGroupMember(g, om)
	}
	f.mu.Unlock()
	if err != nil {
		f.fail("RemoveGroupMember", err)
	}
}

// SetMembershipRoles replaces the organization roles of membership om
// (several roles: multiple-roles mode; none: the default role "member", as
// for [Fake.AddMembership]). Checks
// see the change at once; session tokens minted before it keep the old
// roles, as AuthKit's do until the session refreshes.
func (f *Fake) SetMembershipRoles(om string, roleSlugs ...string) {
	f.helper()
	if !f.open("SetMembershipRoles") {
		return
	}
	f.mu.Lock()
	m, err := f.m.membership(om)
	if err == nil {
		err = f.m.updateMembershipRoles(m, roleSlugs)
	}
	f.mu.Unlock()
	if err != nil {
		f.fail("SetMembershipRoles", err)
	}
}

// RemoveMembership deletes membership om with all its role assignments
// and its group memberships.
func (f *Fake) RemoveMembership(om string) {
	f.helper()
	if !f.open("RemoveMembership") {
		return
	}
	f.mu.Lock()
	m, err := f.m.membership(om)
	if err == nil {
		f.m.deleteMembership(m)
	}
	f.mu.Unlock()
	if err != nil {
		f.fail("RemoveMembership", err)
	}
}
