package authztest

import (
	"net/http"
	"slices"
)

func (f *Fake) discoveryRoutes(mux *http.ServeMux) {
	const om = "/authorization/organization_memberships/{om}"
	f.handle(mux, "GET "+om+"/resources", f.withMembership(f.accessibleResources))
	f.handle(mux, "GET "+om+"/resources/{id}/permissions", f.withMembership(f.effectivePermissionsByID))
	f.handle(mux, "GET /authorization/resources/{id}/organization_memberships/{om}/permissions", f.withMembership(f.effectivePermissionsByID))
	f.handle(mux, "GET "+om+"/resources/{type}/{ext}/permissions", f.withMembership(f.effectivePermissionsByExternal))
	f.handle(mux, "GET /authorization/resources/{id}/organization_memberships", f.withResourceByID(f.membershipsWithAccess))
	f.handle(mux, "GET /authorization/organizations/{org}/resources/{type}/{ext}/organization_memberships", f.withResourceByExternal(f.membershipsWithAccess))
}

// permissionParam reads the required permission_slug query parameter.
func (m *model) permissionParam(r *http.Request) (*permission, error) {
	slug := r.URL.Query().Get("permission_slug")
	if slug == "" {
		return nil, errInvalid("permission_slug is required")
	}
	p := m.perms[slug]
	if p == nil {
		return nil, errNotFound("permission %q not found", slug)
	}
	return p, nil
}

// accessibleResources serves GET …/organization_memberships/{om}/resources
// (#2): the parent's direct children of the permission's type on which the
// membership holds the permission by any route (WIRE.md §7.4).
func (f *Fake) accessibleResources(r *http.Request, om *membership) (int, any, error) {
	m := f.m
	q := r.URL.Query()
	id, ext, typ := q.Get("parent_resource_id"), q.Get("parent_resource_external_id"), q.Get("parent_resource_type_slug")
	if id != "" && (ext != "" || typ != "") || id == "" && (ext == "" || typ == "") {
		return 0, nil, errBadRequest("give parent_resource_id, or parent_resource_external_id with parent_resource_type_slug")
	}
	p, err := m.permissionParam(r)
	if err != nil {
		return 0, nil, err
	}
	parent, err := m.resolveTarget(om.orgID, target{id: id, externalID: ext, typeSlug: typ})
	if err != nil {
		return 0, nil, err
	}
	var items []*resource
	for _, c := range m.children(parent.id) {
		if m.allowed(om, p, c) {
			items = append(items, c)
		}
	}
	list, err := paginate(m, q, items, resID, m.renderResource)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}

func (f *Fake) effectivePermissionsByID(r *http.Request, om *membership) (int, any, error) {
	res, err := f.m.resolveTarget(om.orgID, target{id: r.PathValue("id")})
	if err != nil {
		return 0, nil, err
	}
	return f.effectivePermissions(r, om, res)
}

func (f *Fake) effectivePermissionsByExternal(r *http.Request, om *membership) (int, any, error) {
	res, err := f.m.resolveTarget(om.orgID, target{externalID: r.PathValue("ext"), typeSlug: r.PathValue("type")})
	if err != nil {
		return 0, nil, err
	}
	return f.effectivePermissions(r, om, res)
}

// effectivePermissions serves #3 (both paths, WIRE.md §7.1) and #4: the
// permissions of the resource's type that a check would grant.
func (f *Fake) effectivePermissions(r *http.Request, om *membership, res *resource) (int, any, error) {
	m := f.m
	list, err := paginate(m, r.URL.Query(), m.effective(om, res), permissionID, renderPermission)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}

// membershipsWithAccess serves #5 and #6. assignment=direct (the default)
// lists memberships holding the permission through a role assigned on the
// resource itself (directly or through a group); indirect lists every
// membership a check would allow.
func (f *Fake) membershipsWithAccess(r *http.Request, res *resource) (int, any, error) {
	m := f.m
	q := r.URL.Query()
	p, err := m.permissionParam(r)
	if err != nil {
		return 0, nil, err
	}
	direct := true
	switch q.Get("assignment") {
	case "", "direct":
	case "indirect":
		direct = false
	default:
		return 0, nil, errInvalid("assignment must be direct or indirect")
	}
	var items []*membership
	for _, om := range m.members {
		if om.orgID != res.orgID {
			continue
		}
		if direct && m.directlyHolds(om, p, res) || !direct && m.allowed(om, p, res) {
			items = append(items, om)
		}
	}
	list, err := paginate(m, q, items, omID, m.renderMembership)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}

// directlyHolds reports whether a role assigned to om on res itself
// contains p. An inactive membership holds nothing.
func (m *model) directlyHolds(om *membership, p *permission, res *resource) bool {
	if p.typeSlug != res.typeSlug || om.status == statusInactive {
		return false
	}
	for _, a := range m.assignments {
		if a.om == om.id && a.resourceID == res.id {
			if ro := m.roleFor(om.orgID, a.roleSlug); ro != nil && slices.Contains(ro.permissions, p.slug) {
				return true
			}
		}
	}
	return false
}
