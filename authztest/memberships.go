package authztest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Organization memberships (WIRE.md §1.5, §8; the official spec's
// /user_management/organization_memberships operations). Every write is one
// model function below — createMembership, updateMembershipRoles,
// setMembershipStatus, deleteMembership — so what follows a write (an
// event, for instance) is added in one place each.

// Membership statuses.
const (
	statusActive   = "active"
	statusInactive = "inactive"
	statusPending  = "pending"
)

// defaultMembershipRole is the role a membership given no role gets — over
// HTTP without role_slug or role_slugs, from Go setup or a fixture without
// a role (WIRE.md §1.5: "if none is given, the default role is used";
// WorkOS's default is "member"); see model.defaultRoles.
const defaultMembershipRole = "member"

// membershipRoles validates the organization roles a membership is given
// over HTTP: each must exist for the organization (else 422 invalid_role)
// and be scoped to the organization (else 422
// sub_resource_scoped_role_not_allowed with role_slug).
func (m *model) membershipRoles(orgID string, slugs []string) ([]string, error) {
	slugs = dedupe(slugs)
	if err := m.checkOrgRoles(orgID, slugs); err != nil {
		return nil, err
	}
	return slugs, nil
}

// readMembershipRoles reads role_slug or role_slugs (mutually exclusive,
// x-mutually-exclusive-body-groups of the spec). present is false when
// neither is given. Neither is nullable: a key sent as null is given, and
// refused as the wrong type (the spec's oneOf matches no variant).
func readMembershipRoles(body jsonObject) (slugs []string, present bool, err error) {
	_, single := body["role_slug"]
	_, multiple := body["role_slugs"]
	switch {
	case single && multiple:
		return nil, false, errInvalidCode("invalid_request_parameters", "give role_slug or role_slugs, not both")
	case single:
		if !body.has("role_slug") {
			return nil, false, errInvalidCode("invalid_request_parameters", "role_slug must be a string")
		}
		s, err := body.str("role_slug")
		if err != nil {
			return nil, false, asParamError(err)
		}
		if s == "" {
			return nil, false, errInvalidCode("invalid_request_parameters", "role_slug must not be empty")
		}
		return []string{s}, true, nil
	case multiple:
		if !body.has("role_slugs") {
			return nil, false, errInvalidCode("invalid_request_parameters", "role_slugs must be a list of strings")
		}
		l, _, err := body.strList("role_slugs")
		if err != nil {
			return nil, false, asParamError(err)
		}
		if len(l) == 0 {
			return nil, false, errInvalidCode("invalid_request_parameters", "role_slugs must name at least one role")
		}
		for _, s := range l {
			if s == "" {
				return nil, false, errInvalidCode("invalid_request_parameters", "role_slugs must not contain an empty slug")
			}
		}
		return l, true, nil
	}
	return nil, false, nil
}

// asParamError gives a validation error the code the membership operations
// declare for their 422 answers (invalid_request_parameters).
func asParamError(err error) error {
	if e, ok := err.(*apiError); ok && e.status == http.StatusUnprocessableEntity && e.code == "" {
		return &apiError{status: e.status, code: "invalid_request_parameters", message: e.message}
	}
	return err
}

// createMembership is POST /user_management/organization_memberships: a
// new active membership, or the reactivation (with the given roles) of the
// user's inactive membership in the organization. A pending one is 400
// cannot_reactivate_pending_organization_membership; an active one 422.
// created reports whether a new membership was made.
func (m *model) createMembership(userID, orgID string, roles []string, rolesGiven bool) (om *membership, created bool, err error) {
	if userID == "" {
		return nil, false, errInvalidCode("invalid_request_parameters", "user_id is required")
	}
	if orgID == "" {
		return nil, false, errInvalidCode("invalid_request_parameters", "organization_id is required")
	}
	if m.orgs[orgID] == nil {
		return nil, false, errNotFound("Organization not found: '%s'.", orgID)
	}
	if !rolesGiven {
		if roles, err = m.defaultRoles(); err != nil {
			return nil, false, err
		}
	}
	roles, err = m.membershipRoles(orgID, roles)
	if err != nil {
		return nil, false, err
	}
	for _, old := range sorted(m, m.members, omID) {
		if old.userID != userID || old.orgID != orgID {
			continue
		}
		switch old.status {
		case statusPending:
			return nil, false, &apiError{status: http.StatusBadRequest, code: "cannot_reactivate_pending_organization_membership",
				message: "A pending organization membership cannot be reactivated. The user needs to accept the invitation instead."}
		case statusInactive:
			old.roles = roles
			old.status = statusActive
			old.updated = m.now()
			m.emit("organization_membership.updated", renderMembershipEvent(old))
			return old, false, nil
		default:
			return nil, false, errInvalidCode("invalid_request_parameters",
				"user %q is already a member of organization %q (%s)", userID, orgID, old.id)
		}
	}
	om, err = m.addMembership(membershipInput{userID: userID, orgID: orgID, roles: roles})
	return om, err == nil, err
}

// updateMembershipRoles replaces the organization roles of om. Checks see
// the change at once; tokens minted from now on carry the new roles.
func (m *model) updateMembershipRoles(om *membership, roles []string) error {
	if len(roles) == 0 { // Go setup only: HTTP refuses an empty list
		var err error
		if roles, err = m.defaultRoles(); err != nil {
			return err
		}
	}
	roles, err := m.membershipRoles(om.orgID, roles)
	if err != nil {
		return err
	}
	om.roles = roles
	om.updated = m.now()
	m.emit("organization_membership.updated", renderMembershipEvent(om))
	return nil
}

// setMembershipStatus deactivates (active → inactive) or reactivates
// (inactive → active) om. The other direction is a no-op (changed false);
// a pending membership is 400. While inactive, every check of om denies.
func (m *model) setMembershipStatus(om *membership, active bool) (changed bool, err error) {
	if om.status == statusPending {
		if active {
			return false, &apiError{status: http.StatusBadRequest, code: "cannot_reactivate_pending_organization_membership",
				message: "A pending organization membership cannot be reactivated. The user needs to accept the invitation instead."}
		}
		return false, &apiError{status: http.StatusBadRequest, code: "cannot_deactivate_pending_organization_membership",
			message: "A pending organization membership cannot be deactivated. This membership should be deleted instead."}
	}
	want := statusInactive
	if active {
		want = statusActive
	}
	if om.status == want {
		return false, nil
	}
	om.status = want
	om.updated = m.now()
	m.emit("organization_membership.updated", renderMembershipEvent(om))
	return true, nil
}

// deleteMembership removes om with its role assignments (direct and from
// groups) and its group memberships (WIRE.md §1.5).
func (m *model) deleteMembership(om *membership) {
	for _, g := range sorted(m, m.groups, groupID) { // in a stable order, for what follows each removal
		if slices.Contains(g.members, om.id) {
			m.removeGroupMember(g, om.id)
		}
	}
	for id, a := range m.assignments {
		if a.om == om.id {
			delete(m.assignments, id)
		}
	}
	delete(m.members, om.id)
	m.emit("organization_membership.deleted", renderMembershipEvent(om))
}

func omID(om *membership) string { return om.id }

// The JSON of the user management membership operations
// (UserlandUserOrganizationMembership): the discovery shape plus role,
// roles and the complete user.

type userlandUserJSON struct {
	userHeadJSON
	Metadata     map[string]string `json:"metadata"`
	LastSignInAt *string           `json:"last_sign_in_at"`
	CreatedAt    string            `json:"created_at"`
	UpdatedAt    string            `json:"updated_at"`
}

type userlandMembershipJSON struct {
	membershipHeadJSON
	CustomAttributes map[string]any   `json:"custom_attributes"`
	Role             *slugJSON        `json:"role"`
	Roles            []slugJSON       `json:"roles"`
	User             userlandUserJSON `json:"user"`
	CreatedAt        string           `json:"created_at"`
	UpdatedAt        string           `json:"updated_at"`
}

// baseMembershipJSON is a membership in a group's member list
// (UserlandUserOrganizationMembershipBaseList): no role, no user.
type baseMembershipJSON struct {
	membershipHeadJSON
	CustomAttributes map[string]any `json:"custom_attributes"`
	CreatedAt        string         `json:"created_at"`
	UpdatedAt        string         `json:"updated_at"`
}

func (m *model) renderBaseMembership(om *membership) baseMembershipJSON {
	d := m.renderMembership(om)
	return baseMembershipJSON{membershipHeadJSON: d.membershipHeadJSON, CustomAttributes: map[string]any{},
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// renderUserlandMembership renders om with its roles and its user.
func (m *model) renderUserlandMembership(om *membership) userlandMembershipJSON {
	d := m.renderMembership(om)
	role, roles := membershipRolesJSON(om)
	return userlandMembershipJSON{membershipHeadJSON: d.membershipHeadJSON, CustomAttributes: map[string]any{},
		Role: role, Roles: roles,
		User: userlandUserJSON{userHeadJSON: d.User.userHeadJSON, Metadata: map[string]string{},
			LastSignInAt: d.User.LastSignInAt, CreatedAt: d.User.CreatedAt, UpdatedAt: d.User.UpdatedAt},
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// membershipRolesJSON renders om's organization roles as the membership
// answers and events carry them: roles, and role, the first of them
// (every membership has at least one, see model.defaultRoles; null
// otherwise).
func membershipRolesJSON(om *membership) (role *slugJSON, roles []slugJSON) {
	roles = []slugJSON{}
	for _, s := range om.roles {
		roles = append(roles, slugJSON{s})
	}
	if len(roles) > 0 {
		role = &roles[0]
	}
	return role, roles
}

func (f *Fake) membershipRoutes(mux *http.ServeMux) {
	const base = "/user_management/organization_memberships"
	f.handle(mux, "GET "+base, f.listMemberships)
	f.handle(mux, "POST "+base, f.createMembershipHTTP)
	f.handle(mux, "GET "+base+"/{om}", f.withMembership(f.getMembership))
	f.handle(mux, "PUT "+base+"/{om}", f.withMembership(f.updateMembership))
	f.handleEmpty(mux, "DELETE "+base+"/{om}", f.withMembership(f.deleteMembershipHTTP))
	f.handle(mux, "PUT "+base+"/{om}/deactivate", f.withMembership(f.deactivateMembership))
	f.handle(mux, "PUT "+base+"/{om}/reactivate", f.withMembership(f.reactivateMembership))
	f.handle(mux, "GET "+base+"/{om}/groups", f.withMembership(f.listMembershipGroups))
}

// handleEmpty registers an endpoint whose success is 200 without a body
// (the spec's delete membership and revoke session). fn's body is ignored.
func (f *Fake) handleEmpty(mux *http.ServeMux, pattern string, fn func(r *http.Request) (int, any, error)) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		_, _, err := fn(r)
		f.mu.Unlock()
		if err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// listMemberships serves GET /user_management/organization_memberships:
// user_id and/or organization_id (one is required: 400
// missing_user_id_or_organization_id), statuses (comma-separated; active
// only by default), pagination.
func (f *Fake) listMemberships(r *http.Request) (int, any, error) {
	m := f.m
	q := r.URL.Query()
	userID, orgID := q.Get("user_id"), q.Get("organization_id")
	if userID == "" && orgID == "" {
		return 0, nil, &apiError{status: http.StatusBadRequest, code: "missing_user_id_or_organization_id",
			message: "user_id or organization_id is required"}
	}
	if orgID != "" && m.orgs[orgID] == nil {
		return 0, nil, errNotFound("Organization not found: '%s'.", orgID)
	}
	statuses := []string{statusActive}
	if raw, ok := q["statuses"]; ok {
		statuses = nil
		for _, v := range raw {
			for s := range strings.SplitSeq(v, ",") {
				switch s {
				case statusActive, statusInactive, statusPending:
					statuses = append(statuses, s)
				default:
					return 0, nil, &apiError{status: http.StatusBadRequest, code: "invalid_request_parameters",
						message: "statuses must list active, inactive or pending, got " + jsonString(s)}
				}
			}
		}
	}
	var items []*membership
	for _, om := range m.members {
		if (userID == "" || om.userID == userID) && (orgID == "" || om.orgID == orgID) && slices.Contains(statuses, om.status) {
			items = append(items, om)
		}
	}
	list, err := paginate(m, q, items, omID, m.renderUserlandMembership)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// createMembershipHTTP serves POST /user_management/organization_memberships:
// {user_id, organization_id, role_slug | role_slugs} → 201.
func (f *Fake) createMembershipHTTP(r *http.Request) (int, any, error) {
	body, err := decodeBody422(r, "invalid_request_parameters")
	if err != nil {
		return 0, nil, err
	}
	ids, err := body.strs("user_id", "organization_id")
	if err != nil {
		return 0, nil, asParamError(err)
	}
	roles, given, err := readMembershipRoles(body)
	if err != nil {
		return 0, nil, err
	}
	om, _, err := f.m.createMembership(ids[0], ids[1], roles, given)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, f.m.renderUserlandMembership(om), nil
}

// getMembership serves GET …/organization_memberships/{id}.
func (f *Fake) getMembership(r *http.Request, om *membership) (int, any, error) {
	return http.StatusOK, f.m.renderUserlandMembership(om), nil
}

// updateMembership serves PUT …/organization_memberships/{id}:
// {role_slug | role_slugs}; a body with neither changes nothing.
func (f *Fake) updateMembership(r *http.Request, om *membership) (int, any, error) {
	body, err := decodeBody422(r, "invalid_request_parameters")
	if err != nil {
		return 0, nil, err
	}
	roles, given, err := readMembershipRoles(body)
	if err != nil {
		return 0, nil, err
	}
	if given {
		if err := f.m.updateMembershipRoles(om, roles); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, f.m.renderUserlandMembership(om), nil
}

// deleteMembershipHTTP serves DELETE …/organization_memberships/{id}: 200
// without a body, as the spec says.
func (f *Fake) deleteMembershipHTTP(r *http.Request, om *membership) (int, any, error) {
	f.m.deleteMembership(om)
	return http.StatusOK, nil, nil
}

// deactivateMembership serves PUT …/{id}/deactivate.
func (f *Fake) deactivateMembership(r *http.Request, om *membership) (int, any, error) {
	if _, err := f.m.setMembershipStatus(om, false); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, f.m.renderUserlandMembership(om), nil
}

// reactivateMembership serves PUT …/{id}/reactivate.
func (f *Fake) reactivateMembership(r *http.Request, om *membership) (int, any, error) {
	if _, err := f.m.setMembershipStatus(om, true); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, f.m.renderUserlandMembership(om), nil
}

// listMembershipGroups serves GET …/organization_memberships/{id}/groups:
// the groups om belongs to, paginated by the groups' creation.
func (f *Fake) listMembershipGroups(r *http.Request, om *membership) (int, any, error) {
	var items []*group
	for _, g := range f.m.groups {
		if slices.Contains(g.members, om.id) {
			items = append(items, g)
		}
	}
	list, err := paginate(f.m, r.URL.Query(), items, groupID, renderGroup)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, list, nil
}

// Setup in Go.

// CreateMembership creates an active membership of user userID in orgID
// with the organization roles roleSlugs, as POST
// /user_management/organization_memberships does: no roles means the
// default role "member" (which must exist), a role scoped to a
// sub-resource is refused (sub_resource_scoped_role_not_allowed), and the
// user's inactive membership in the organization is reactivated instead.
// It returns the membership ID. Use [Fake.AddMembership] to choose the ID
// or give no role at all.
func (f *Fake) CreateMembership(userID, orgID string, roleSlugs ...string) string {
	f.helper()
	if !f.open("CreateMembership") {
		return ""
	}
	f.mu.Lock()
	om, _, err := f.m.createMembership(userID, orgID, roleSlugs, len(roleSlugs) > 0)
	f.mu.Unlock()
	if err != nil {
		f.fail("CreateMembership "+userID, err)
		return ""
	}
	return om.id
}

// DeactivateMembership makes membership om inactive: every check of it
// denies, its role assignments stay, and [Fake.Session] refuses it until
// [Fake.ReactivateMembership]. Deactivating an inactive membership does
// nothing; a pending one fails, as the API's 400 does.
func (f *Fake) DeactivateMembership(om string) { f.setStatus("DeactivateMembership", om, false) }

// ReactivateMembership makes an inactive membership om active again, with
// its roles and role assignments as they were.
func (f *Fake) ReactivateMembership(om string) { f.setStatus("ReactivateMembership", om, true) }

func (f *Fake) setStatus(what, id string, active bool) {
	f.helper()
	if !f.open(what) {
		return
	}
	f.mu.Lock()
	om, err := f.m.membership(id)
	if err == nil {
		_, err = f.m.setMembershipStatus(om, active)
	}
	f.mu.Unlock()
	if err != nil {
		f.fail(what+" "+id, err)
	}
}

// MembershipStatus returns the status of membership om: "active",
// "inactive" or "pending". An unknown membership fails the test.
func (f *Fake) MembershipStatus(om string) string {
	f.helper()
	f.mu.Lock()
	m, err := f.m.membership(om)
	status := ""
	if err == nil {
		status = m.status
	}
	f.mu.Unlock()
	if err != nil {
		f.fail("MembershipStatus", err)
	}
	return status
}
