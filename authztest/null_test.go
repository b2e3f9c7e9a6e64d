package authztest

import (
	"net/http"
	"strings"
	"testing"
)

// TestNullBodyFields: JSON null is a value, not an absent field. A field
// the official spec does not declare nullable, sent as null, is refused
// with the operation's status for invalid input (422, or 400 for session
// revocation) and changes nothing; the nullable fields (description, and
// parent_resource_id on a resource create) take null.
func TestNullBodyFields(t *testing.T) {
	t.Parallel()
	const (
		alice  = "/authorization/organization_memberships/om_alice"
		groups = "/organizations/org_acme/groups"
		gra    = "/authorization/groups/group_eng/role_assignments"
		web    = "/authorization/resources/authz_resource_web"
		webExt = "/authorization/organizations/org_acme/resources/project/web"
	)
	refused := []struct {
		name, method, path, body string
		want                     int
	}{
		{"update permission name", "PATCH", "/authorization/permissions/project:edit", `{"name": null}`, 422},
		{"update environment role name", "PATCH", "/authorization/roles/member", `{"name": null}`, 422},
		{"update organization role name", "PATCH", "/authorization/organizations/org_acme/roles/org-auditor", `{"name": null}`, 422},
		{"update resource name", "PATCH", web, `{"name": null}`, 422},
		{"update resource by external ID name", "PATCH", webExt, `{"name": null}`, 422},
		{"update resource parent_resource_id", "PATCH", web, `{"parent_resource_id": null}`, 422},
		{"update resource parent external ID", "PATCH", web, `{"parent_resource_external_id": null, "parent_resource_type_slug": "workspace"}`, 422},
		{"update group name", "PATCH", groups + "/group_eng", `{"name": null}`, 422},
		{"create permission slug", "POST", "/authorization/permissions", `{"slug": null, "name": "X"}`, 422},
		{"create permission type", "POST", "/authorization/permissions", `{"slug": "x:y", "name": "X", "resource_type_slug": null}`, 422},
		{"create environment role type", "POST", "/authorization/roles", `{"slug": "x", "name": "X", "resource_type_slug": null}`, 422},
		{"create organization role slug", "POST", "/authorization/organizations/org_acme/roles", `{"slug": null, "name": "X"}`, 422},
		{"create resource parent external ID", "POST", "/authorization/resources",
			`{"external_id": "new", "name": "New", "resource_type_slug": "workspace", "organization_id": "org_acme", "parent_resource_external_id": null}`, 422},
		{"create resource null parent ID with external form", "POST", "/authorization/resources",
			`{"external_id": "new", "name": "New", "resource_type_slug": "project", "organization_id": "org_acme",
			  "parent_resource_id": null, "parent_resource_external_id": "eng", "parent_resource_type_slug": "workspace"}`, 422},
		{"create resource name", "POST", "/authorization/resources",
			`{"external_id": "new", "name": null, "resource_type_slug": "workspace", "organization_id": "org_acme"}`, 422},
		{"check with null resource_id and the external form", "POST", alice + "/check",
			`{"permission_slug": "project:edit", "resource_id": null, "resource_external_id": "web", "resource_type_slug": "project"}`, 422},
		{"check with empty resource_id and the external form", "POST", alice + "/check",
			`{"permission_slug": "project:edit", "resource_id": "", "resource_external_id": "web", "resource_type_slug": "project"}`, 422},
		{"check with null permission", "POST", alice + "/check", `{"permission_slug": null, "resource_id": "authz_resource_web"}`, 422},
		{"assign with null resource_id and the external form", "POST", alice + "/role_assignments",
			`{"role_slug": "project-viewer", "resource_id": null, "resource_external_id": "web", "resource_type_slug": "project"}`, 422},
		{"assign with null role", "POST", alice + "/role_assignments", `{"role_slug": null, "resource_id": "authz_resource_web"}`, 422},
		{"remove with null type", "DELETE", alice + "/role_assignments",
			`{"role_slug": "workspace-admin", "resource_external_id": "eng", "resource_type_slug": null}`, 422},
		{"set role permissions to null", "PUT", "/authorization/roles/member/permissions", `{"permissions": null}`, 422},
		{"add role permission null", "POST", "/authorization/roles/member/permissions", `{"slug": null}`, 422},
		{"set organization role permissions to null", "PUT", "/authorization/organizations/org_acme/roles/org-auditor/permissions", `{"permissions": null}`, 422},
		{"create group name", "POST", groups, `{"name": null}`, 422},
		{"add group member null", "POST", groups + "/group_eng/organization-memberships", `{"organization_membership_id": null}`, 422},
		{"assign group role with null resource_id", "POST", gra,
			`{"role_slug": "workspace-admin", "resource_id": null, "resource_external_id": "eng", "resource_type_slug": "workspace"}`, 422},
		{"replace group roles with null", "PUT", gra, `{"role_assignments": null}`, 422},
		{"replace group roles with a null entry", "PUT", gra, `{"role_assignments": [null]}`, 422},
		{"remove group role null slug", "DELETE", gra, `{"role_slug": null}`, 422},
		{"create membership null user", "POST", "/user_management/organization_memberships", `{"user_id": null, "organization_id": "org_acme"}`, 422},
		{"update membership null role_slugs", "PUT", "/user_management/organization_memberships/om_alice", `{"role_slugs": null}`, 422},
		{"JWT template null content", "PUT", "/user_management/jwt_template", `{"content": null}`, 422},
		{"revoke null session", "POST", "/user_management/sessions/revoke", `{"session_id": null}`, 400},
		{"create webhook null events", "POST", "/webhook_endpoints", `{"endpoint_url": "https://example.com/hook", "events": null}`, 422},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			f.AddGroup("group_eng", "org_acme", "Engineering")
			before := len(f.Events())
			status, body, _ := call(t, f, tc.method, tc.path, tc.body)
			if status != tc.want {
				t.Fatalf("status %d, want %d (body %s)", status, tc.want, body)
			}
			if !strings.Contains(body, `"message"`) {
				t.Errorf("body %s has no message", body)
			}
			if n := len(f.Events()); n != before {
				t.Errorf("%d events emitted by a refused request", n-before)
			}
		})
	}

	accepted := []struct {
		name, method, path, body string
		want                     int
		check                    func(t *testing.T, f *Fake, body string)
	}{
		{"clear a permission description", "PATCH", "/authorization/permissions/project:edit", `{"description": null}`, 200, nil},
		{"clear a role description", "PATCH", "/authorization/roles/member", `{"description": null}`, 200, nil},
		{"clear a resource description", "PATCH", web, `{"description": null}`, 200, nil},
		{"clear a group description", "PATCH", groups + "/group_eng", `{"description": null}`, 200, nil},
		{"create a group with a null description", "POST", groups, `{"name": "Ops", "description": null}`, 201, nil},
		{"create a role with a null description", "POST", "/authorization/roles", `{"slug": "x", "name": "X", "description": null}`, 201, nil},
		{"create a resource under no parent (null)", "POST", "/authorization/resources",
			`{"external_id": "new", "name": "New", "resource_type_slug": "workspace", "organization_id": "org_acme", "parent_resource_id": null, "description": null}`, 201,
			func(t *testing.T, f *Fake, body string) {
				if !strings.Contains(body, `"parent_resource_id":null`) {
					t.Errorf("not under the organization: %s", body)
				}
			}},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			f.AddGroup("group_eng", "org_acme", "Engineering")
			status, body, _ := call(t, f, tc.method, tc.path, tc.body)
			if status != tc.want {
				t.Fatalf("status %d, want %d (body %s)", status, tc.want, body)
			}
			if tc.check != nil {
				tc.check(t, f, body)
			}
		})
	}
}

// TestNullNameChangesNothing: the PATCH that once answered 200 for a null
// name leaves the name as it was.
func TestNullNameChangesNothing(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	if status, body, _ := call(t, f, http.MethodPatch, "/authorization/resources/authz_resource_web", `{"name": null}`); status != 422 {
		t.Fatalf("status %d, want 422 (%s)", status, body)
	}
	_, body, _ := call(t, f, http.MethodGet, "/authorization/resources/authz_resource_web", "")
	if !strings.Contains(body, `"name":"Web"`) {
		t.Errorf("name changed: %s", body)
	}
}
