package authztest

import "net/http"

func (f *Fake) assignmentRoutes(mux *http.ServeMux) {
	const base = "/authorization/organization_memberships/{om}/role_assignments"
	f.handle(mux, "GET "+base, f.withMembership(f.listMembershipAssignments))
	f.handle(mux, "POST "+base, f.withMembership(f.assign))
	f.handle(mux, "DELETE "+base, f.withMembership(f.unassignByBody))
	f.handle(mux, "DELETE "+base+"/{id}", f.withMembership(f.unassignByID))
	f.handle(mux, "GET /authorization/resources/{id}/role_assignments", f.withResourceByID(f.listResourceAssignments))
	f.handle(mux, "GET /authorization/organizations/{org}/resources/{type}/{ext}/role_assignments", f.withResourceByExternal(f.listResourceAssignments))
}

type membershipHandler func(r *http.Request, om *membership) (int, any, error)

// withMembership resolves {om} of the path, or answers 404.
func (f *Fake) withMembership(h membershipHandler) func(*http.Request) (int, any, error) {
	return func(r *http.Request) (int, any, error) {
		om, err := f.m.membership(r.PathValue("om"))
		if err != nil {
			return 0, nil, err
		}
		return h(r, om)
	}
}

func assignmentID(a *assignment) string { return a.id }

// roleOnTarget reads the body shared by assign (#8) and unassignByBody (#9):
// a role slug and exactly one resource target, resolved in om's organization.
func (f *Fake) roleOnTarget(r *http.Request, om *membership) (string, *resource, error) {
	body, err := decodeBody422(r, "")
	if err != nil {
		return "", nil, err
	}
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
	res, err := f.m.resolveTarget(om.orgID, t)
	if err != nil {
		return "", nil, err
	}
	return slug, res, nil
}

// assign serves POST …/organization_memberships/{om}/role_assignments (#8).
func (f *Fake) assign(r *http.Request, om *membership) (int, any, error) {
	slug, res, err := f.roleOnTarget(r, om)
	if err != nil {
		return 0, nil, err
	}
	a, err := f.m.assign("", om, slug, res)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, f.m.renderAssignment(a), nil
}

// unassignByBody serves DELETE …/role_assignments with a JSON body (#9):
// it removes the membership's direct assignment of the role on the
// resource, or answers 404 when there is none.
func (f *Fake) unassignByBody(r *http.Request, om *membership) (int, any, error) {
	slug, res, err := f.roleOnTarget(r, om)
	if err != nil {
		return 0, nil, err
	}
	for id, a := range f.m.assignments {
		if a.om == om.id && a.roleSlug == slug && a.resourceID == res.id && a.groupAssignmentID == "" {
			delete(f.m.assignments, id)
			return http.StatusNoContent, nil, nil
		}
	}
	return 0, nil, errNotFound("membership %q has no role %q on resource %q", om.id, slug, res.id)
}

// unassignByID serves DELETE …/role_assignments/{id} (#10).
func (f *Fake) unassignByID(r *http.Request, om *membership) (int, any, error) {
	if err := f.m.unassign(om, r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (m *model) unassign(om *membership, id string) error {
	a := m.assignments[id]
	if a == nil || a.om != om.id {
		return errNotFound("role assignment %q not found", id)
	}
	if a.groupAssignmentID != "" {
		return errInvalid("role assignment %q comes from group role assignment %q; remove it from the group", id, a.groupAssignmentID)
	}
	delete(m.assignments, id)
	return nil
}

// listMembershipAssignments serves GET …/{om}/role_assignments (#7), with
// the filters resource_id, resource_external_id and resource_type_slug.
// It lists role assignments (direct and from groups), not the
// membership's organization role.
func (f *Fake) listMembershipAssignments(r *http.Request, om *membership) (int, any, error) {
	m := f.m
	q := r.URL.Query()
	rid, ext, typ := q.Get("resource_id"), q.Get("resource_external_id"), q.Get("resource_type_slug")
	var items []*assignment
	for _, a := range m.assignments {
		res := m.resources[a.resourceID]
		if a.om != om.id || res == nil {
			continue
		}
		if rid != "" && res.id != rid || ext != "" && res.externalID != ext || typ != "" && res.typeSlug != typ {
			continue
		}
		items = append(items, a)
	}
	list, err := paginate(m, q, items, assignmentID, m.renderAssignment)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}

// listResourceAssignments serves #11 and #12, with the role_slug filter.
func (f *Fake) listResourceAssignments(r *http.Request, res *resource) (int, any, error) {
	m := f.m
	q := r.URL.Query()
	slug := q.Get("role_slug")
	var items []*assignment
	for _, a := range m.assignments {
		if a.resourceID == res.id && (slug == "" || a.roleSlug == slug) {
			items = append(items, a)
		}
	}
	list, err := paginate(m, q, items, assignmentID, m.renderAssignment)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}
