package authztest

import "net/http"

func (f *Fake) checkRoutes(mux *http.ServeMux) {
	f.handle(mux, idempotencyCheckPattern, f.check)
}

type checkJSON struct {
	Authorized bool `json:"authorized"`
}

// membership finds the membership a path names, or 404.
func (m *model) membership(id string) (*membership, error) {
	om := m.members[id]
	if om == nil {
		return nil, errNotFound("organization membership %q not found", id)
	}
	return om, nil
}

// check serves POST /authorization/organization_memberships/{om}/check
// (WIRE.md §3 #1, semantics §2 and §7.5).
func (f *Fake) check(r *http.Request) (int, any, error) {
	m := f.m
	om, err := m.membership(r.PathValue("om"))
	if err != nil {
		return 0, nil, err
	}
	body, err := decodeBody422(r, "")
	if err != nil {
		return 0, nil, err
	}
	slug, err := body.str("permission_slug")
	if err != nil {
		return 0, nil, err
	}
	if err := requireField("permission_slug", slug); err != nil {
		return 0, nil, err
	}
	t, err := body.target()
	if err != nil {
		return 0, nil, err
	}
	res, err := m.resolveTarget(om.orgID, t)
	if err != nil {
		return 0, nil, err
	}
	p := m.perms[slug]
	if p == nil {
		return 0, nil, errNotFound("permission %q not found", slug)
	}
	return http.StatusOK, checkJSON{Authorized: m.allowed(om, p, res)}, nil
}
