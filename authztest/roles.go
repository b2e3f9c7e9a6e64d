package authztest

import (
	"net/http"
	"slices"
)

func (f *Fake) roleRoutes(mux *http.ServeMux) {
	f.handle(mux, "POST /authorization/roles", f.createEnvironmentRole)
	f.handle(mux, "GET /authorization/roles", f.listEnvironmentRoles)
	f.handle(mux, "GET /authorization/roles/{slug}", f.withRole(false, f.getRole))
	f.handle(mux, "PATCH /authorization/roles/{slug}", f.withRole(false, f.updateRole))
	f.handle(mux, "PUT /authorization/roles/{slug}/permissions", f.withRole(false, f.setPermissions))
	f.handle(mux, "POST /authorization/roles/{slug}/permissions", f.withRole(false, f.addPermission))

	const org = "/authorization/organizations/{org}/roles"
	f.handle(mux, "POST "+org, f.createOrganizationRole)
	f.handle(mux, "GET "+org, f.listOrganizationRoles)
	f.handle(mux, "GET "+org+"/{slug}", f.withRole(true, f.getRole))
	f.handle(mux, "PATCH "+org+"/{slug}", f.withRole(true, f.updateRole))
	f.handle(mux, "DELETE "+org+"/{slug}", f.withRole(true, f.deleteRole))
	f.handle(mux, "PUT "+org+"/{slug}/permissions", f.withRole(true, f.setPermissions))
	f.handle(mux, "POST "+org+"/{slug}/permissions", f.withRole(true, f.addPermission))
	f.handle(mux, "DELETE "+org+"/{slug}/permissions/{permission}", f.withRole(true, f.removePermission))
}

// withRole resolves the role of the path. Under /organizations/{org}/roles
// a GET also finds environment roles; the other methods need the
// organization's own custom role.
func (f *Fake) withRole(inOrg bool, h func(*http.Request, *role) (int, any, error)) func(*http.Request) (int, any, error) {
	return func(r *http.Request) (int, any, error) {
		m := f.m
		slug := r.PathValue("slug")
		if !inOrg {
			ro := m.roles[roleKey{"", slug}]
			if ro == nil {
				return 0, nil, errNotFound("role %q not found", slug)
			}
			return h(r, ro)
		}
		org := r.PathValue("org")
		if m.orgs[org] == nil {
			return 0, nil, errNotFound("organization %q not found", org)
		}
		ro := m.roles[roleKey{org, slug}]
		if ro == nil && r.Method == http.MethodGet {
			ro = m.roles[roleKey{"", slug}]
		}
		if ro == nil {
			return 0, nil, errNotFound("role %q not found in organization %q", slug, org)
		}
		return h(r, ro)
	}
}

// roleBody reads the body of a role create.
func roleBody(r *http.Request) (roleInput, error) {
	body, err := decodeBody(r)
	if err != nil {
		return roleInput{}, err
	}
	v, err := body.strs("slug", "name", "resource_type_slug")
	if err != nil {
		return roleInput{}, err
	}
	desc, _, err := body.nullableStr("description")
	if err != nil {
		return roleInput{}, err
	}
	if err := requireField("name", v[1]); err != nil {
		return roleInput{}, err
	}
	return roleInput{slug: v[0], name: v[1], description: desc, typeSlug: v[2]}, nil
}

// createEnvironmentRole serves POST /authorization/roles (#24).
func (f *Fake) createEnvironmentRole(r *http.Request) (int, any, error) {
	in, err := roleBody(r)
	if err != nil {
		return 0, nil, err
	}
	if err := requireField("slug", in.slug); err != nil {
		return 0, nil, err
	}
	ro, err := f.m.addRole(in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, renderRole(ro), nil
}

// createOrganizationRole serves POST /authorization/organizations/{org}/roles
// (#28); without a slug one is generated from the name.
func (f *Fake) createOrganizationRole(r *http.Request) (int, any, error) {
	in, err := roleBody(r)
	if err != nil {
		return 0, nil, err
	}
	in.orgID = r.PathValue("org")
	ro, err := f.m.addRole(in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, renderRole(ro), nil
}

// roleList is the unpaginated role list of #25 and #29: no list_metadata.
func (m *model) roleList(orgID string) listJSON[roleJSON] {
	out := listJSON[roleJSON]{Object: "list", Data: []roleJSON{}}
	for _, org := range []string{"", orgID} {
		var rs []*role
		for k, ro := range m.roles {
			if k.orgID == org {
				rs = append(rs, ro)
			}
		}
		slices.SortFunc(rs, func(a, b *role) int { return int(m.seqOf[a.id] - m.seqOf[b.id]) })
		for _, ro := range rs {
			out.Data = append(out.Data, renderRole(ro))
		}
		if orgID == "" {
			break
		}
	}
	return out
}

// listEnvironmentRoles serves GET /authorization/roles (#25).
func (f *Fake) listEnvironmentRoles(*http.Request) (int, any, error) {
	return http.StatusOK, f.m.roleList(""), nil
}

// listOrganizationRoles serves GET /authorization/organizations/{org}/roles
// (#29): environment roles, then the organization's custom roles.
func (f *Fake) listOrganizationRoles(r *http.Request) (int, any, error) {
	org := r.PathValue("org")
	if f.m.orgs[org] == nil {
		return 0, nil, errNotFound("organization %q not found", org)
	}
	return http.StatusOK, f.m.roleList(org), nil
}

func (f *Fake) getRole(_ *http.Request, ro *role) (int, any, error) {
	return http.StatusOK, renderRole(ro), nil
}

// updateRole serves PATCH of #26 and #30: name and description.
func (f *Fake) updateRole(r *http.Request, ro *role) (int, any, error) {
	name, desc, setDesc, err := nameAndDescription(r)
	if err != nil {
		return 0, nil, err
	}
	if name != nil {
		ro.name = *name
	}
	if setDesc {
		ro.description = desc
	}
	ro.updated = f.m.now()
	f.m.emitRole("updated", ro)
	return http.StatusOK, renderRole(ro), nil
}

// setPermissions serves PUT …/permissions (#27, #31): replaces them all.
func (f *Fake) setPermissions(r *http.Request, ro *role) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil && ro.orgID != "" {
		err = unreadableAs422(err, "") // the organization role operation declares no 400
	}
	if err != nil {
		return 0, nil, err
	}
	perms, ok, err := body.strList("permissions")
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, nil, errInvalid("permissions is required")
	}
	if err := f.m.setRolePermissions(ro.orgID, ro.slug, perms); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderRole(ro), nil
}

// addPermission serves POST …/permissions {"slug"} (#27, #31): adds one
// permission, and does nothing when the role has it already.
func (f *Fake) addPermission(r *http.Request, ro *role) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	slug, err := body.str("slug")
	if err != nil {
		return 0, nil, err
	}
	if err := requireField("slug", slug); err != nil {
		return 0, nil, err
	}
	if err := f.m.setRolePermissions(ro.orgID, ro.slug, append(slices.Clone(ro.permissions), slug)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderRole(ro), nil
}

// removePermission serves DELETE …/roles/{slug}/permissions/{permission}
// (#32): 200 with the role; 404 when the role does not have it.
func (f *Fake) removePermission(r *http.Request, ro *role) (int, any, error) {
	p := r.PathValue("permission")
	i := slices.Index(ro.permissions, p)
	if i < 0 {
		return 0, nil, errNotFound("role %q has no permission %q", ro.slug, p)
	}
	ro.permissions = slices.Delete(slices.Clone(ro.permissions), i, i+1)
	ro.updated = f.m.now()
	f.m.emitRole("updated", ro)
	return http.StatusOK, renderRole(ro), nil
}

// deleteRole serves DELETE /authorization/organizations/{org}/roles/{slug}
// (#30): 204; 409 role_has_assignments while a membership holds it (as an
// assignment or as its organization role), 409 role_has_group_role_mappings
// while a group does.
func (f *Fake) deleteRole(_ *http.Request, ro *role) (int, any, error) {
	m := f.m
	for _, a := range m.assignments {
		if a.roleSlug == ro.slug && a.groupAssignmentID == "" && m.members[a.om] != nil && m.members[a.om].orgID == ro.orgID {
			return 0, nil, errConflict("role_has_assignments", "role %q is still assigned (role assignment %q)", ro.slug, a.id)
		}
	}
	for _, om := range m.members {
		if om.orgID == ro.orgID && slices.Contains(om.roles, ro.slug) {
			return 0, nil, errConflict("role_has_assignments", "role %q is the organization role of membership %q", ro.slug, om.id)
		}
	}
	for _, ga := range m.groupAssignments {
		if ga.roleSlug == ro.slug && m.groups[ga.groupID].orgID == ro.orgID {
			return 0, nil, errConflict("role_has_group_role_mappings", "role %q is assigned to group %q", ro.slug, ga.groupID)
		}
	}
	delete(m.roles, roleKey{ro.orgID, ro.slug})
	m.emitRole("deleted", ro)
	return http.StatusNoContent, nil, nil
}
