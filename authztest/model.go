package authztest

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// The model is the fake's whole state. It is private and guarded by
// Fake.mu; every method below expects the caller to hold that lock.
// Handlers render JSON from it explicitly (render.go), so the fake is an
// independent witness of the wire format rather than a mirror of the
// client's structs.

// orgType is the implicit root resource type of every hierarchy.
const orgType = "organization"

type resourceType struct {
	slug    string
	parents []string
}

type permission struct {
	id          string
	slug        string
	name        string
	description *string
	system      bool
	typeSlug    string
	created     time.Time
	updated     time.Time
}

type role struct {
	id          string
	slug        string
	name        string
	description *string
	orgID       string // "" for an environment role
	typeSlug    string
	permissions []string
	created     time.Time
	updated     time.Time
	// implicit marks the default role "member" the fake created itself for
	// a membership given no role (see model.defaultRoles); the first
	// [Fake.AddRole] or fixture role of that slug takes it over.
	implicit bool
}

type organization struct {
	id      string
	name    string
	rootID  string // its organization resource
	created time.Time
	updated time.Time
}

type membership struct {
	id        string
	userID    string
	orgID     string
	roles     []string // organization role slugs
	status    string
	email     string
	firstName string
	lastName  string
	created   time.Time
	updated   time.Time
}

type resource struct {
	id          string
	externalID  string
	name        string
	description *string
	typeSlug    string
	orgID       string
	parentID    string // "" only for an organization root
	created     time.Time
	updated     time.Time
}

type assignment struct {
	id         string
	om         string
	roleSlug   string
	resourceID string
	// groupAssignmentID is set when the grant comes from a group role
	// assignment (source type "group").
	groupAssignmentID string
	created           time.Time
	updated           time.Time
}

type group struct {
	id          string
	orgID       string
	name        string
	description *string
	members     []string // membership IDs in the order they were added
	created     time.Time
	updated     time.Time
}

type groupAssignment struct {
	id         string
	groupID    string
	roleSlug   string
	resourceID string
	created    time.Time
	updated    time.Time
}

type roleKey struct{ orgID, slug string }

type extKey struct{ orgID, typeSlug, externalID string }

type model struct {
	now func() time.Time

	types            map[string]*resourceType
	perms            map[string]*permission // by slug
	roles            map[roleKey]*role
	orgs             map[string]*organization
	members          map[string]*membership
	resources        map[string]*resource
	external         map[extKey]string // → resource ID
	assignments      map[string]*assignment
	groups           map[string]*group
	groupAssignments map[string]*groupAssignment
	webhooks         map[string]*webhookEndpoint

	// events is the event log, oldest first (events.go): events[i] is the
	// event at position eventBase+i, counted from the first event ever
	// emitted (older ones were pruned). eventAt finds an event's position
	// by ID. onEvent, when set, is called after each emission with the lock
	// held (it must not block).
	events    []*event
	eventBase int
	eventAt   map[string]int
	onEvent   func()

	// seqOf orders every ID the model ever issued or accepted, deleted ones
	// included, so lists sort by creation and a cursor naming a deleted
	// object still works.
	seqOf    map[string]int64
	seq      int64
	counters map[string]int
}

func newModel(now func() time.Time) *model {
	m := &model{
		now:              now,
		types:            map[string]*resourceType{orgType: {slug: orgType}},
		perms:            map[string]*permission{},
		roles:            map[roleKey]*role{},
		orgs:             map[string]*organization{},
		members:          map[string]*membership{},
		resources:        map[string]*resource{},
		external:         map[extKey]string{},
		assignments:      map[string]*assignment{},
		groups:           map[string]*group{},
		groupAssignments: map[string]*groupAssignment{},
		webhooks:         map[string]*webhookEndpoint{},
		eventAt:          map[string]int{},
		seqOf:            map[string]int64{},
		counters:         map[string]int{},
	}
	return m
}

// clone returns a deep copy, used to apply a fixture all or nothing.
func (m *model) clone() *model {
	c := &model{
		now:       m.now,
		seq:       m.seq,
		seqOf:     maps.Clone(m.seqOf),
		counters:  maps.Clone(m.counters),
		external:  maps.Clone(m.external),
		events:    slices.Clone(m.events),
		eventBase: m.eventBase,
		eventAt:   maps.Clone(m.eventAt),
		onEvent:   m.onEvent,
	}
	c.types = cloneMap(m.types, func(v resourceType) resourceType { v.parents = slices.Clone(v.parents); return v })
	c.perms = cloneMap(m.perms, func(v permission) permission { return v })
	c.roles = cloneMap(m.roles, func(v role) role { v.permissions = slices.Clone(v.permissions); return v })
	c.orgs = cloneMap(m.orgs, func(v organization) organization { return v })
	c.members = cloneMap(m.members, func(v membership) membership { v.roles = slices.Clone(v.roles); return v })
	c.resources = cloneMap(m.resources, func(v resource) resource { return v })
	c.assignments = cloneMap(m.assignments, func(v assignment) assignment { return v })
	c.groups = cloneMap(m.groups, func(v group) group { v.members = slices.Clone(v.members); return v })
	c.groupAssignments = cloneMap(m.groupAssignments, func(v groupAssignment) groupAssignment { return v })
	c.webhooks = cloneMap(m.webhooks, func(v webhookEndpoint) webhookEndpoint { v.events = slices.Clone(v.events); return v })
	return c
}

func cloneMap[K comparable, V any](src map[K]*V, copyV func(V) V) map[K]*V {
	dst := make(map[K]*V, len(src))
	for k, v := range src {
		c := copyV(*v)
		dst[k] = &c
	}
	return dst
}

// newID issues the next unused ID with prefix. IDs are deterministic: the
// n-th generated ID of a prefix on a fresh fake is always the same.
func (m *model) newID(prefix string) string {
	for {
		m.counters[prefix]++
		id := fmt.Sprintf("%s%06d", prefix, m.counters[prefix])
		if _, taken := m.seqOf[id]; !taken {
			return id
		}
	}
}

// register records a new object's ID (given or generated) in creation order.
func (m *model) register(id string) {
	m.seq++
	m.seqOf[id] = m.seq
}

// takeID returns want if it is free, a generated ID with prefix if want is
// empty, and an error if want is already used.
func (m *model) takeID(want, prefix string) (string, error) {
	if want == "" {
		id := m.newID(prefix)
		m.register(id)
		return id, nil
	}
	if _, taken := m.seqOf[want]; taken {
		return "", errConflict("id_conflict", "id %q is already used", want)
	}
	m.register(want)
	return want, nil
}

// sorted returns the values of objs in creation order.
func sorted[V any](m *model, objs map[string]*V, id func(*V) string) []*V {
	out := make([]*V, 0, len(objs))
	for _, v := range objs {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *V) int { return int(m.seqOf[id(a)] - m.seqOf[id(b)]) })
	return out
}

// isDescendantType reports whether child lies strictly below ancestor in
// the type graph.
func (m *model) isDescendantType(child, ancestor string) bool {
	seen := map[string]bool{}
	var walk func(string) bool
	walk = func(t string) bool {
		if seen[t] {
			return false
		}
		seen[t] = true
		rt := m.types[t]
		if rt == nil {
			return false
		}
		for _, p := range rt.parents {
			if p == ancestor || walk(p) {
				return true
			}
		}
		return false
	}
	return child != ancestor && walk(child)
}

// roleFor finds the role slug as seen from organization orgID: the
// organization's custom role first, then the environment role.
func (m *model) roleFor(orgID, slug string) *role {
	if r := m.roles[roleKey{orgID, slug}]; r != nil && orgID != "" {
		return r
	}
	return m.roles[roleKey{"", slug}]
}

// ancestry returns r and its ancestors up to the organization root.
func (m *model) ancestry(r *resource) []*resource {
	var chain []*resource
	for cur := r; cur != nil; cur = m.resources[cur.parentID] {
		chain = append(chain, cur)
		if cur.parentID == "" {
			break
		}
	}
	return chain
}

// children returns r's direct children in creation order.
func (m *model) children(id string) []*resource {
	var out []*resource
	for _, r := range sorted(m, m.resources, resID) {
		if r.parentID == id {
			out = append(out, r)
		}
	}
	return out
}

// subtree returns r and all its descendants.
func (m *model) subtree(r *resource) []*resource {
	out := []*resource{r}
	for i := 0; i < len(out); i++ {
		out = append(out, m.children(out[i].id)...)
	}
	return out
}

func resID(r *resource) string { return r.id }

// resourceByExternal finds a resource of organization orgID by type and
// external ID. The organization root answers to ("organization", orgID).
func (m *model) resourceByExternal(orgID, typeSlug, externalID string) *resource {
	return m.resources[m.external[extKey{orgID, typeSlug, externalID}]]
}

// rolesOn returns the roles om holds on resource r itself (not inherited):
// its role assignments there (direct and from groups) and, on the
// organization root, its organization roles.
func (m *model) rolesOn(om *membership, r *resource) []*role {
	var out []*role
	if r.parentID == "" {
		for _, slug := range om.roles {
			if ro := m.roleFor(om.orgID, slug); ro != nil {
				out = append(out, ro)
			}
		}
	}
	for _, a := range m.assignments {
		if a.om == om.id && a.resourceID == r.id {
			if ro := m.roleFor(om.orgID, a.roleSlug); ro != nil {
				out = append(out, ro)
			}
		}
	}
	return out
}

// allowed is the access check (WIRE.md §2): true iff some role the
// membership holds on r or on any ancestor of r, or one of its organization
// roles, contains the permission. A permission of another resource type
// than r's is never granted (§7.5).
func (m *model) allowed(om *membership, p *permission, r *resource) bool {
	if p.typeSlug != r.typeSlug || om.orgID != r.orgID || om.status == statusInactive {
		return false
	}
	for _, a := range m.ancestry(r) {
		for _, ro := range m.rolesOn(om, a) {
			if slices.Contains(ro.permissions, p.slug) {
				return true
			}
		}
	}
	return false
}

// effective returns the permission slugs of r's type the membership holds
// on r, in creation order of the permissions.
func (m *model) effective(om *membership, r *resource) []*permission {
	var out []*permission
	for _, p := range sorted(m, m.perms, permissionID) {
		if m.allowed(om, p, r) {
			out = append(out, p)
		}
	}
	return out
}
