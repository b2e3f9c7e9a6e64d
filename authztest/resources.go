package authztest

import (
	"net/http"
	"strings"
)

func (f *Fake) resourceRoutes(mux *http.ServeMux) {
	f.handle(mux, "POST /authorization/resources", f.createResource)
	f.handle(mux, "GET /authorization/resources", f.listResources)
	f.handle(mux, "GET /authorization/resources/{id}", f.withResourceByID(f.getResource))
	f.handle(mux, "PATCH /authorization/resources/{id}", f.withResourceByID(f.updateResource))
	f.handle(mux, "DELETE /authorization/resources/{id}", f.withResourceByID(f.deleteResource))
	const ext = "/authorization/organizations/{org}/resources/{type}/{ext}"
	f.handle(mux, "GET "+ext, f.withResourceByExternal(f.getResource))
	f.handle(mux, "PATCH "+ext, f.withResourceByExternal(f.updateResource))
	f.handle(mux, "DELETE "+ext, f.withResourceByExternal(f.deleteResource))
}

type resourceHandler func(r *http.Request, res *resource) (int, any, error)

// withResourceByID resolves {id} of the path, or answers 404.
func (f *Fake) withResourceByID(h resourceHandler) func(*http.Request) (int, any, error) {
	return func(r *http.Request) (int, any, error) {
		res := f.m.resources[r.PathValue("id")]
		if res == nil {
			return 0, nil, errNotFound("resource %q not found", r.PathValue("id"))
		}
		return h(r, res)
	}
}

// withResourceByExternal resolves {org}/{type}/{ext} of the path, or
// answers 404.
func (f *Fake) withResourceByExternal(h resourceHandler) func(*http.Request) (int, any, error) {
	return func(r *http.Request) (int, any, error) {
		res, err := f.m.resourceByPath(r)
		if err != nil {
			return 0, nil, err
		}
		return h(r, res)
	}
}

func (m *model) resourceByPath(r *http.Request) (*resource, error) {
	org, typ, ext := r.PathValue("org"), r.PathValue("type"), r.PathValue("ext")
	if m.orgs[org] == nil {
		return nil, errNotFound("organization %q not found", org)
	}
	res := m.resourceByExternal(org, typ, ext)
	if res == nil {
		return nil, errNotFound("%s %q not found in organization %q", typ, ext, org)
	}
	return res, nil
}

// parentFromBody reads the optional parent of a create or update body. The
// two forms are mutually exclusive by key (the spec's
// x-mutually-exclusive-body-groups parent_resource). parent_resource_id is
// nullable on a create only (null: directly under the organization); every
// other parent field, and parent_resource_id on an update, refuses null.
func parentFromBody(body jsonObject, create bool) (parentRef, error) {
	if err := body.exclusive("parent_resource_id", []string{"parent_resource_external_id", "parent_resource_type_slug"},
		"give the parent either as parent_resource_id or as parent_resource_external_id with parent_resource_type_slug, not both"); err != nil {
		return parentRef{}, err
	}
	var p parentRef
	if create && body.isNull("parent_resource_id") {
		return p, nil
	}
	v, err := body.strs("parent_resource_id", "parent_resource_external_id", "parent_resource_type_slug")
	if err != nil {
		return parentRef{}, err
	}
	return parentRef{id: v[0], externalID: v[1], typeSlug: v[2]}, nil
}

// createResource serves POST /authorization/resources (#14).
func (f *Fake) createResource(r *http.Request) (int, any, error) {
	body, err := decodeBody(r)
	if err != nil {
		return 0, nil, err
	}
	v, err := body.strs("external_id", "name", "resource_type_slug", "organization_id")
	if err != nil {
		return 0, nil, err
	}
	desc, _, err := body.nullableStr("description")
	if err != nil {
		return 0, nil, err
	}
	parent, err := parentFromBody(body, true)
	if err != nil {
		return 0, nil, err
	}
	res, err := f.m.createResource(resourceInput{externalID: v[0], name: v[1], description: desc,
		typeSlug: v[2], orgID: v[3], parent: parent})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, f.m.renderResource(res), nil
}

// getResource serves #15 and #18.
func (f *Fake) getResource(_ *http.Request, res *resource) (int, any, error) {
	return http.StatusOK, f.m.renderResource(res), nil
}

// updateResource serves #16 and #19: name, description and a new parent.
func (f *Fake) updateResource(r *http.Request, res *resource) (int, any, error) {
	body, err := decodeBody422(r, "")
	if err != nil {
		return 0, nil, err
	}
	var u resourceUpdate
	if body.has("name") {
		name, err := body.str("name")
		if err != nil {
			return 0, nil, err
		}
		u.name = &name
	}
	if u.description, u.setDesc, err = body.nullableStr("description"); err != nil {
		return 0, nil, err
	}
	if u.parent, err = parentFromBody(body, false); err != nil {
		return 0, nil, err
	}
	// external_id is not in the spec's update body (it never changes): the
	// fake refuses a different one, and ignores null as any unknown field.
	if !body.isNull("external_id") {
		ext, err := body.str("external_id")
		if err != nil {
			return 0, nil, err
		}
		if ext != "" && ext != res.externalID {
			return 0, nil, errInvalid("external_id cannot change")
		}
	}
	if err := f.m.updateResource(res, u); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, f.m.renderResource(res), nil
}

// deleteResource serves #17 and #20, with ?cascade_delete=.
func (f *Fake) deleteResource(r *http.Request, res *resource) (int, any, error) {
	var cascade bool
	switch strings.ToLower(r.URL.Query().Get("cascade_delete")) {
	case "", "false":
	case "true":
		cascade = true
	default:
		return 0, nil, errInvalid("cascade_delete must be true or false")
	}
	if err := f.m.deleteResource(res, cascade); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// listResources serves GET /authorization/resources (#13). The filters
// combine with AND; organization_id or resource_type_slug is required (the
// spec's 400 missing_organization_id_or_resource_type_slug), and the two
// parent forms are mutually exclusive (x-mutually-exclusive-parameter-groups:
// 422).
func (f *Fake) listResources(r *http.Request) (int, any, error) {
	m := f.m
	q := r.URL.Query()
	org, typ, ext := q.Get("organization_id"), q.Get("resource_type_slug"), q.Get("resource_external_id")
	parentID, parentType, parentExt := q.Get("parent_resource_id"), q.Get("parent_resource_type_slug"), q.Get("parent_external_id")
	if org == "" && typ == "" {
		return 0, nil, &apiError{status: http.StatusBadRequest, code: "missing_organization_id_or_resource_type_slug",
			message: "organization_id or resource_type_slug is required"}
	}
	if parentID != "" && (parentType != "" || parentExt != "") {
		return 0, nil, errInvalid("parent_resource_id is mutually exclusive with parent_resource_type_slug and parent_external_id: name the parent one way")
	}
	if (parentType == "") != (parentExt == "") {
		return 0, nil, errInvalid("parent_resource_type_slug and parent_external_id go together")
	}
	var items []*resource
	for _, res := range m.resources {
		if org != "" && res.orgID != org || typ != "" && res.typeSlug != typ || ext != "" && res.externalID != ext {
			continue
		}
		if parentID != "" && res.parentID != parentID {
			continue
		}
		if parentType != "" {
			p := m.resources[res.parentID]
			if p == nil || p.typeSlug != parentType || p.externalID != parentExt {
				continue
			}
		}
		items = append(items, res)
	}
	list, err := paginate(m, q, items, resID, m.renderResource)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}
