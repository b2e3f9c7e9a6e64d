package authztest

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// The operations below change the model. Each validates everything before
// it changes anything, and returns an *apiError whose status and body are
// what the fake answers over HTTP; Go setup calls and fixtures report the
// same errors.

// Input limits of WIRE.md §1.
const (
	maxExternalID  = 128
	maxName        = 48
	maxDescription = 150
	maxSlug        = 48
)

func validChars(s, allowed string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune(allowed, c)) {
			return false
		}
	}
	return s != ""
}

func checkName(name string, required bool) error {
	if name == "" && required {
		return errInvalid("name is required")
	}
	if utf8.RuneCountInString(name) > maxName {
		return errInvalid("name must be at most %d characters", maxName)
	}
	return nil
}

func checkDescription(d *string) error {
	if d != nil && utf8.RuneCountInString(*d) > maxDescription {
		return errInvalid("description must be at most %d characters", maxDescription)
	}
	return nil
}

func checkExternalID(ext string) error {
	if ext == "" {
		return errInvalid("external_id is required")
	}
	if len(ext) > maxExternalID {
		return errInvalid("external_id must be at most %d characters", maxExternalID)
	}
	for i := 0; i < len(ext); i++ {
		if ext[i] > 0x7f {
			return errInvalid("external_id must contain only ASCII characters")
		}
	}
	return nil
}

// addResourceType declares a resource type; its parent types must exist.
// Without parents it hangs under organization. A type may list itself.
func (m *model) addResourceType(slug string, parents []string) error {
	if !validChars(slug, "-_") || len(slug) > maxSlug {
		return errInvalid("resource type slug %q must be 1-%d lowercase letters, digits, '-' or '_'", slug, maxSlug)
	}
	if slug == orgType {
		return errInvalid("resource type %q is built in", orgType)
	}
	if m.types[slug] != nil {
		return errConflict("resource_type_slug_conflict", "resource type %q already exists", slug)
	}
	if len(parents) == 0 {
		parents = []string{orgType}
	}
	for _, p := range parents {
		if m.types[p] == nil && p != slug { // a type may nest in itself (folders)
			return errNotFound("parent type %q not found", p)
		}
	}
	m.types[slug] = &resourceType{slug: slug, parents: slices.Compact(slices.Clone(parents))}
	return nil
}

type permissionInput struct {
	id, slug, name string
	description    *string
	typeSlug       string
	system         bool
}

// normalizeScoped applies the rules permissions and roles share: the name
// defaults to the slug, name and description within their limits, and the
// resource type (default organization) must exist.
func (m *model) normalizeScoped(slug string, name *string, description *string, typeSlug *string) error {
	if *name == "" {
		*name = slug
	}
	if err := checkName(*name, true); err != nil {
		return err
	}
	if err := checkDescription(description); err != nil {
		return err
	}
	if *typeSlug == "" {
		*typeSlug = orgType
	}
	if m.types[*typeSlug] == nil {
		return errNotFound("resource type %q not found", *typeSlug)
	}
	return nil
}

func (m *model) addPermission(in permissionInput) (*permission, error) {
	if !validChars(in.slug, "-_:.*") || len(in.slug) > maxSlug {
		return nil, errInvalid("permission slug %q must be 1-%d lowercase letters, digits, '-', '_', ':', '.' or '*'", in.slug, maxSlug)
	}
	if err := m.normalizeScoped(in.slug, &in.name, in.description, &in.typeSlug); err != nil {
		return nil, err
	}
	if m.perms[in.slug] != nil {
		return nil, errConflict("permission_slug_conflict", "a permission with slug %q already exists", in.slug)
	}
	id, err := m.takeID(in.id, "perm_")
	if err != nil {
		return nil, err
	}
	now := m.now()
	p := &permission{id: id, slug: in.slug, name: in.name, description: in.description,
		system: in.system, typeSlug: in.typeSlug, created: now, updated: now}
	m.perms[p.slug] = p
	m.emit("permission.created", renderPermission(p))
	return p, nil
}

type roleInput struct {
	id, slug, name string
	description    *string
	orgID          string // "" for an environment role
	typeSlug       string
	permissions    []string
	// adopt lets a setup call (Go or fixture) take over the implicit
	// default role of the same slug instead of conflicting with it.
	adopt bool
}

// checkRolePermissions verifies that every slug names a permission of the
// role's type or of a descendant type (WIRE.md §1.4).
func (m *model) checkRolePermissions(typeSlug string, slugs []string) error {
	for _, s := range slugs {
		p := m.perms[s]
		if p == nil {
			return errNotFound("permission %q not found", s)
		}
		if p.typeSlug != typeSlug && !m.isDescendantType(p.typeSlug, typeSlug) {
			return errInvalid("permission %q of resource type %q cannot be in a role scoped to %q: only its own type and descendant types are allowed", s, p.typeSlug, typeSlug)
		}
	}
	return nil
}

func (m *model) addRole(in roleInput) (*role, error) {
	custom := in.orgID != ""
	if custom {
		if m.orgs[in.orgID] == nil {
			return nil, errNotFound("organization %q not found", in.orgID)
		}
		if in.slug == "" {
			in.slug = m.slugFromName(in.name)
		}
		if !strings.HasPrefix(in.slug, "org-") || !validChars(in.slug, "-_") || len(in.slug) > maxSlug {
			return nil, errInvalid("organization role slug %q must start with \"org-\" and contain only lowercase letters, digits, '-' and '_' (at most %d)", in.slug, maxSlug)
		}
	} else if !validChars(in.slug, "-_:.") || len(in.slug) > maxSlug {
		return nil, errInvalid("role slug %q must be 1-%d lowercase letters, digits, '-', '_', ':' or '.'", in.slug, maxSlug)
	}
	if err := m.normalizeScoped(in.slug, &in.name, in.description, &in.typeSlug); err != nil {
		return nil, err
	}
	perms := dedupe(in.permissions)
	if err := m.checkRolePermissions(in.typeSlug, perms); err != nil {
		return nil, err
	}
	if custom {
		if m.roles[roleKey{in.orgID, in.slug}] != nil || m.roles[roleKey{"", in.slug}] != nil {
			return nil, errConflict("organization_role_slug_conflict", "a role with slug %q already exists in organization %q", in.slug, in.orgID)
		}
	} else if ex := m.roles[roleKey{"", in.slug}]; ex != nil {
		if ex.implicit && in.adopt && in.typeSlug == orgType {
			ex.implicit = false
			ex.name, ex.description, ex.permissions, ex.updated = in.name, in.description, perms, m.now()
			m.emitRole("updated", ex)
			return ex, nil
		}
		if ex.implicit {
			return nil, errConflict("role_slug_conflict", "a role with slug %q already exists: the fake created it as the default role of a "+
				"membership set up without a role; add the role before such memberships to give it another scope", in.slug)
		}
		return nil, errConflict("role_slug_conflict", "a role with slug %q already exists", in.slug)
	}
	id, err := m.takeID(in.id, "role_")
	if err != nil {
		return nil, err
	}
	now := m.now()
	r := &role{id: id, slug: in.slug, name: in.name, description: in.description, orgID: in.orgID,
		typeSlug: in.typeSlug, permissions: perms, created: now, updated: now}
	m.roles[roleKey{in.orgID, in.slug}] = r
	m.emitRole("created", r)
	return r, nil
}

// slugFromName generates a custom role slug from its name, as the API does
// when the slug is omitted: "org-", the name in lowercase, a counter suffix.
func (m *model) slugFromName(name string) string {
	base := strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			return c
		case c >= 'A' && c <= 'Z':
			return c + 'a' - 'A'
		}
		return '-'
	}, name)
	if len(base) > 32 {
		base = base[:32]
	}
	m.counters["org-role-slug"]++
	return fmt.Sprintf("org-%s-%d", strings.Trim(base, "-"), m.counters["org-role-slug"])
}

func dedupe(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// addOrganization creates the organization and its root resource.
func (m *model) addOrganization(id, name string) (*organization, error) {
	if id == "" {
		return nil, errInvalid("organization id is required")
	}
	if m.orgs[id] != nil {
		return nil, errConflict("organization_conflict", "organization %q already exists", id)
	}
	if name == "" {
		name = id
	}
	if _, err := m.takeID(id, ""); err != nil {
		return nil, err
	}
	rootID := m.newID("authz_resource_")
	m.register(rootID)
	now := m.now()
	m.resources[rootID] = &resource{id: rootID, externalID: id, name: name, typeSlug: orgType, orgID: id, created: now, updated: now}
	m.external[extKey{id, orgType, id}] = rootID
	o := &organization{id: id, name: name, rootID: rootID, created: now, updated: now}
	m.orgs[id] = o
	m.emit("organization.created", renderOrganization(o))
	return o, nil
}

type membershipInput struct {
	id, userID, orgID          string
	roles                      []string
	status                     string
	email, firstName, lastName string
}

func (m *model) checkOrgRoles(orgID string, slugs []string) error {
	for _, s := range slugs {
		r := m.roleFor(orgID, s)
		if r == nil {
			return errInvalidCode("invalid_role", "role %q not found: it is not a valid role", s)
		}
		if r.typeSlug != orgType {
			e := errInvalidCode("sub_resource_scoped_role_not_allowed", "role %q is scoped to %q; a membership's role must be scoped to the organization", s, r.typeSlug)
			e.roleSlug = s
			return e
		}
	}
	return nil
}

// defaultRoles gives the organization roles of a membership given none:
// the environment's default role, "member" (the docs: a membership has at
// least one organization-scoped role, and the default role is used when
// none is given; WorkOS's default is "member"). Every WorkOS environment has
// it; a fake whose setup never added it creates it here, scoped to the
// organization, named "Member", with no permissions (role.created is
// emitted), so that no membership is ever without a role.
func (m *model) defaultRoles() ([]string, error) {
	if m.roles[roleKey{"", defaultMembershipRole}] == nil {
		r, err := m.addRole(roleInput{slug: defaultMembershipRole, name: "Member", typeSlug: orgType})
		if err != nil {
			return nil, err
		}
		r.implicit = true
	}
	return []string{defaultMembershipRole}, nil
}

func (m *model) addMembership(in membershipInput) (*membership, error) {
	if in.userID == "" {
		return nil, errInvalid("user_id is required")
	}
	if m.orgs[in.orgID] == nil {
		return nil, errNotFound("organization %q not found", in.orgID)
	}
	roles := dedupe(in.roles)
	if len(roles) == 0 {
		var err error
		if roles, err = m.defaultRoles(); err != nil {
			return nil, err
		}
	}
	if err := m.checkOrgRoles(in.orgID, roles); err != nil {
		return nil, err
	}
	switch in.status {
	case "":
		in.status = "active"
	case "active", "inactive", "pending":
	default:
		return nil, errInvalid("status %q must be active, inactive or pending", in.status)
	}
	id, err := m.takeID(in.id, "om_")
	if err != nil {
		return nil, err
	}
	now := m.now()
	om := &membership{id: id, userID: in.userID, orgID: in.orgID, roles: roles, status: in.status,
		email: in.email, firstName: in.firstName, lastName: in.lastName, created: now, updated: now}
	m.members[id] = om
	m.emit("organization_membership.created", renderMembershipEvent(om))
	return om, nil
}

// parentRef names a parent resource: by ID, or by type and external ID.
// The zero parentRef names none.
type parentRef struct{ id, externalID, typeSlug string }

func (p parentRef) isZero() bool { return p == parentRef{} }

// resolveParent finds the parent named by p in organization orgID; the
// zero parentRef names the organization root.
func (m *model) resolveParent(orgID string, p parentRef) (*resource, error) {
	switch {
	case p.id != "" && (p.externalID != "" || p.typeSlug != ""):
		return nil, errInvalid("give the parent either as parent_resource_id or as parent_resource_external_id with parent_resource_type_slug, not both")
	case p.id == "" && (p.externalID == "") != (p.typeSlug == ""):
		return nil, errInvalid("parent_resource_external_id and parent_resource_type_slug go together")
	case p.id != "":
		r := m.resources[p.id]
		if r == nil {
			return nil, errNotFound("parent resource %q not found", p.id)
		}
		if r.orgID != orgID {
			return nil, errInvalid("parent resource %q belongs to another organization", p.id)
		}
		return r, nil
	case p.externalID != "":
		r := m.resourceByExternal(orgID, p.typeSlug, p.externalID)
		if r == nil {
			return nil, errNotFound("parent %s %q not found", p.typeSlug, p.externalID)
		}
		return r, nil
	}
	return m.resources[m.orgs[orgID].rootID], nil
}

func (m *model) checkParentType(typeSlug string, parent *resource) error {
	if !slices.Contains(m.types[typeSlug].parents, parent.typeSlug) {
		return errInvalid("a resource of type %q cannot have a parent of type %q (allowed: %s)",
			typeSlug, parent.typeSlug, strings.Join(m.types[typeSlug].parents, ", "))
	}
	return nil
}

type resourceInput struct {
	id, externalID, name string
	description          *string
	typeSlug, orgID      string
	parent               parentRef
}

func (m *model) createResource(in resourceInput) (*resource, error) {
	if err := checkExternalID(in.externalID); err != nil {
		return nil, err
	}
	if err := checkName(in.name, true); err != nil {
		return nil, err
	}
	if err := checkDescription(in.description); err != nil {
		return nil, err
	}
	if in.typeSlug == "" {
		return nil, errInvalid("resource_type_slug is required")
	}
	if in.typeSlug == orgType {
		return nil, errInvalid("organization resources are created with their organization")
	}
	if m.types[in.typeSlug] == nil {
		return nil, errNotFound("resource type %q not found", in.typeSlug)
	}
	if in.orgID == "" {
		return nil, errInvalid("organization_id is required")
	}
	if m.orgs[in.orgID] == nil {
		return nil, errNotFound("organization %q not found", in.orgID)
	}
	parent, err := m.resolveParent(in.orgID, in.parent)
	if err != nil {
		return nil, err
	}
	if err := m.checkParentType(in.typeSlug, parent); err != nil {
		return nil, err
	}
	key := extKey{in.orgID, in.typeSlug, in.externalID}
	if _, dup := m.external[key]; dup {
		return nil, errConflict("authorization_resource_external_id_conflict",
			"a %s with external_id %q already exists in organization %q", in.typeSlug, in.externalID, in.orgID)
	}
	id, err := m.takeID(in.id, "authz_resource_")
	if err != nil {
		return nil, err
	}
	now := m.now()
	r := &resource{id: id, externalID: in.externalID, name: in.name, description: in.description,
		typeSlug: in.typeSlug, orgID: in.orgID, parentID: parent.id, created: now, updated: now}
	m.resources[id] = r
	m.external[key] = id
	return r, nil
}

type resourceUpdate struct {
	name        *string
	description *string
	setDesc     bool // description was given (possibly null)
	parent      parentRef
}

func (m *model) updateResource(r *resource, u resourceUpdate) error {
	if r.parentID == "" {
		return errInvalid("the organization resource cannot be changed")
	}
	if u.name != nil {
		if err := checkName(*u.name, true); err != nil {
			return err
		}
	}
	if err := checkDescription(u.description); err != nil {
		return err
	}
	newParent := ""
	if !u.parent.isZero() {
		p, err := m.resolveParent(r.orgID, u.parent)
		if err != nil {
			return err
		}
		if err := m.checkParentType(r.typeSlug, p); err != nil {
			return err
		}
		for _, a := range m.ancestry(p) {
			if a.id == r.id {
				return errInvalid("resource %q cannot move under itself or one of its descendants", r.id)
			}
		}
		newParent = p.id
	}
	if u.name != nil {
		r.name = *u.name
	}
	if u.setDesc {
		r.description = u.description
	}
	if newParent != "" {
		r.parentID = newParent
	}
	r.updated = m.now()
	return nil
}

// deleteResource deletes r; with cascade it takes its subtree and every
// role assignment on it along (WIRE.md §7.2).
func (m *model) deleteResource(r *resource, cascade bool) error {
	if r.parentID == "" {
		// The operation declares 400 (lock_timeout only), 403, 404 and 409
		// (resource_has_dependents even with cascade_delete is wrong); the
		// root is not the caller's to delete: 403.
		return errForbidden("the organization resource cannot be deleted; it goes with its organization")
	}
	tree := m.subtree(r)
	inTree := map[string]bool{}
	for _, t := range tree {
		inTree[t.id] = true
	}
	if !cascade {
		dependent := len(tree) > 1
		for _, a := range m.assignments {
			dependent = dependent || a.resourceID == r.id
		}
		for _, g := range m.groupAssignments {
			dependent = dependent || g.resourceID == r.id
		}
		if dependent {
			return errConflict("resource_has_dependents",
				"resource %q has child resources or role assignments; delete them first or set cascade_delete=true", r.id)
		}
	}
	for id, a := range m.assignments {
		if inTree[a.resourceID] {
			delete(m.assignments, id)
		}
	}
	for id, g := range m.groupAssignments {
		if inTree[g.resourceID] {
			delete(m.groupAssignments, id)
		}
	}
	for _, t := range tree {
		delete(m.resources, t.id)
		delete(m.external, extKey{t.orgID, t.typeSlug, t.externalID})
	}
	return nil
}

// target names the resource of a check or an assignment in a request body.
type target struct{ id, externalID, typeSlug string }

// resolveTarget finds the resource a body names for a membership of orgID.
// A resource of another organization is not found (WIRE.md §7.5).
func (m *model) resolveTarget(orgID string, t target) (*resource, error) {
	switch {
	case t.id != "" && (t.externalID != "" || t.typeSlug != ""):
		// x-mutually-exclusive-body-groups resource_target of the spec.
		return nil, errInvalid("resource_id is mutually exclusive with resource_external_id and resource_type_slug: name the resource one way")
	case t.id == "" && t.externalID == "" && t.typeSlug == "":
		return nil, errInvalid("a resource is required: resource_id, or resource_external_id with resource_type_slug")
	case t.id == "" && t.typeSlug == "":
		return nil, errInvalid("resource_external_id requires resource_type_slug")
	case t.id == "" && t.externalID == "":
		return nil, errInvalid("resource_type_slug requires resource_external_id")
	case t.id != "":
		r := m.resources[t.id]
		if r == nil || r.orgID != orgID {
			return nil, errNotFound("resource %q not found", t.id)
		}
		return r, nil
	}
	r := m.resourceByExternal(orgID, t.typeSlug, t.externalID)
	if r == nil {
		return nil, errNotFound("%s %q not found", t.typeSlug, t.externalID)
	}
	return r, nil
}

// assign gives om the role on r (a direct assignment).
func (m *model) assign(id string, om *membership, roleSlug string, r *resource) (*assignment, error) {
	if roleSlug == "" {
		return nil, errInvalid("role_slug is required")
	}
	ro := m.roleFor(om.orgID, roleSlug)
	if ro == nil {
		return nil, errNotFound("role %q not found", roleSlug)
	}
	if ro.typeSlug != r.typeSlug {
		return nil, errInvalid("role %q is scoped to %q and cannot be assigned on a %s", roleSlug, ro.typeSlug, r.typeSlug)
	}
	for _, a := range m.assignments {
		if a.om == om.id && a.roleSlug == roleSlug && a.resourceID == r.id && a.groupAssignmentID == "" {
			// The operation declares no 409: a duplicate is unprocessable.
			return nil, errInvalid("membership %q already has role %q on resource %q", om.id, roleSlug, r.id)
		}
	}
	id, err := m.takeID(id, "role_assignment_")
	if err != nil {
		return nil, err
	}
	now := m.now()
	a := &assignment{id: id, om: om.id, roleSlug: roleSlug, resourceID: r.id, created: now, updated: now}
	m.assignments[id] = a
	return a, nil
}
