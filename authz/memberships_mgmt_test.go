package authz_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/cache"
)

const userlandMembershipJSON = `{"object":"organization_membership","id":"om_01","user_id":"user_01","organization_id":"org_01",
	"organization_name":"Acme","status":"active","directory_managed":false,"custom_attributes":{},
	"role":{"slug":"member"},"roles":[{"slug":"member"}],
	"user":{"object":"user","id":"user_01","email":"a@example.com","first_name":null,"last_name":null,"email_verified":true,
	  "profile_picture_url":null,"external_id":null,"metadata":{},"last_sign_in_at":null,
	  "created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"},
	"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`

var userlandMembershipWant = authz.OrganizationMembership{
	Object: "organization_membership", ID: "om_01", UserID: "user_01", OrganizationID: "org_01",
	OrganizationName: "Acme", Status: "active", CustomAttributes: map[string]any{},
	Role: &authz.RoleRef{Slug: "member"}, Roles: []authz.RoleRef{{Slug: "member"}},
	User: &authz.User{Object: "user", ID: "user_01", Email: "a@example.com", EmailVerified: true,
		Metadata: map[string]string{}, CreatedAt: t0, UpdatedAt: t0},
	CreatedAt: t0, UpdatedAt: t0,
}

const groupJSON = `{"object":"group","id":"group_01","organization_id":"org_01","name":"Eng","description":null,
	"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`

var groupWant = authz.Group{Object: "group", ID: "group_01", OrganizationID: "org_01", Name: "Eng", CreatedAt: t0, UpdatedAt: t0}

func TestMembershipManagement(t *testing.T) {
	t.Parallel()
	const base = "/user_management/organization_memberships"
	runExchanges(t, []exchange{
		{
			name: "create with one role",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.CreateMembership(ctx, authz.CreateMembershipParams{UserID: "user_01", OrganizationID: "org_01", RoleSlug: "member"})
			},
			wantMethod: "POST", wantPath: base, wantBody: `{"user_id":"user_01","organization_id":"org_01","role_slug":"member"}`,
			wantIdempotent: true, status: 201, resp: userlandMembershipJSON, want: &userlandMembershipWant,
		},
		{
			name: "create with several roles",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.CreateMembership(ctx, authz.CreateMembershipParams{UserID: "user_01", OrganizationID: "org_01", RoleSlugs: []string{"a", "b"}})
			},
			wantMethod: "POST", wantPath: base, wantBody: `{"user_id":"user_01","organization_id":"org_01","role_slugs":["a","b"]}`,
			wantIdempotent: true, status: 201, resp: userlandMembershipJSON, want: &userlandMembershipWant,
		},
		{
			name:       "get",
			call:       func(ctx context.Context, c *authz.Client) (any, error) { return c.GetMembership(ctx, "om_01") },
			wantMethod: "GET", wantPath: base + "/om_01", status: 200, resp: userlandMembershipJSON, want: &userlandMembershipWant,
		},
		{
			name: "update",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.UpdateMembership(ctx, "om_01", authz.UpdateMembershipParams{RoleSlug: "admin"})
			},
			wantMethod: "PUT", wantPath: base + "/om_01", wantBody: `{"role_slug":"admin"}`, status: 200, resp: userlandMembershipJSON, want: &userlandMembershipWant,
		},
		{
			name:       "delete answers 200 without a body",
			call:       func(ctx context.Context, c *authz.Client) (any, error) { return nil, c.DeleteMembership(ctx, "om_01") },
			wantMethod: "DELETE", wantPath: base + "/om_01", status: 200,
		},
		{
			name:       "deactivate",
			call:       func(ctx context.Context, c *authz.Client) (any, error) { return c.DeactivateMembership(ctx, "om_01") },
			wantMethod: "PUT", wantPath: base + "/om_01/deactivate", status: 200, resp: userlandMembershipJSON, want: &userlandMembershipWant,
		},
		{
			name:       "reactivate",
			call:       func(ctx context.Context, c *authz.Client) (any, error) { return c.ReactivateMembership(ctx, "om_01") },
			wantMethod: "PUT", wantPath: base + "/om_01/reactivate", status: 200, resp: userlandMembershipJSON, want: &userlandMembershipWant,
		},
		{
			name: "list with statuses",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListMembershipsPage(ctx, authz.ListMembershipsOptions{OrganizationID: "org_01",
					Statuses: []string{authz.MembershipActive, authz.MembershipInactive}, ListOptions: authz.ListOptions{Limit: 5}})
			},
			wantMethod: "GET", wantPath: base,
			wantQuery: url.Values{"organization_id": {"org_01"}, "statuses": {"active,inactive"}, "limit": {"5"}},
			status:    200, resp: listJSON(userlandMembershipJSON, `null`),
			want: &authz.Page[authz.OrganizationMembership]{Data: []authz.OrganizationMembership{userlandMembershipWant}},
		},
		{
			name: "groups of a membership",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListMembershipGroupsPage(ctx, "om_01", authz.ListOptions{})
			},
			wantMethod: "GET", wantPath: base + "/om_01/groups", status: 200, resp: listJSON(groupJSON, `null`),
			want: &authz.Page[authz.Group]{Data: []authz.Group{groupWant}},
		},
		{
			name: "revoke a session",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.RevokeSession(ctx, "session_01")
			},
			wantMethod: "POST", wantPath: "/user_management/sessions/revoke", wantBody: `{"session_id":"session_01"}`, status: 200,
		},
		{
			name: "update the JWT template",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.UpdateJWTTemplate(ctx, `{"a":"{{ user.id }}"}`)
			},
			wantMethod: "PUT", wantPath: "/user_management/jwt_template", wantBody: `{"content":"{\"a\":\"{{ user.id }}\"}"}`,
			status: 200, resp: `{"object":"jwt_template","content":"{}","created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`,
			want: &authz.JWTTemplate{Object: "jwt_template", Content: "{}", CreatedAt: "2026-01-15T12:00:00.000Z", UpdatedAt: "2026-01-15T12:00:00.000Z"},
		},
	})
}

func TestGroupManagement(t *testing.T) {
	t.Parallel()
	const base = "/organizations/org_01/groups"
	name := "Eng"
	runExchanges(t, []exchange{
		{
			name: "create",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.CreateGroup(ctx, "org_01", authz.CreateGroupParams{Name: "Eng"})
			},
			wantMethod: "POST", wantPath: base, wantBody: `{"name":"Eng"}`, wantIdempotent: true, status: 201, resp: groupJSON, want: &groupWant,
		},
		{
			name: "update clears the description with null",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.UpdateGroup(ctx, "org_01", "group_01", authz.UpdateGroupParams{Name: &name, Description: authz.Null[string]()})
			},
			wantMethod: "PATCH", wantPath: base + "/group_01", wantBody: `{"name":"Eng","description":null}`, status: 200, resp: groupJSON, want: &groupWant,
		},
		{
			name:       "get",
			call:       func(ctx context.Context, c *authz.Client) (any, error) { return c.GetGroup(ctx, "org_01", "group_01") },
			wantMethod: "GET", wantPath: base + "/group_01", status: 200, resp: groupJSON, want: &groupWant,
		},
		{
			name: "delete",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.DeleteGroup(ctx, "org_01", "group_01")
			},
			wantMethod: "DELETE", wantPath: base + "/group_01", status: 204,
		},
		{
			name: "list",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListGroupsPage(ctx, "org_01", authz.ListOptions{Order: authz.OrderAsc})
			},
			wantMethod: "GET", wantPath: base, wantQuery: url.Values{"order": {"asc"}}, status: 200, resp: listJSON(groupJSON, `null`),
			want: &authz.Page[authz.Group]{Data: []authz.Group{groupWant}},
		},
		{
			name: "add a member",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.AddGroupMember(ctx, "org_01", "group_01", "om_01")
			},
			wantMethod: "POST", wantPath: base + "/group_01/organization-memberships", wantBody: `{"organization_membership_id":"om_01"}`,
			status: 200, resp: groupJSON, want: &groupWant,
		},
		{
			name: "remove a member",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.RemoveGroupMember(ctx, "org_01", "group_01", "om_01")
			},
			wantMethod: "DELETE", wantPath: base + "/group_01/organization-memberships/om_01", status: 204,
		},
	})
}

func TestMembershipManagementInputErrors(t *testing.T) {
	t.Parallel()
	c, s := newAPI(t, nil)
	ctx := t.Context()
	empty := ""
	for name, call := range map[string]func() error{
		"create without a user": func() error {
			_, err := c.CreateMembership(ctx, authz.CreateMembershipParams{OrganizationID: "org_01"})
			return err
		},
		"create with both role forms": func() error {
			_, err := c.CreateMembership(ctx, authz.CreateMembershipParams{UserID: "u", OrganizationID: "o", RoleSlug: "a", RoleSlugs: []string{"b"}})
			return err
		},
		"update with an empty role list": func() error {
			_, err := c.UpdateMembership(ctx, "om_01", authz.UpdateMembershipParams{RoleSlugs: []string{}})
			return err
		},
		"get with an empty ID": func() error { _, err := c.GetMembership(ctx, ""); return err },
		"list without a user or an organization": func() error {
			_, err := c.ListMembershipsPage(ctx, authz.ListMembershipsOptions{})
			return err
		},
		"list with a bad status": func() error {
			_, err := c.ListMembershipsPage(ctx, authz.ListMembershipsOptions{UserID: "u", Statuses: []string{"gone"}})
			return err
		},
		"revoke without a session": func() error { return c.RevokeSession(ctx, "") },
		"group without a name":     func() error { _, err := c.CreateGroup(ctx, "org_01", authz.CreateGroupParams{}); return err },
		"rename a group to nothing": func() error {
			_, err := c.UpdateGroup(ctx, "org_01", "group_01", authz.UpdateGroupParams{Name: &empty})
			return err
		},
		"add no member": func() error { _, err := c.AddGroupMember(ctx, "org_01", "group_01", ""); return err },
	} {
		if err := call(); !errors.Is(err, authz.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", name, err)
		}
	}
	if n := len(s.requests()); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

// TestMembershipChangesReachChecks runs the management calls against the
// fake with the decision cache on: each change is seen by the next check.
func TestMembershipChangesReachChecks(t *testing.T) {
	t.Parallel()
	f := authztest.New(t, authztest.WithClock(t0))
	f.AddResourceType("workspace")
	f.AddPermission("workspace:edit", "workspace")
	f.AddRole("member", "organization")
	f.AddRole("admin", "organization", "workspace:edit")
	f.AddRole("workspace-editor", "workspace", "workspace:edit")
	f.AddOrganization("org_acme", "Acme")
	ws := f.AddResource(authztest.Resource{ExternalID: "eng", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
	lru, err := cache.New(100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Client(authz.WithCache(lru))
	ctx := t.Context()

	om, err := c.CreateMembership(ctx, authz.CreateMembershipParams{UserID: "user_dave", OrganizationID: "org_acme"})
	if err != nil {
		t.Fatal(err)
	}
	if om.Role == nil || om.Role.Slug != "member" || om.Status != authz.MembershipActive {
		t.Fatalf("created %+v", om)
	}
	g, err := c.CreateGroup(ctx, "org_acme", authz.CreateGroupParams{Name: "Editors"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssignGroupRole(ctx, g.ID, "workspace-editor", authz.ResourceID(ws)); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		change func() error
		want   bool
	}{
		{"created with the default role", func() error { return nil }, false},
		{"made admin", func() error {
			_, err := c.UpdateMembership(ctx, om.ID, authz.UpdateMembershipParams{RoleSlug: "admin"})
			return err
		}, true},
		{"deactivated", func() error { _, err := c.DeactivateMembership(ctx, om.ID); return err }, false},
		{"reactivated", func() error { _, err := c.ReactivateMembership(ctx, om.ID); return err }, true},
		{"back to member", func() error {
			_, err := c.UpdateMembership(ctx, om.ID, authz.UpdateMembershipParams{RoleSlugs: []string{"member"}})
			return err
		}, false},
		{"added to the editors", func() error { _, err := c.AddGroupMember(ctx, "org_acme", g.ID, om.ID); return err }, true},
		{"removed from the editors", func() error { return c.RemoveGroupMember(ctx, "org_acme", g.ID, om.ID) }, false},
		{"added again", func() error { _, err := c.AddGroupMember(ctx, "org_acme", g.ID, om.ID); return err }, true},
		{"group deleted", func() error { return c.DeleteGroup(ctx, "org_acme", g.ID) }, false},
	}
	for _, s := range steps {
		if err := s.change(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		d, err := c.API().Check(ctx, om.ID, "workspace:edit", authz.ResourceID(ws))
		if err != nil {
			t.Fatalf("%s: check: %v", s.name, err)
		}
		if d.Allowed != s.want {
			t.Errorf("%s: allowed = %v, want %v", s.name, d.Allowed, s.want)
		}
	}

	var ids []string
	for m, err := range c.ListMemberships(ctx, authz.ListMembershipsOptions{OrganizationID: "org_acme"}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if d := cmp.Diff([]string{om.ID}, ids); d != "" {
		t.Errorf("memberships (-want +got):\n%s", d)
	}
	if err := c.DeleteMembership(ctx, om.ID); err != nil {
		t.Fatal(err)
	}
	// The API answers 404: a deny that says the membership does not exist.
	d, err := c.API().Check(ctx, om.ID, "workspace:edit", authz.ResourceID(ws))
	if err != nil || d != (authz.Decision{Source: authz.SourceAPI, NotFound: true}) {
		t.Errorf("check of a deleted membership: %+v, %v; want denied: not found", d, err)
	}
}

func TestRevokeSessionThroughTheFake(t *testing.T) {
	t.Parallel()
	f := authztest.New(t)
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "")
	claims, err := f.Verifier().Verify(t.Context(), f.Session("om_alice"))
	if err != nil {
		t.Fatal(err)
	}
	c := f.Client()
	if err := c.RevokeSession(t.Context(), claims.SessionID); err != nil {
		t.Fatal(err)
	}
	if !f.SessionRevoked(claims.SessionID) {
		t.Error("the fake did not record the revocation")
	}
	err = c.RevokeSession(t.Context(), "session_unknown")
	var apiErr *authz.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Errorf("revoking an unknown session: %v, want a 400 APIError", err)
	}
	tpl, err := c.GetJWTTemplate(t.Context())
	if err != nil || tpl.Content != authztest.DefaultJWTTemplate {
		t.Errorf("GetJWTTemplate = %+v, %v", tpl, err)
	}
	_, err = c.UpdateJWTTemplate(t.Context(), `{"jti":"x"}`)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 422 || apiErr.Code != "invalid_request_parameters" {
		t.Errorf("a reserved claim: %v, want 422 invalid_request_parameters", err)
	}
}

// TestMembershipRoleErrorNamesTheRole: the 422
// sub_resource_scoped_role_not_allowed body names the refused role
// (role_slug, required by the spec); APIError carries it.
func TestMembershipRoleErrorNamesTheRole(t *testing.T) {
	t.Parallel()
	f := authztest.New(t, authztest.WithClock(t0))
	f.AddResourceType("workspace")
	f.AddRole("member", "organization")
	f.AddRole("workspace-editor", "workspace")
	f.AddOrganization("org_acme", "Acme")
	c := f.Client()
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"create", func() error {
			_, err := c.CreateMembership(t.Context(), authz.CreateMembershipParams{UserID: "user_dave", OrganizationID: "org_acme",
				RoleSlugs: []string{"member", "workspace-editor"}})
			return err
		}},
		{"update", func() error {
			om := f.CreateMembership("user_erin", "org_acme")
			_, err := c.UpdateMembership(t.Context(), om, authz.UpdateMembershipParams{RoleSlug: "workspace-editor"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ae *authz.APIError
			if err := tc.call(); !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an *APIError", err)
			}
			want := authz.APIError{StatusCode: 422, Code: "sub_resource_scoped_role_not_allowed", RoleSlug: "workspace-editor"}
			got := authz.APIError{StatusCode: ae.StatusCode, Code: ae.Code, RoleSlug: ae.RoleSlug}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("APIError (-want +got):\n%s", d)
			}
		})
	}
}
