package authztest

import "slices"

// Groups (WIRE.md §1.7): every member of a group receives each of the
// group's role assignments. The fake materializes these grants as role
// assignments with source type "group", created and removed together with
// the group role assignment or the membership in the group, so checks and
// lists treat them like any other assignment. Changes apply at once
// (WIRE.md §7.7).

func (m *model) addGroup(id, orgID, name string, description *string) (*group, error) {
	if m.orgs[orgID] == nil {
		return nil, errNotFound("organization %q not found", orgID)
	}
	if name == "" {
		return nil, errInvalid("name is required")
	}
	if err := checkDescription(description); err != nil {
		return nil, err
	}
	id, err := m.takeID(id, "group_")
	if err != nil {
		return nil, err
	}
	now := m.now()
	g := &group{id: id, orgID: orgID, name: name, description: description, created: now, updated: now}
	m.groups[id] = g
	m.emit("group.created", renderGroup(g))
	return g, nil
}

func (m *model) group(id string) (*group, error) {
	g := m.groups[id]
	if g == nil {
		return nil, errNotFound("group %q not found", id)
	}
	return g, nil
}

// grant materializes one member's share of a group role assignment.
func (m *model) grant(ga *groupAssignment, om string) {
	id := m.newID("role_assignment_")
	m.register(id)
	now := m.now()
	m.assignments[id] = &assignment{id: id, om: om, roleSlug: ga.roleSlug, resourceID: ga.resourceID,
		groupAssignmentID: ga.id, created: now, updated: now}
}

func (m *model) addGroupMember(g *group, omID string) error {
	om, err := m.membership(omID)
	if err != nil {
		return err
	}
	if om.orgID != g.orgID {
		return errInvalid("membership %q belongs to organization %q, group %q to %q", om.id, om.orgID, g.id, g.orgID)
	}
	if slices.Contains(g.members, om.id) {
		return nil
	}
	g.members = append(g.members, om.id)
	m.emit("group.member_added", groupMemberEventJSON{GroupID: g.id, OrganizationMembershipID: om.id})
	for _, ga := range sorted(m, m.groupAssignments, groupAssignmentID) {
		if ga.groupID == g.id {
			m.grant(ga, om.id)
		}
	}
	return nil
}

func (m *model) removeGroupMember(g *group, omID string) error {
	i := slices.Index(g.members, omID)
	if i < 0 {
		return errNotFound("membership %q is not in group %q", omID, g.id)
	}
	g.members = slices.Delete(g.members, i, i+1)
	for id, a := range m.assignments {
		if a.om == omID && a.groupAssignmentID != "" && m.groupAssignments[a.groupAssignmentID].groupID == g.id {
			delete(m.assignments, id)
		}
	}
	m.emit("group.member_removed", groupMemberEventJSON{GroupID: g.id, OrganizationMembershipID: omID})
	return nil
}

// assignGroup gives the group's members the role on r.
func (m *model) assignGroup(id string, g *group, roleSlug string, r *resource) (*groupAssignment, error) {
	if roleSlug == "" {
		return nil, errInvalid("role_slug is required")
	}
	ro := m.roleFor(g.orgID, roleSlug)
	if ro == nil {
		return nil, errNotFound("role %q not found", roleSlug)
	}
	if ro.typeSlug != r.typeSlug {
		return nil, errInvalid("role %q is scoped to %q and cannot be assigned on a %s", roleSlug, ro.typeSlug, r.typeSlug)
	}
	for _, ga := range m.groupAssignments {
		if ga.groupID == g.id && ga.roleSlug == roleSlug && ga.resourceID == r.id {
			return nil, errConflict("duplicate_group_role_assignment", "group %q already has role %q on resource %q", g.id, roleSlug, r.id)
		}
	}
	id, err := m.takeID(id, "gra_")
	if err != nil {
		return nil, err
	}
	now := m.now()
	ga := &groupAssignment{id: id, groupID: g.id, roleSlug: roleSlug, resourceID: r.id, created: now, updated: now}
	m.groupAssignments[id] = ga
	for _, om := range g.members {
		m.grant(ga, om)
	}
	return ga, nil
}

// unassignGroup removes a group role assignment and what it granted.
func (m *model) unassignGroup(ga *groupAssignment) {
	delete(m.groupAssignments, ga.id)
	for id, a := range m.assignments {
		if a.groupAssignmentID == ga.id {
			delete(m.assignments, id)
		}
	}
}
