package authztest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGroupsWire(t *testing.T) {
	t.Parallel()
	const base = "/authorization/groups/group_eng/role_assignments"
	graEng := `{"object":"group_role_assignment","id":"gra_eng","group_id":"group_eng","role":{"slug":"workspace-admin"},
		"resource":{"id":"authz_resource_eng","external_id":"eng","resource_type_slug":"workspace"},` + t0 + `}`
	graNew := func(id, role, res, ext, typ string) string {
		return `{"object":"group_role_assignment","id":"` + id + `","group_id":"group_eng","role":{"slug":"` + role + `"},
		"resource":{"id":"` + res + `","external_id":"` + ext + `","resource_type_slug":"` + typ + `"},` + t0 + `}`
	}
	runWire(t, []wireCase{
		{"list", "GET", base, "", 200, list(graEng)},
		{"assign on a resource", "POST", base, `{"role_slug":"project-viewer","resource_external_id":"crm","resource_type_slug":"project"}`, 201,
			graNew("gra_000001", "project-viewer", "authz_resource_crm", "crm", "project")},
		{"assign on the organization", "POST", base, `{"role_slug":"member"}`, 201,
			graNew("gra_000001", "member", "authz_resource_000001", "org_acme", "organization")},
		{"assign a duplicate", "POST", base, `{"role_slug":"workspace-admin","resource_id":"authz_resource_eng"}`, 409,
			`{"code":"duplicate_group_role_assignment","message":"group \"group_eng\" already has role \"workspace-admin\" on resource \"authz_resource_eng\""}`},
		{"assign a role of another type", "POST", base, `{"role_slug":"workspace-admin","resource_id":"authz_resource_web"}`, 422,
			`{"message":"role \"workspace-admin\" is scoped to \"workspace\" and cannot be assigned on a project"}`},
		{"assign to an unknown group", "POST", "/authorization/groups/group_nope/role_assignments", `{"role_slug":"member"}`, 404, `{"message":"group \"group_nope\" not found"}`},
		{"replace all", "PUT", base, `{"role_assignments":[{"role_slug":"workspace-admin","resource_id":"authz_resource_eng"},{"role_slug":"project-viewer","resource_id":"authz_resource_crm"}]}`, 200,
			`{"object":"list","data":[` + graEng + `,` + graNew("gra_000001", "project-viewer", "authz_resource_crm", "crm", "project") + `],"list_metadata":{"before":null,"after":null}}`},
		{"replace with nothing", "PUT", base, `{"role_assignments":[]}`, 200, emptyList},
		{"replace with a bad entry changes nothing", "PUT", base, `{"role_assignments":[{"role_slug":"nope"}]}`, 404, `{"message":"role \"nope\" not found"}`},
		{"replace with too many", "PUT", base, `{"role_assignments":[` + strings.Repeat(`{"role_slug":"member"},`, 100) + `{"role_slug":"member"}]}`, 422,
			`{"message":"role_assignments has 101 entries, at most 100 allowed"}`},
		{"remove by body", "DELETE", base, `{"role_slug":"workspace-admin","resource_external_id":"eng","resource_type_slug":"workspace"}`, 204, ""},
		{"remove by body, nothing matches", "DELETE", base, `{"role_slug":"member"}`, 404,
			`{"message":"group \"group_eng\" has no role \"member\" on resource \"authz_resource_000001\""}`},
		{"get", "GET", base + "/gra_eng", "", 200, graEng},
		{"get unknown", "GET", base + "/gra_nope", "", 404, `{"message":"group role assignment \"gra_nope\" not found"}`},
		{"delete", "DELETE", base + "/gra_eng", "", 204, ""},
	}, func(f *Fake) {
		f.mu.Lock()
		defer f.mu.Unlock()
		g, err := f.m.addGroup("group_eng", "org_acme", "Engineers", nil)
		if err == nil {
			_, err = f.m.assignGroupTo("gra_eng", g.id, "workspace-admin", target{id: "authz_resource_eng"})
		}
		if err != nil {
			panic(err)
		}
	})
}

func TestGroupGrants(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	g := f.AddGroup("group_sales", "org_acme", "Sales team")
	if checkOK(t, f, "om_bob", "project:edit", "authz_resource_crm") {
		t.Fatal("bob edits crm before joining")
	}
	gra := f.AssignGroup(g, "workspace-admin", "authz_resource_sales")
	f.AddGroupMember(g, "om_bob")
	if !checkOK(t, f, "om_bob", "project:edit", "authz_resource_crm") {
		t.Fatal("the group's workspace-admin on sales does not reach crm")
	}
	// The grant shows in the membership's assignments with source group.
	_, body, _ := call(t, f, "GET", "/authorization/organization_memberships/om_bob/role_assignments?resource_id=authz_resource_sales", "")
	equalJSON(t, body, list(`{"object":"role_assignment","id":"role_assignment_000001","organization_membership_id":"om_bob",
		"role":{"slug":"workspace-admin"},"resource":{"id":"authz_resource_sales","external_id":"sales","resource_type_slug":"workspace"},
		"source":{"type":"group","group_role_assignment_id":"`+gra+`"},`+t0+`}`))
	// It cannot be removed as a direct assignment.
	status, body, _ := call(t, f, "DELETE", "/authorization/organization_memberships/om_bob/role_assignments/role_assignment_000001", "")
	if status != 422 {
		t.Errorf("remove a group grant by id: %d %s", status, body)
	}
	// Removing the group assignment takes the grant away at once.
	if status, body, _ := call(t, f, "DELETE", "/authorization/groups/"+g+"/role_assignments/"+gra, ""); status != 204 {
		t.Fatalf("remove group assignment: %d %s", status, body)
	}
	if checkOK(t, f, "om_bob", "project:edit", "authz_resource_crm") {
		t.Error("bob still edits crm after the group lost the role")
	}
	// An organization-level group role counts as an organization role.
	f.AssignGroup(g, "org-auditor", "")
	if !checkOK(t, f, "om_bob", "project:view", "authz_resource_web") {
		t.Error("the group's org role does not grant org-wide")
	}
	// Leaving the group takes it away.
	f.RemoveGroupMember(g, "om_bob")
	if checkOK(t, f, "om_bob", "project:view", "authz_resource_web") {
		t.Error("bob keeps the group's org role after leaving the group")
	}
}

func TestMembershipChanges(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	old := f.Session("om_bob")
	f.SetMembershipRoles("om_bob", "member", "org-auditor")
	if !checkOK(t, f, "om_bob", "project:view", "authz_resource_web") {
		t.Error("the new org role does not count at once")
	}
	claims, err := parse(t, f, f.Session("om_bob"))
	if err != nil {
		t.Fatal(err)
	}
	if got := claims["roles"]; !cmp.Equal(got, []any{"member", "org-auditor"}) {
		t.Errorf("new session roles = %v", got)
	}
	if claims, _ := parse(t, f, old); !cmp.Equal(claims["roles"], []any{"member"}) {
		t.Errorf("an old session changed: %v", claims["roles"])
	}
	g := f.AddGroup("", "org_acme", "G")
	f.AddGroupMember(g, "om_bob")
	f.RemoveMembership("om_bob")
	if status, _, _ := call(t, f, "POST", "/authorization/organization_memberships/om_bob/check", `{"permission_slug":"project:view","resource_id":"authz_resource_crm"}`); status != 404 {
		t.Errorf("check for a removed membership: %d, want 404", status)
	}
	_, body, _ := call(t, f, "GET", "/authorization/resources/authz_resource_crm/role_assignments", "")
	equalJSON(t, body, emptyList)
}
