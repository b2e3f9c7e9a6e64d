package authztest

import (
	"encoding/json"
	"net/http"
	"slices"
)

// maxGroupRoleAssignments caps a PUT of a group's role assignments.
const maxGroupRoleAssignments = 100

func (f *Fake) groupRoutes(mux *http.ServeMux) {
	const base = "/authorization/groups/{group}/role_assignments"
	f.handle(mux, "GET "+base, f.withGroup(f.listGroupAssignments))
	f.handle(mux, "POST "+base, f.withGroup(f.assignGroupRole))
	f.handle(mux, "PUT "+base, f.withGroup(f.replaceGroupAssignments))
	f.handle(mux, "DELETE "+base, f.withGroup(f.removeGroupRole))
	f.handle(mux, "GET "+base+"/{id}", f.withGroup(f.getGroupAssignment))
	f.handle(mux, "DELETE "+base+"/{id}", f.withGroup(f.deleteGroupAssignment))
}

func groupAssignmentID(g *groupAssignment) string { return g.id }

func (f *Fake) withGroup(h func(*http.Request, *group) (int, any, error)) func(*http.Request) (int, any, error) {
	return func(r *http.Request) (int, any, error) {
		g, err := f.m.group(r.PathValue("group"))
		if err != nil {
			return 0, nil, err
		}
		return h(r, g)
	}
}

// groupTarget resolves a body's resource target for group g: none means
// the organization itself.
func (m *model) groupTarget(g *group, t target) (*resource, error) {
	if t == (target{}) {
		return m.resources[m.orgs[g.orgID].rootID], nil
	}
	return m.resolveTarget(g.orgID, t)
}

// roleAndTarget reads {role_slug, resource target} for group g.
func (m *model) roleAndTarget(g *group, body jsonObject) (string, *resource, error) {
	slug, err := body.str("role_slug")
	if err != nil {
		return "", nil, err
	}
	if err := requireField("role_slug", slug); err != nil {
		return "", nil, err
	}
	t, err := body.target()
	if err != nil {
		return "", nil, err
	}
	res, err := m.groupTarget(g, t)
	return slug, res, err
}

// listGroupAssignments serves GET /authorization/groups/{group}/role_assignments (#33).
func (f *Fake) listGroupAssignments(r *http.Request, g *group) (int, any, error) {
	m := f.m
	var items []*groupAssignment
	for _, ga := range m.groupAssignments {
		if ga.groupID == g.id {
			items = append(items, ga)
		}
	}
	list, err := paginate(m, r.URL.Query(), items, groupAssignmentID, m.renderGroupAssignment)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}

// assignGroupRole serves POST …/groups/{group}/role_assignments (#33): 201.
func (f *Fake) assignGroupRole(r *http.Request, g *group) (int, any, error) {
	body, err := decodeBody422(r, "")
	if err != nil {
		return 0, nil, err
	}
	slug, res, err := f.m.roleAndTarget(g, body)
	if err != nil {
		return 0, nil, err
	}
	ga, err := f.m.assignGroup("", g, slug, res)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, f.m.renderGroupAssignment(ga), nil
}

// replaceGroupAssignments serves PUT …/groups/{group}/role_assignments
// (#33): the list becomes the group's complete set of role assignments.
// Entries already present keep their IDs. Every entry is checked before
// anything changes.
func (f *Fake) replaceGroupAssignments(r *http.Request, g *group) (int, any, error) {
	m := f.m
	body, err := decodeBody422(r, "")
	if err != nil {
		return 0, nil, err
	}
	if !body.has("role_assignments") {
		return 0, nil, errInvalid("role_assignments is required")
	}
	var entries []jsonObject
	if err := json.Unmarshal(body["role_assignments"], &entries); err != nil || body.isNull("role_assignments") || slices.ContainsFunc(entries, func(e jsonObject) bool { return e == nil }) {
		return 0, nil, errInvalid("role_assignments must be a list of objects")
	}
	if len(entries) > maxGroupRoleAssignments {
		return 0, nil, errInvalid("role_assignments has %d entries, at most %d allowed", len(entries), maxGroupRoleAssignments)
	}
	type want struct{ slug, resourceID string }
	var wanted []want
	for _, e := range entries {
		slug, res, err := m.roleAndTarget(g, e)
		if err != nil {
			return 0, nil, err
		}
		ro := m.roleFor(g.orgID, slug)
		if ro == nil {
			return 0, nil, errNotFound("role %q not found", slug)
		}
		if ro.typeSlug != res.typeSlug {
			return 0, nil, errInvalid("role %q is scoped to %q and cannot be assigned on a %s", slug, ro.typeSlug, res.typeSlug)
		}
		wanted = append(wanted, want{slug, res.id})
	}
	keep := map[want]bool{}
	for _, ga := range m.groupAssignments {
		if ga.groupID != g.id {
			continue
		}
		w := want{ga.roleSlug, ga.resourceID}
		if slices.Contains(wanted, w) {
			keep[w] = true
		} else {
			m.unassignGroup(ga)
		}
	}
	for _, w := range wanted {
		if keep[w] {
			continue
		}
		keep[w] = true
		if _, err := m.assignGroup("", g, w.slug, m.resources[w.resourceID]); err != nil {
			return 0, nil, err // cannot happen: checked above
		}
	}
	// The answer lists all of them (at most 100), oldest first.
	out := listJSON[groupAssignmentJSON]{Object: "list", Data: []groupAssignmentJSON{}, ListMetadata: &listMetadata{}}
	for _, ga := range sorted(m, m.groupAssignments, groupAssignmentID) {
		if ga.groupID == g.id {
			out.Data = append(out.Data, m.renderGroupAssignment(ga))
		}
	}
	return http.StatusOK, out, nil
}

// removeGroupRole serves DELETE …/groups/{group}/role_assignments with a
// body (#33): 204, or 404 when nothing matches.
func (f *Fake) removeGroupRole(r *http.Request, g *group) (int, any, error) {
	body, err := decodeBody422(r, "")
	if err != nil {
		return 0, nil, err
	}
	slug, res, err := f.m.roleAndTarget(g, body)
	if err != nil {
		return 0, nil, err
	}
	for _, ga := range f.m.groupAssignments {
		if ga.groupID == g.id && ga.roleSlug == slug && ga.resourceID == res.id {
			f.m.unassignGroup(ga)
			return http.StatusNoContent, nil, nil
		}
	}
	return 0, nil, errNotFound("group %q has no role %q on resource %q", g.id, slug, res.id)
}

func (f *Fake) groupAssignment(r *http.Request, g *group) (*groupAssignment, error) {
	ga := f.m.groupAssignments[r.PathValue("id")]
	if ga == nil || ga.groupID != g.id {
		return nil, errNotFound("group role assignment %q not found", r.PathValue("id"))
	}
	return ga, nil
}

// getGroupAssignment serves GET …/role_assignments/{id} (#34).
func (f *Fake) getGroupAssignment(r *http.Request, g *group) (int, any, error) {
	ga, err := f.groupAssignment(r, g)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, f.m.renderGroupAssignment(ga), nil
}

// deleteGroupAssignment serves DELETE …/role_assignments/{id} (#34): 204.
func (f *Fake) deleteGroupAssignment(r *http.Request, g *group) (int, any, error) {
	ga, err := f.groupAssignment(r, g)
	if err != nil {
		return 0, nil, err
	}
	f.m.unassignGroup(ga)
	return http.StatusNoContent, nil, nil
}
