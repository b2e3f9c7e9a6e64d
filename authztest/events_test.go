package authztest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// specEventData is, per event type, the data object's "object" const and
// required fields in WorkOS's OpenAPI spec (EventSchema variants of
// workos-openapi.yaml, copied by a script).
var specEventData = map[string]struct {
	object   string
	required []string
}{
	"group.created":                   {"group", []string{"object", "id", "organization_id", "name", "description", "created_at", "updated_at"}},
	"group.deleted":                   {"group", []string{"object", "id", "organization_id", "name", "description", "created_at", "updated_at"}},
	"group.member_added":              {"", []string{"group_id", "organization_membership_id"}},
	"group.member_removed":            {"", []string{"group_id", "organization_membership_id"}},
	"group.updated":                   {"group", []string{"object", "id", "organization_id", "name", "description", "created_at", "updated_at"}},
	"organization.created":            {"organization", []string{"object", "id", "name", "domains", "metadata", "external_id", "created_at", "updated_at"}},
	"organization.deleted":            {"organization", []string{"object", "id", "name", "domains", "metadata", "external_id", "created_at", "updated_at"}},
	"organization_membership.created": {"organization_membership", []string{"object", "id", "user_id", "organization_id", "status", "role", "custom_attributes", "directory_managed", "created_at", "updated_at"}},
	"organization_membership.deleted": {"organization_membership", []string{"object", "id", "user_id", "organization_id", "status", "role", "custom_attributes", "directory_managed", "created_at", "updated_at"}},
	"organization_membership.updated": {"organization_membership", []string{"object", "id", "user_id", "organization_id", "status", "role", "custom_attributes", "directory_managed", "created_at", "updated_at"}},
	"organization_role.created":       {"organization_role", []string{"object", "organization_id", "slug", "name", "description", "resource_type_slug", "permissions", "created_at", "updated_at"}},
	"organization_role.deleted":       {"organization_role", []string{"object", "organization_id", "slug", "name", "description", "resource_type_slug", "permissions", "created_at", "updated_at"}},
	"organization_role.updated":       {"organization_role", []string{"object", "organization_id", "slug", "name", "description", "resource_type_slug", "permissions", "created_at", "updated_at"}},
	"organization.updated":            {"organization", []string{"object", "id", "name", "domains", "metadata", "external_id", "created_at", "updated_at"}},
	"permission.created":              {"permission", []string{"object", "id", "slug", "name", "description", "system", "resource_type_slug", "created_at", "updated_at"}},
	"permission.deleted":              {"permission", []string{"object", "id", "slug", "name", "description", "system", "resource_type_slug", "created_at", "updated_at"}},
	"permission.updated":              {"permission", []string{"object", "id", "slug", "name", "description", "system", "resource_type_slug", "created_at", "updated_at"}},
	"role.created":                    {"role", []string{"object", "slug", "resource_type_slug", "created_at", "updated_at"}},
	"role.deleted":                    {"role", []string{"object", "slug", "resource_type_slug", "created_at", "updated_at"}},
	"role.updated":                    {"role", []string{"object", "slug", "resource_type_slug", "created_at", "updated_at"}},
	"session.created":                 {"session", []string{"object", "id", "ip_address", "user_agent", "user_id", "auth_method", "status", "expires_at", "ended_at", "created_at", "updated_at"}},
	"session.revoked":                 {"session", []string{"object", "id", "ip_address", "user_agent", "user_id", "auth_method", "status", "expires_at", "ended_at", "created_at", "updated_at"}},
	"user.created":                    {"user", []string{"object", "id", "first_name", "last_name", "profile_picture_url", "email", "email_verified", "external_id", "last_sign_in_at", "created_at", "updated_at"}},
	"user.deleted":                    {"user", []string{"object", "id", "first_name", "last_name", "profile_picture_url", "email", "email_verified", "external_id", "last_sign_in_at", "created_at", "updated_at"}},
	"user.updated":                    {"user", []string{"object", "id", "first_name", "last_name", "profile_picture_url", "email", "email_verified", "external_id", "last_sign_in_at", "created_at", "updated_at"}},
}

// checkEventShape fails unless e is a well-formed event of the spec: a
// known type, every required data field present, the right object const.
func checkEventShape(t *testing.T, e Event) {
	t.Helper()
	if !strings.HasPrefix(e.ID, "event_") {
		t.Errorf("event ID %q lacks the event_ prefix", e.ID)
	}
	spec, ok := specEventData[e.Event]
	if !ok {
		t.Errorf("event %s: type %q has no spec entry here", e.ID, e.Event)
		return
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatalf("event %s: data is not an object: %v", e.ID, err)
	}
	for _, k := range spec.required {
		if _, ok := data[k]; !ok {
			t.Errorf("event %s (%s): required field %q missing in %s", e.ID, e.Event, k, e.Data)
		}
	}
	if spec.object != "" && string(data["object"]) != `"`+spec.object+`"` {
		t.Errorf("event %s (%s): object = %s, want %q", e.ID, e.Event, data["object"], spec.object)
	}
}

// newEvents runs action and returns the events it emitted.
func newEvents(t *testing.T, f *Fake, action func(*Fake)) []Event {
	t.Helper()
	before := len(f.Events())
	action(f)
	return f.Events()[before:]
}

func httpStep(method, path, body string, want int) func(*testing.T, *Fake) {
	return func(t *testing.T, f *Fake) {
		t.Helper()
		if got, b, _ := call(t, f, method, path, body); got != want {
			t.Fatalf("%s %s = %d %s, want %d", method, path, got, b, want)
		}
	}
}

func TestEventsEmittedByWrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		action func(*testing.T, *Fake)
		want   []string // event types, in order
		org    string   // OrganizationID of every event
	}{
		{name: "Go AddPermission", action: func(_ *testing.T, f *Fake) { f.AddPermission("workspace:edit", "workspace") },
			want: []string{"permission.created"}},
		{name: "HTTP create permission", action: httpStep("POST", "/authorization/permissions", `{"slug":"workspace:edit","name":"Edit","resource_type_slug":"workspace"}`, 201),
			want: []string{"permission.created"}},
		{name: "HTTP update permission", action: httpStep("PATCH", "/authorization/permissions/project:view", `{"name":"View"}`, 200),
			want: []string{"permission.updated"}},
		{name: "HTTP delete permission", action: httpStep("DELETE", "/authorization/permissions/project:view", "", 204),
			want: []string{"permission.deleted"}},
		{name: "Go AddRole", action: func(_ *testing.T, f *Fake) { f.AddRole("viewer", "workspace", "workspace:view") },
			want: []string{"role.created"}},
		{name: "HTTP create role", action: httpStep("POST", "/authorization/roles", `{"slug":"viewer","name":"Viewer","resource_type_slug":"workspace"}`, 201),
			want: []string{"role.created"}},
		{name: "HTTP update role", action: httpStep("PATCH", "/authorization/roles/member", `{"name":"Member"}`, 200),
			want: []string{"role.updated"}},
		{name: "HTTP set role permissions", action: httpStep("PUT", "/authorization/roles/member/permissions", `{"permissions":[]}`, 200),
			want: []string{"role.updated"}},
		{name: "HTTP add role permission", action: httpStep("POST", "/authorization/roles/project-viewer/permissions", `{"slug":"project:edit"}`, 200),
			want: []string{"role.updated"}},
		{name: "Go SetRolePermissions", action: func(_ *testing.T, f *Fake) { f.SetRolePermissions("", "member") },
			want: []string{"role.updated"}},
		{name: "HTTP create organization role", action: httpStep("POST", "/authorization/organizations/org_acme/roles", `{"slug":"org-x","name":"X"}`, 201),
			want: []string{"organization_role.created"}, org: "org_acme"},
		{name: "Go AddOrganizationRole", action: func(_ *testing.T, f *Fake) { f.AddOrganizationRole("org_globex", "org-y", "organization") },
			want: []string{"organization_role.created"}, org: "org_globex"},
		{name: "HTTP update organization role", action: httpStep("PATCH", "/authorization/organizations/org_acme/roles/org-auditor", `{"description":"Reads"}`, 200),
			want: []string{"organization_role.updated"}, org: "org_acme"},
		{name: "HTTP remove organization role permission", action: httpStep("DELETE", "/authorization/organizations/org_acme/roles/org-auditor/permissions/project:view", "", 200),
			want: []string{"organization_role.updated"}, org: "org_acme"},
		{name: "Go SetRolePermissions of organization role", action: func(_ *testing.T, f *Fake) { f.SetRolePermissions("org_acme", "org-auditor") },
			want: []string{"organization_role.updated"}, org: "org_acme"},
		{name: "HTTP delete organization role", action: func(t *testing.T, f *Fake) {
			f.AddOrganizationRole("org_acme", "org-temp", "organization")
			httpStep("DELETE", "/authorization/organizations/org_acme/roles/org-temp", "", 204)(t, f)
		}, want: []string{"organization_role.created", "organization_role.deleted"}, org: "org_acme"},
		{name: "Go AddOrganization", action: func(_ *testing.T, f *Fake) { f.AddOrganization("org_new", "New") },
			want: []string{"organization.created"}, org: "org_new"},
		{name: "Go AddMembership", action: func(_ *testing.T, f *Fake) { f.AddMembership("om_dan", "user_dan", "org_acme", "member") },
			want: []string{"organization_membership.created"}, org: "org_acme"},
		{name: "Go SetMembershipRoles", action: func(_ *testing.T, f *Fake) { f.SetMembershipRoles("om_alice", "org-auditor") },
			want: []string{"organization_membership.updated"}, org: "org_acme"},
		{name: "Go RemoveMembership", action: func(_ *testing.T, f *Fake) { f.RemoveMembership("om_bob") },
			want: []string{"organization_membership.deleted"}, org: "org_acme"},
		{name: "Go groups", action: func(_ *testing.T, f *Fake) {
			g := f.AddGroup("group_eng", "org_acme", "Engineers")
			f.AddGroupMember(g, "om_alice")
			f.AddGroupMember(g, "om_alice") // already a member: no change, no event
			f.RemoveGroupMember(g, "om_alice")
			f.AddGroupMember(g, "om_bob")
			f.RemoveMembership("om_bob") // leaves the group first
		}, want: []string{"group.created", "group.member_added", "group.member_removed", "group.member_added",
			"group.member_removed", "organization_membership.deleted"}, org: "org_acme"},
		{name: "HTTP create membership", action: httpStep("POST", "/user_management/organization_memberships",
			`{"user_id":"user_dan","organization_id":"org_acme","role_slug":"member"}`, 201),
			want: []string{"organization_membership.created"}, org: "org_acme"},
		{name: "HTTP update membership roles", action: httpStep("PUT", "/user_management/organization_memberships/om_alice",
			`{"role_slugs":["member","org-auditor"]}`, 200),
			want: []string{"organization_membership.updated"}, org: "org_acme"},
		{name: "HTTP deactivate and reactivate membership", action: func(t *testing.T, f *Fake) {
			httpStep("PUT", "/user_management/organization_memberships/om_alice/deactivate", "", 200)(t, f)
			httpStep("PUT", "/user_management/organization_memberships/om_alice/deactivate", "", 200)(t, f) // no change
			httpStep("PUT", "/user_management/organization_memberships/om_alice/reactivate", "", 200)(t, f)
		}, want: []string{"organization_membership.updated", "organization_membership.updated"}, org: "org_acme"},
		{name: "HTTP re-create an inactive membership reactivates it", action: func(t *testing.T, f *Fake) {
			f.DeactivateMembership("om_bob")
			httpStep("POST", "/user_management/organization_memberships",
				`{"user_id":"user_bob","organization_id":"org_acme","role_slug":"member"}`, 201)(t, f)
		}, want: []string{"organization_membership.updated", "organization_membership.updated"}, org: "org_acme"},
		{name: "HTTP delete membership", action: httpStep("DELETE", "/user_management/organization_memberships/om_bob", "", 200),
			want: []string{"organization_membership.deleted"}, org: "org_acme"},
		{name: "HTTP groups and members", action: func(t *testing.T, f *Fake) {
			httpStep("POST", "/organizations/org_acme/groups", `{"name":"Eng"}`, 201)(t, f)
			g := f.Events()[len(f.Events())-1]
			var gd struct{ ID string }
			json.Unmarshal(g.Data, &gd)
			base := "/organizations/org_acme/groups/" + gd.ID
			httpStep("PATCH", base, `{"description":"Engineers"}`, 200)(t, f)
			httpStep("POST", base+"/organization-memberships", `{"organization_membership_id":"om_alice"}`, 200)(t, f)
			httpStep("DELETE", base+"/organization-memberships/om_alice", "", 204)(t, f)
			httpStep("DELETE", base, "", 204)(t, f)
		}, want: []string{"group.created", "group.updated", "group.member_added", "group.member_removed", "group.deleted"}, org: "org_acme"},
		{name: "sessions: minted, revoked over HTTP, revoked again", action: func(t *testing.T, f *Fake) {
			f.Session("om_alice")
			created := f.Events()[len(f.Events())-1]
			var sd struct{ ID string }
			json.Unmarshal(created.Data, &sd)
			httpStep("POST", "/user_management/sessions/revoke", `{"session_id":"`+sd.ID+`"}`, 200)(t, f)
			httpStep("POST", "/user_management/sessions/revoke", `{"session_id":"`+sd.ID+`"}`, 200)(t, f) // no change
		}, want: []string{"session.created", "session.revoked"}, org: "org_acme"},
		{name: "Go RevokeSession", action: func(t *testing.T, f *Fake) {
			f.Session("om_bob")
			var sd struct{ ID string }
			json.Unmarshal(f.Events()[len(f.Events())-1].Data, &sd)
			f.RevokeSession(sd.ID)
		}, want: []string{"session.created", "session.revoked"}, org: "org_acme"},
		// Writes WorkOS emits no event for: role assignments (there is no
		// such event type), resources, refused writes.
		{name: "HTTP role assignment", action: httpStep("POST", "/authorization/organization_memberships/om_bob/role_assignments",
			`{"role_slug":"workspace-admin","resource_id":"authz_resource_sales"}`, 201)},
		{name: "Go Assign and Unassign", action: func(_ *testing.T, f *Fake) {
			f.Unassign(f.Assign("om_bob", "workspace-admin", "authz_resource_sales"))
		}},
		{name: "group role assignment", action: func(_ *testing.T, f *Fake) {
			g := f.AddGroup("group_x", "org_acme", "X")
			f.AddGroupMember(g, "om_bob")
			f.AssignGroup(g, "workspace-admin", "authz_resource_sales")
		}, want: []string{"group.created", "group.member_added"}, org: "org_acme"},
		{name: "HTTP create resource", action: httpStep("POST", "/authorization/resources",
			`{"external_id":"ops","name":"Ops","resource_type_slug":"workspace","organization_id":"org_acme"}`, 201)},
		{name: "refused write", action: httpStep("POST", "/authorization/roles", `{"slug":"member","name":"M","resource_type_slug":"organization"}`, 409)},
		{name: "refused delete of an assigned role", action: httpStep("DELETE", "/authorization/organizations/org_acme/roles/org-auditor", "", 409)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			f.Advance(time.Minute)
			got := newEvents(t, f, func(f *Fake) { tt.action(t, f) })
			var types []string
			for _, e := range got {
				types = append(types, e.Event)
				checkEventShape(t, e)
				if e.OrganizationID != tt.org {
					t.Errorf("%s: OrganizationID = %q, want %q", e.Event, e.OrganizationID, tt.org)
				}
				if !e.CreatedAt.Equal(epoch.Add(time.Minute)) {
					t.Errorf("%s: CreatedAt = %v, want the fake's clock %v", e.Event, e.CreatedAt, epoch.Add(time.Minute))
				}
			}
			if diff := cmp.Diff(tt.want, types); diff != "" {
				t.Errorf("event types (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEventsFromFixture: loading a fixture is setup too; its events come
// in the fixture's order, and a fixture that fails emits nothing.
func TestEventsFromFixture(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	counts := map[string]int{}
	for _, e := range f.Events() {
		checkEventShape(t, e)
		counts[e.Event]++
	}
	want := map[string]int{"permission.created": 3, "role.created": 3, "organization_role.created": 1,
		"organization.created": 2, "organization_membership.created": 4}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("fixture events (-want +got):\n%s", diff)
	}
	n := len(f.Events())
	bad := &Fixture{Permissions: []FixturePermission{{Slug: "ok:one"}, {Slug: "BAD SLUG"}}}
	if err := f.Load(bad); err == nil {
		t.Fatal("Load of a bad fixture succeeded")
	}
	if got := len(f.Events()); got != n {
		t.Errorf("a failed fixture left %d events", got-n)
	}
}

// TestEventPayloads compares whole payloads with literals of the spec's
// shapes.
func TestEventPayloads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		action func(*Fake)
		want   string // the data of the last event
	}{
		{name: "role.updated", action: func(f *Fake) { f.SetRolePermissions("", "workspace-admin", "project:edit") },
			want: `{"object":"role","slug":"workspace-admin","resource_type_slug":"workspace","permissions":["project:edit"],
				"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:01:00.000Z"}`},
		{name: "organization_role.updated", action: func(f *Fake) { f.SetRolePermissions("org_acme", "org-auditor") },
			want: `{"object":"organization_role","organization_id":"org_acme","slug":"org-auditor","name":"org-auditor",
				"description":null,"resource_type_slug":"organization","permissions":[],
				"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:01:00.000Z"}`},
		{name: "organization_membership.updated", action: func(f *Fake) { f.SetMembershipRoles("om_alice", "member", "org-auditor") },
			want: `{"object":"organization_membership","id":"om_alice","user_id":"user_alice","organization_id":"org_acme",
				"status":"active","role":{"slug":"member"},"roles":[{"slug":"member"},{"slug":"org-auditor"}],
				"custom_attributes":{},"directory_managed":false,
				"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:01:00.000Z"}`},
		{name: "session.revoked", action: func(f *Fake) {
			f.Session("om_alice", SessionTTL(5*time.Minute))
			var sd struct{ ID string }
			json.Unmarshal(f.Events()[len(f.Events())-1].Data, &sd)
			f.Advance(time.Minute)
			f.RevokeSession(sd.ID)
		}, want: `{"object":"session","id":"session_000001","ip_address":null,"user_agent":null,"user_id":"user_alice",
				"organization_id":"org_acme","auth_method":"unknown","status":"revoked","expires_at":"2026-01-15T12:06:00.000Z",
				"ended_at":"2026-01-15T12:02:00.000Z","created_at":"2026-01-15T12:01:00.000Z","updated_at":"2026-01-15T12:02:00.000Z"}`},
		{name: "organization_membership.created", action: func(f *Fake) { f.AddMembership("om_dan", "user_dan", "org_acme", "") }, // no role: the default role
			want: `{"object":"organization_membership","id":"om_dan","user_id":"user_dan","organization_id":"org_acme",
				"status":"active","role":{"slug":"member"},"roles":[{"slug":"member"}],"custom_attributes":{},"directory_managed":false,
				"created_at":"2026-01-15T12:01:00.000Z","updated_at":"2026-01-15T12:01:00.000Z"}`},
		{name: "group.member_added", action: func(f *Fake) { f.AddGroupMember(f.AddGroup("group_eng", "org_acme", "Eng"), "om_bob") },
			want: `{"group_id":"group_eng","organization_membership_id":"om_bob"}`},
		{name: "group.created", action: func(f *Fake) { f.AddGroup("group_eng", "org_acme", "Eng") },
			want: `{"object":"group","id":"group_eng","organization_id":"org_acme","name":"Eng","description":null,
				"created_at":"2026-01-15T12:01:00.000Z","updated_at":"2026-01-15T12:01:00.000Z"}`},
		{name: "organization.created", action: func(f *Fake) { f.AddOrganization("org_new", "New <&>") },
			want: `{"object":"organization","id":"org_new","name":"New <&>","domains":[],"metadata":{},"external_id":null,
				"created_at":"2026-01-15T12:01:00.000Z","updated_at":"2026-01-15T12:01:00.000Z"}`},
		{name: "permission.created", action: func(f *Fake) { f.AddPermission("workspace:edit", "workspace") },
			want: `{"object":"permission","id":"perm_000004","slug":"workspace:edit","name":"workspace:edit","description":null,
				"system":false,"resource_type_slug":"workspace",
				"created_at":"2026-01-15T12:01:00.000Z","updated_at":"2026-01-15T12:01:00.000Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			f.Advance(time.Minute)
			got := newEvents(t, f, tt.action)
			if len(got) == 0 {
				t.Fatal("no event")
			}
			last := got[len(got)-1]
			if last.Event != tt.name {
				t.Fatalf("last event is %s, want %s", last.Event, tt.name)
			}
			equalJSON(t, string(last.Data), tt.want)
		})
	}
}

// eventsFake is a fake with a known event log: org_a, then permissions
// p1…p5, one a minute from epoch, then org_b's custom role.
func eventsFake(t *testing.T) (*Fake, []Event) {
	t.Helper()
	f := New(t, WithClock(epoch))
	f.AddOrganization("org_a", "A") // 12:00
	for i := 1; i <= 5; i++ {
		f.Advance(time.Minute)
		f.AddPermission(fmt.Sprintf("p%d", i), "") // 12:01 … 12:05
	}
	f.Advance(time.Minute)
	f.AddOrganization("org_b", "B")                         // 12:06
	f.AddOrganizationRole("org_b", "org-r", "organization") // 12:06
	return f, f.Events()
}

func TestListEvents(t *testing.T) {
	t.Parallel()
	f, all := eventsFake(t)
	id := func(i int) string { return all[i].ID } // 0 org_a, 1–5 p1–p5, 6 org_b, 7 org-r
	const everything = "events=organization.created,permission.created,organization_role.created"
	tests := []struct {
		name      string
		query     string
		want      []int
		wantAfter string
	}{
		{name: "default: newest first, 10", query: everything, want: []int{7, 6, 5, 4, 3, 2, 1, 0}},
		{name: "desc, limit 3", query: everything + "&limit=3", want: []int{7, 6, 5}, wantAfter: id(5)},
		{name: "desc after: older", query: everything + "&limit=3&after=" + id(5), want: []int{4, 3, 2}, wantAfter: id(2)},
		{name: "desc before: newer", query: everything + "&limit=3&before=" + id(2), want: []int{5, 4, 3}, wantAfter: id(3)},
		{name: "asc, limit 3", query: everything + "&order=asc&limit=3", want: []int{0, 1, 2}, wantAfter: id(2)},
		{name: "asc after: newer (the poller's query)", query: everything + "&order=asc&limit=3&after=" + id(2), want: []int{3, 4, 5}, wantAfter: id(5)},
		{name: "asc after the newest: empty", query: everything + "&order=asc&after=" + id(7), want: []int{}},
		{name: "asc before: older", query: everything + "&order=asc&limit=2&before=" + id(3), want: []int{1, 2}, wantAfter: id(2)},
		{name: "normal: newest first", query: everything + "&order=normal&limit=3", want: []int{7, 6, 5}},
		{name: "normal after: newer", query: everything + "&order=normal&limit=3&after=" + id(1), want: []int{4, 3, 2}, wantAfter: id(4)},
		{name: "normal before: older", query: everything + "&order=normal&limit=3&before=" + id(4), want: []int{3, 2, 1}, wantAfter: id(3)},
		{name: "type filter", query: "events=organization.created&order=asc", want: []int{0, 6}},
		{name: "repeated events parameters", query: "events=organization.created&events=organization_role.created&order=asc", want: []int{0, 6, 7}},
		{name: "cursor filtered out still places the page", query: "events=organization.created&order=asc&after=" + id(3), want: []int{6}},
		{name: "organization_id", query: everything + "&organization_id=org_b&order=asc", want: []int{6, 7}},
		{name: "range_start inclusive", query: everything + "&order=asc&range_start=2026-01-15T12:05:00Z", want: []int{5, 6, 7}},
		{name: "range_end exclusive", query: everything + "&order=asc&range_end=2026-01-15T12:02:00.000Z", want: []int{0, 1}},
		{name: "range with offset", query: everything + "&order=asc&range_start=2026-01-15T13:03:00%2B01:00&range_end=2026-01-15T12:04:00Z", want: []int{3}},
		{name: "range as a date", query: everything + "&range_start=2026-01-16", want: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body, _ := call(t, f, "GET", "/events?"+tt.query, "")
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			var got struct {
				Object string `json:"object"`
				Data   []struct {
					Object    string          `json:"object"`
					ID        string          `json:"id"`
					Event     string          `json:"event"`
					Data      json.RawMessage `json:"data"`
					CreatedAt string          `json:"created_at"`
				} `json:"data"`
				ListMetadata struct {
					Before *string `json:"before"`
					After  *string `json:"after"`
				} `json:"list_metadata"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			var ids, want []string
			for _, e := range got.Data {
				ids = append(ids, e.ID)
				if e.Object != "event" {
					t.Errorf("object %q", e.Object)
				}
			}
			for _, i := range tt.want {
				want = append(want, id(i))
			}
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
			deref := func(p *string) string {
				if p == nil {
					return ""
				}
				return *p
			}
			if got.ListMetadata.Before != nil {
				t.Errorf("list_metadata has before %q; the spec's EventList has after only", *got.ListMetadata.Before)
			}
			if a := deref(got.ListMetadata.After); a != tt.wantAfter {
				t.Errorf("list_metadata after=%q, want %q", a, tt.wantAfter)
			}
		})
	}
	t.Run("event object", func(t *testing.T) {
		t.Parallel()
		_, body, _ := call(t, f, "GET", "/events?events=organization.created&limit=1&order=asc", "")
		equalJSON(t, body, `{"object":"list","data":[{"object":"event","id":"`+id(0)+`","event":"organization.created",
			"data":{"object":"organization","id":"org_a","name":"A","domains":[],"metadata":{},"external_id":null,
			"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"},
			"created_at":"2026-01-15T12:00:00.000Z"}],"list_metadata":{"after":"`+id(0)+`"}}`)
	})
}

// TestListEventsPagesThroughEverything walks the log page by page from
// the first page, in the direction that leads away from it (after for asc
// and desc, before for normal), and finds every event once, in order.
func TestListEventsPagesThroughEverything(t *testing.T) {
	t.Parallel()
	f, all := eventsFake(t)
	var oldestFirst []string
	for _, e := range all {
		oldestFirst = append(oldestFirst, e.ID)
	}
	newestFirst := slices.Clone(oldestFirst)
	slices.Reverse(newestFirst)
	for _, tt := range []struct {
		order, cursor string
		want          []string
	}{
		{"asc", "after", oldestFirst},
		{"desc", "after", newestFirst},
		{"normal", "before", newestFirst},
	} {
		t.Run(tt.order, func(t *testing.T) {
			t.Parallel()
			q := url.Values{"events": {"organization.created,permission.created,organization_role.created"}, "limit": {"3"}, "order": {tt.order}}
			var seen []string
			for range len(all) + 1 {
				status, body, _ := call(t, f, "GET", "/events?"+q.Encode(), "")
				if status != 200 {
					t.Fatalf("status %d: %s", status, body)
				}
				var page struct {
					Data         []struct{ ID string }
					ListMetadata map[string]*string `json:"list_metadata"`
				}
				if err := json.Unmarshal([]byte(body), &page); err != nil {
					t.Fatal(err)
				}
				for _, e := range page.Data {
					seen = append(seen, e.ID)
				}
				next := page.ListMetadata[tt.cursor]
				if tt.cursor == "before" {
					// No list_metadata.before (the spec's EventList): the
					// page's last ID, while pages are full.
					next = nil
					if n := len(page.Data); n == 3 {
						next = &page.Data[n-1].ID
					}
				}
				if next == nil {
					break
				}
				q.Set(tt.cursor, *next)
			}
			if diff := cmp.Diff(tt.want, seen); diff != "" {
				t.Errorf("walk (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListEventsErrors(t *testing.T) {
	t.Parallel()
	f, all := eventsFake(t)
	tests := []struct {
		name, query string
		status      int
		want        string
	}{
		{"events missing", "", 422, `{"message":"events is required: name the event types to list","errors":[{"code":"required","field":"events"}]}`},
		{"events empty", "events=", 422, `{"message":"events is required: name the event types to list","errors":[{"code":"required","field":"events"}]}`},
		{"unknown type", "events=role.created,nope.happened", 422, `{"message":"unknown event type \"nope.happened\"","errors":[{"code":"invalid","field":"events"}]}`},
		{"limit 0", "events=role.created&limit=0", 422, `{"message":"limit must be an integer between 1 and 100","errors":[{"code":"invalid","field":"limit"}]}`},
		{"limit 101", "events=role.created&limit=101", 422, `{"message":"limit must be an integer between 1 and 100","errors":[{"code":"invalid","field":"limit"}]}`},
		{"limit empty", "events=role.created&limit=", 422, `{"message":"limit must be an integer between 1 and 100","errors":[{"code":"invalid","field":"limit"}]}`},
		{"order empty", "events=role.created&order=", 422, `{"message":"order must be asc, desc or normal","errors":[{"code":"invalid","field":"order"}]}`},
		{"bad order", "events=role.created&order=up", 422, `{"message":"order must be asc, desc or normal","errors":[{"code":"invalid","field":"order"}]}`},
		{"both cursors", "events=role.created&after=" + all[1].ID + "&before=" + all[3].ID, 422, `{"message":"give before or after, not both","errors":[{"code":"invalid","field":"before"}]}`},
		{"unknown cursor", "events=role.created&after=event_999999", 422, `{"message":"after cursor \"event_999999\" does not name an event of the last 30 days","errors":[{"code":"invalid","field":"after"}]}`},
		{"not an event ID", "events=role.created&before=org_a", 422, `{"message":"before cursor \"org_a\" does not name an event of the last 30 days","errors":[{"code":"invalid","field":"before"}]}`},
		{"bad range_start", "events=role.created&range_start=yesterday", 422, `{"message":"range_start must be an ISO-8601 date-time, e.g. 2026-01-15T12:00:00.000Z","errors":[{"code":"invalid","field":"range_start"}]}`},
		{"unknown organization", "events=role.created&organization_id=org_nope", 400, `{"message":"Organization not found: 'org_nope'."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body, _ := call(t, f, "GET", "/events?"+tt.query, "")
			if status != tt.status {
				t.Fatalf("status %d %s, want %d", status, body, tt.status)
			}
			equalJSON(t, body, tt.want)
		})
	}
}

// TestEventRetention: an event older than 30 days on the fake's clock is
// neither listed nor a cursor (422), as the Events API keeps 30 days.
func TestEventRetention(t *testing.T) {
	t.Parallel()
	f := New(t, WithClock(epoch))
	f.AddPermission("old", "")
	old := f.Events()[0].ID
	f.Advance(EventRetention)
	f.AddPermission("new", "")
	list := func() []string {
		t.Helper()
		status, body, _ := call(t, f, "GET", "/events?events=permission.created&order=asc", "")
		if status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
		var page struct{ Data []struct{ ID string } }
		json.Unmarshal([]byte(body), &page)
		var ids []string
		for _, e := range page.Data {
			ids = append(ids, e.ID)
		}
		return ids
	}
	if got := list(); len(got) != 2 || got[0] != old {
		t.Fatalf("at exactly 30 days: %v, want the old event still listed", got)
	}
	f.Advance(time.Millisecond)
	got := list()
	if len(got) != 1 || got[0] == old {
		t.Fatalf("after 30 days: %v, want only the new event", got)
	}
	if n := len(f.Events()); n != 1 {
		t.Errorf("Events() holds %d events, want 1", n)
	}
	if status, body, _ := call(t, f, "GET", "/events?events=permission.created&after="+old, ""); status != 422 {
		t.Errorf("cursor of an expired event: %d %s, want 422", status, body)
	}
	// A cursor still known keeps working across the pruning.
	if status, body, _ := call(t, f, "GET", "/events?events=permission.created&order=asc&after="+got[0], ""); status != 200 || !strings.Contains(body, `"data":[]`) {
		t.Errorf("cursor of the newest event: %d %s", status, body)
	}
}
