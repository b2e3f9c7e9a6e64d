package authztest

import (
	"net/http"
	"slices"
	"unicode/utf8"
)

// Groups and their members over HTTP (WIRE.md §1.7; the official spec's
// /organizations/{organizationId}/groups operations). Every write is one
// model function — addGroup (groups_model.go), updateGroup, deleteGroup,
// addGroupMember, removeGroupMember — so what follows a write is added in
// one place each.

// maxGroupName is the longest group name (CreateGroupDto maxLength).
const maxGroupName = 256

func groupID(g *group) string { return g.id }

func checkGroupName(name string) error {
	if name == "" {
		return errInvalid("name is required")
	}
	if utf8.RuneCountInString(name) > maxGroupName {
		return errInvalid("name must be at most %d characters", maxGroupName)
	}
	return nil
}

// updateGroup changes a group's name and/or description (nil name: keep;
// clearDescription: set it to null).
func (m *model) updateGroup(g *group, name *string, description *string, descriptionGiven bool) error {
	if name != nil {
		if err := checkGroupName(*name); err != nil {
			return err
		}
	}
	if err := checkDescription(description); err != nil {
		return err
	}
	if name != nil {
		g.name = *name
	}
	if descriptionGiven {
		g.description = description
	}
	g.updated = m.now()
	m.emit("group.updated", renderGroup(g))
	return nil
}

// deleteGroup removes a group, its role assignments and what they granted
// its members (WIRE.md §1.7).
func (m *model) deleteGroup(g *group) {
	for _, ga := range sorted(m, m.groupAssignments, groupAssignmentID) {
		if ga.groupID == g.id {
			m.unassignGroup(ga)
		}
	}
	delete(m.groups, g.id)
	m.emit("group.deleted", renderGroup(g))
}

func (f *Fake) groupManagementRoutes(mux *http.ServeMux) {
	const base = "/organizations/{org}/groups"
	f.handle(mux, "POST "+base, f.withOrganization(f.createGroup))
	f.handle(mux, "GET "+base, f.withOrganization(f.listGroups))
	f.handle(mux, "GET "+base+"/{group}", f.withOrgGroup(f.getGroup))
	f.handle(mux, "PATCH "+base+"/{group}", f.withOrgGroup(f.patchGroup))
	f.handle(mux, "DELETE "+base+"/{group}", f.withOrgGroup(f.deleteGroupHTTP))
	f.handle(mux, "POST "+base+"/{group}/organization-memberships", f.withOrgGroup(f.addGroupMemberHTTP))
	f.handle(mux, "GET "+base+"/{group}/organization-memberships", f.withOrgGroup(f.listGroupMembers))
	f.handle(mux, "DELETE "+base+"/{group}/organization-memberships/{om}", f.withOrgGroup(f.removeGroupMemberHTTP))
}

func (f *Fake) withOrganization(h func(*http.Request, *organization) (int, any, error)) func(*http.Request) (int, any, error) {
	return func(r *http.Request) (int, any, error) {
		o := f.m.orgs[r.PathValue("org")]
		if o == nil {
			return 0, nil, errNotFound("Organization not found: '%s'.", r.PathValue("org"))
		}
		return h(r, o)
	}
}

// withOrgGroup finds the group of the path's organization; a group of
// another organization is not found.
func (f *Fake) withOrgGroup(h func(*http.Request, *group) (int, any, error)) func(*http.Request) (int, any, error) {
	return f.withOrganization(func(r *http.Request, o *organization) (int, any, error) {
		g := f.m.groups[r.PathValue("group")]
		if g == nil || g.orgID != o.id {
			return 0, nil, errNotFound("group %q not found", r.PathValue("group"))
		}
		return h(r, g)
	})
}

// createGroup serves POST /organizations/{org}/groups: {name, description?} → 201.
func (f *Fake) createGroup(r *http.Request, o *organization) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	name, err := body.str("name")
	if err != nil {
		return 0, nil, err
	}
	if err := checkGroupName(name); err != nil {
		return 0, nil, err
	}
	desc, _, err := body.nullableStr("description")
	if err != nil {
		return 0, nil, err
	}
	g, err := f.m.addGroup("", o.id, name, desc)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, renderGroup(g), nil
}

// listGroups serves GET /organizations/{org}/groups, paginated.
func (f *Fake) listGroups(r *http.Request, o *organization) (int, any, error) {
	var items []*group
	for _, g := range f.m.groups {
		if g.orgID == o.id {
			items = append(items, g)
		}
	}
	list, err := paginate(f.m, r.URL.Query(), items, groupID, renderGroup)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}

// getGroup serves GET /organizations/{org}/groups/{group}.
func (f *Fake) getGroup(r *http.Request, g *group) (int, any, error) {
	return http.StatusOK, renderGroup(g), nil
}

// patchGroup serves PATCH /organizations/{org}/groups/{group}: name and
// description (null clears it), each optional.
func (f *Fake) patchGroup(r *http.Request, g *group) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	var name *string
	if _, ok := body["name"]; ok {
		s, err := body.str("name")
		if err != nil {
			return 0, nil, err
		}
		name = &s
	}
	desc, descGiven, err := body.nullableStr("description")
	if err != nil {
		return 0, nil, err
	}
	if err := f.m.updateGroup(g, name, desc, descGiven); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderGroup(g), nil
}

// deleteGroupHTTP serves DELETE /organizations/{org}/groups/{group}: 204.
func (f *Fake) deleteGroupHTTP(r *http.Request, g *group) (int, any, error) {
	f.m.deleteGroup(g)
	return http.StatusNoContent, nil, nil
}

// addGroupMemberHTTP serves POST …/groups/{group}/organization-memberships:
// {organization_membership_id} → 200 with the group. The member receives
// the group's role assignments at once. A membership of another
// organization is 404, one already in the group is no change.
func (f *Fake) addGroupMemberHTTP(r *http.Request, g *group) (int, any, error) {
	body, err := decodeBody422(r, "")
	if err != nil {
		return 0, nil, err
	}
	id, err := body.str("organization_membership_id")
	if err != nil {
		return 0, nil, err
	}
	if err := requireField("organization_membership_id", id); err != nil {
		return 0, nil, err
	}
	if om := f.m.members[id]; om == nil || om.orgID != g.orgID {
		return 0, nil, errNotFound("organization membership %q not found", id)
	}
	if err := f.m.addGroupMember(g, id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, renderGroup(g), nil
}

// listGroupMembers serves GET …/groups/{group}/organization-memberships:
// the members, paginated by the memberships' creation.
func (f *Fake) listGroupMembers(r *http.Request, g *group) (int, any, error) {
	var items []*membership
	for _, id := range g.members {
		if om := f.m.members[id]; om != nil {
			items = append(items, om)
		}
	}
	list, err := paginate(f.m, r.URL.Query(), items, omID, f.m.renderBaseMembership)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}

// removeGroupMemberHTTP serves DELETE
// …/groups/{group}/organization-memberships/{om}: 204; the member loses the
// group's role assignments. Not a member: 404.
func (f *Fake) removeGroupMemberHTTP(r *http.Request, g *group) (int, any, error) {
	id := r.PathValue("om")
	if !slices.Contains(g.members, id) {
		return 0, nil, errNotFound("organization membership %q is not in group %q", id, g.id)
	}
	if err := f.m.removeGroupMember(g, id); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// DeleteGroup deletes a group with its role assignments: its members lose
// the roles they had through it.
func (f *Fake) DeleteGroup(groupID string) {
	f.helper()
	if !f.open("DeleteGroup") {
		return
	}
	f.mu.Lock()
	g, err := f.m.group(groupID)
	if err == nil {
		f.m.deleteGroup(g)
	}
	f.mu.Unlock()
	if err != nil {
		f.fail("DeleteGroup", err)
	}
}
