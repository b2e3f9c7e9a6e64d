package authztest

import (
	"slices"
	"strings"
	"testing"
)

// TestMembershipAlwaysHasARole: a membership given no role — from Go
// setup, a fixture, or POST without role_slug — holds the environment's
// default role "member", created by the fake when its setup never added it,
// so "role" is never null (the spec requires it). A later AddRole("member")
// takes the implicit role over.
func TestMembershipAlwaysHasARole(t *testing.T) {
	t.Parallel()
	const memberRole = `"role":{"slug":"member"},"roles":[{"slug":"member"}]`
	tests := []struct {
		name  string
		setup func(t *testing.T, f *Fake) string // returns the membership ID
	}{
		{"Go AddMembership without a role", func(t *testing.T, f *Fake) string {
			return f.AddMembership("om_dan", "user_dan", "org_acme", "")
		}},
		{"fixture membership without a role", func(t *testing.T, f *Fake) string {
			fx, err := ParseFixture(strings.NewReader(`{"organization_memberships": [{"id": "om_dan", "user_id": "user_dan", "organization_id": "org_acme"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Load(fx); err != nil {
				t.Fatal(err)
			}
			return "om_dan"
		}},
		{"POST without role_slug", func(t *testing.T, f *Fake) string {
			status, body, _ := call(t, f, "POST", "/user_management/organization_memberships", `{"user_id": "user_dan", "organization_id": "org_acme"}`)
			if status != 201 {
				t.Fatalf("create: %d %s", status, body)
			}
			return "om_000001"
		}},
		{"SetMembershipRoles with none", func(t *testing.T, f *Fake) string {
			f.AddOrganizationRole("org_acme", "org-admin", "")
			id := f.AddMembership("om_dan", "user_dan", "org_acme", "org-admin")
			f.SetMembershipRoles(id)
			return id
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := New(t, WithClock(epoch))
			f.AddOrganization("org_acme", "Acme")
			id := tc.setup(t, f)
			_, body, _ := call(t, f, "GET", "/user_management/organization_memberships/"+id, "")
			if !strings.Contains(body, memberRole) {
				t.Errorf("membership has not the default role: %s", body)
			}
			_, roles, _ := call(t, f, "GET", "/authorization/roles", "")
			if !strings.Contains(roles, `"slug":"member","name":"Member"`) {
				t.Errorf("the default role is not listed: %s", roles)
			}
			var created bool
			for _, e := range f.Events() {
				created = created || e.Event == "role.created" && strings.Contains(string(e.Data), `"slug":"member"`)
			}
			if !created {
				t.Error("no role.created for the default role")
			}
		})
	}
}

// TestImplicitDefaultRoleTakenOver: AddRole("member", …) after a
// membership got the implicit default role gives that role its
// permissions (role.updated), and the membership's checks use them; a
// scope other than the organization is refused with a message that says
// why.
func TestImplicitDefaultRoleTakenOver(t *testing.T) {
	t.Parallel()
	f := New(t, WithClock(epoch))
	f.AddResourceType("workspace")
	f.AddPermission("workspace:view", "workspace")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_dan", "user_dan", "org_acme", "")
	eng := f.AddResource(Resource{ExternalID: "eng", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
	check := `{"permission_slug": "workspace:view", "resource_id": "` + eng + `"}`
	if _, body, _ := call(t, f, "POST", "/authorization/organization_memberships/om_dan/check", check); body != `{"authorized":false}` {
		t.Fatalf("before: %s", body)
	}
	f.AddRole("member", "", "workspace:view")
	if _, body, _ := call(t, f, "POST", "/authorization/organization_memberships/om_dan/check", check); body != `{"authorized":true}` {
		t.Errorf("after AddRole: %s", body)
	}
	ev := f.Events()
	if last := ev[len(ev)-1]; last.Event != "role.updated" || !strings.Contains(string(last.Data), `"permissions":["workspace:view"]`) {
		t.Errorf("last event %s %s, want role.updated with the permission", last.Event, last.Data)
	}

	g := New(t, WithClock(epoch))
	g.AddResourceType("workspace")
	g.AddOrganization("org_acme", "Acme")
	g.AddMembership("om_dan", "user_dan", "org_acme", "")
	g.mu.Lock()
	_, err := g.m.addRole(roleInput{slug: "member", typeSlug: "workspace", adopt: true})
	roles := g.m.members["om_dan"].roles
	g.mu.Unlock()
	if err == nil || !strings.Contains(err.Error(), "default role of a membership set up without a role") {
		t.Errorf("AddRole(member, workspace) after the implicit role: %v", err)
	}
	if !slices.Equal(roles, []string{"member"}) {
		t.Errorf("roles %v", roles)
	}
}
