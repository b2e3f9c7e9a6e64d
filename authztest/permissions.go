package authztest

import (
	"net/http"
	"slices"
)

func (f *Fake) permissionRoutes(mux *http.ServeMux) {
	f.handle(mux, "GET /authorization/permissions", f.listPermissions)
	f.handle(mux, "POST /authorization/permissions", f.createPermission)
	f.handle(mux, "GET /authorization/permissions/{slug}", f.withPermission(f.getPermission))
	f.handle(mux, "PATCH /authorization/permissions/{slug}", f.withPermission(f.updatePermission))
	f.handle(mux, "DELETE /authorization/permissions/{slug}", f.withPermission(f.deletePermission))
}

func permissionID(p *permission) string { return p.id }

func (f *Fake) withPermission(h func(*http.Request, *permission) (int, any, error)) func(*http.Request) (int, any, error) {
	return func(r *http.Request) (int, any, error) {
		p := f.m.perms[r.PathValue("slug")]
		if p == nil {
			return 0, nil, errNotFound("permission %q not found", r.PathValue("slug"))
		}
		return h(r, p)
	}
}

// listPermissions serves GET /authorization/permissions (#21).
func (f *Fake) listPermissions(r *http.Request) (int, any, error) {
	m := f.m
	items := sorted(m, m.perms, permissionID)
	list, err := paginate(m, r.URL.Query(), items, permissionID, renderPermission)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}

// createPermission serves POST /authorization/permissions (#22).
func (f *Fake) createPermission(r *http.Request) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	v, err := body.strs("slug", "name", "resource_type_slug")
	if err != nil {
		return 0, nil, err
	}
	if err := requireField("slug", v[0]); err != nil {
		return 0, nil, err
	}
	if err := requireField("name", v[1]); err != nil {
		return 0, nil, err
	}
	desc, _, err := body.nullableStr("description")
	if err != nil {
		return 0, nil, err
	}
	p, err := f.m.addPermission(permissionInput{slug: v[0], name: v[1], description: desc, typeSlug: v[2]})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, renderPermission(p), nil
}

func (f *Fake) getPermission(_ *http.Request, p *permission) (int, any, error) {
	return http.StatusOK, renderPermission(p), nil
}

// nameAndDescription reads the {name?, description?} body of a PATCH.
func nameAndDescription(r *http.Request) (name *string, desc *string, setDesc bool, err error) {
	body, err := decodeBody(r)
	if err != nil {
		return nil, nil, false, err
	}
	if body.has("name") {
		n, err := body.str("name")
		if err != nil {
			return nil, nil, false, err
		}
		if err := checkName(n, true); err != nil {
			return nil, nil, false, err
		}
		name = &n
	}
	desc, setDesc, err = body.nullableStr("description")
	if err == nil {
		err = checkDescription(desc)
	}
	return name, desc, setDesc, err
}

// updatePermission serves PATCH /authorization/permissions/{slug} (#23).
func (f *Fake) updatePermission(r *http.Request, p *permission) (int, any, error) {
	name, desc, setDesc, err := nameAndDescription(r)
	if err != nil {
		return 0, nil, unreadableAs422(err, "") // the operation declares no 400
	}
	if name != nil {
		p.name = *name
	}
	if setDesc {
		p.description = desc
	}
	p.updated = f.m.now()
	f.m.emit("permission.updated", renderPermission(p))
	return http.StatusOK, renderPermission(p), nil
}

// deletePermission serves DELETE /authorization/permissions/{slug} (#23):
// 204, the permission leaves every role; a system permission is 403.
func (f *Fake) deletePermission(_ *http.Request, p *permission) (int, any, error) {
	m := f.m
	if p.system {
		return 0, nil, errForbidden("system permission %q cannot be deleted", p.slug)
	}
	delete(m.perms, p.slug)
	for _, ro := range m.roles {
		if i := slices.Index(ro.permissions, p.slug); i >= 0 {
			ro.permissions = slices.Delete(slices.Clone(ro.permissions), i, i+1)
		}
	}
	m.emit("permission.deleted", renderPermission(p))
	return http.StatusNoContent, nil, nil
}
