package authztest

import (
	"strings"
	"testing"
	"time"
)

func roleJSONLit(id, slug, typ, resType, perms string) string {
	return `{"object":"role","id":"` + id + `","slug":"` + slug + `","name":"` + slug + `","description":null,"type":"` + typ +
		`","resource_type_slug":"` + resType + `","permissions":[` + perms + `],` + t0 + `}`
}

func TestPermissionsWire(t *testing.T) {
	t.Parallel()
	wsView := `{"object":"permission","id":"perm_000001","slug":"workspace:view","name":"workspace:view","description":null,"system":false,"resource_type_slug":"workspace",` + t0 + `}`
	runWire(t, []wireCase{
		{"list", "GET", "/authorization/permissions?order=asc", "", 200, list(wsView, editJSON, viewJSON)},
		{"list a page", "GET", "/authorization/permissions?limit=1", "", 200,
			`{"object":"list","data":[` + viewJSON + `],"list_metadata":{"before":null,"after":"perm_000003"}}`},
		{"create", "POST", "/authorization/permissions", `{"slug":"project:delete","name":"Delete projects","description":"Gone","resource_type_slug":"project"}`, 201,
			`{"object":"permission","id":"perm_000004","slug":"project:delete","name":"Delete projects","description":"Gone","system":false,"resource_type_slug":"project",` + t0 + `}`},
		{"create defaults to organization", "POST", "/authorization/permissions", `{"slug":"billing:read","name":"Billing"}`, 201,
			`{"object":"permission","id":"perm_000004","slug":"billing:read","name":"Billing","description":null,"system":false,"resource_type_slug":"organization",` + t0 + `}`},
		{"create a duplicate", "POST", "/authorization/permissions", `{"slug":"project:edit","name":"Edit"}`, 409,
			`{"code":"permission_slug_conflict","message":"a permission with slug \"project:edit\" already exists"}`},
		{"create without name", "POST", "/authorization/permissions", `{"slug":"x:y"}`, 422, `{"message":"name is required"}`},
		{"create with a bad slug", "POST", "/authorization/permissions", `{"slug":"Project Edit","name":"X"}`, 422,
			`{"message":"permission slug \"Project Edit\" must be 1-48 lowercase letters, digits, '-', '_', ':', '.' or '*'"}`},
		{"create for an unknown type", "POST", "/authorization/permissions", `{"slug":"doc:view","name":"X","resource_type_slug":"doc"}`, 404, `{"message":"resource type \"doc\" not found"}`},
		{"get", "GET", "/authorization/permissions/project:edit", "", 200, editJSON},
		{"get unknown", "GET", "/authorization/permissions/nope", "", 404, `{"message":"permission \"nope\" not found"}`},
		{"update", "PATCH", "/authorization/permissions/project:edit", `{"name":"Edit projects","description":"Change them"}`, 200,
			strings.Replace(strings.Replace(editJSON, `"name":"project:edit"`, `"name":"Edit projects"`, 1), `"description":null`, `"description":"Change them"`, 1)},
		{"update with a long name", "PATCH", "/authorization/permissions/project:edit", `{"name":"` + strings.Repeat("n", 49) + `"}`, 422, `{"message":"name must be at most 48 characters"}`},
		{"delete", "DELETE", "/authorization/permissions/project:edit", "", 204, ""},
		{"delete unknown", "DELETE", "/authorization/permissions/nope", "", 404, `{"message":"permission \"nope\" not found"}`},
	}, nil)
}

func TestRolesWire(t *testing.T) {
	t.Parallel()
	member := roleJSONLit("role_000001", "member", "EnvironmentRole", "organization", `"workspace:view"`)
	wsAdmin := roleJSONLit("role_000002", "workspace-admin", "EnvironmentRole", "workspace", `"workspace:view","project:edit"`)
	viewer := roleJSONLit("role_000003", "project-viewer", "EnvironmentRole", "project", `"project:view"`)
	auditor := roleJSONLit("role_000004", "org-auditor", "OrganizationRole", "organization", `"project:view"`)
	envList := `{"object":"list","data":[` + member + `,` + wsAdmin + `,` + viewer + `]}`
	const org = "/authorization/organizations/org_acme/roles"
	runWire(t, []wireCase{
		{"create environment role", "POST", "/authorization/roles", `{"slug":"ws-viewer","name":"Viewer","resource_type_slug":"workspace"}`, 201,
			`{"object":"role","id":"role_000005","slug":"ws-viewer","name":"Viewer","description":null,"type":"EnvironmentRole","resource_type_slug":"workspace","permissions":[],` + t0 + `}`},
		{"create environment role conflict", "POST", "/authorization/roles", `{"slug":"member","name":"Member"}`, 409, `{"code":"role_slug_conflict","message":"a role with slug \"member\" already exists"}`},
		{"create environment role without slug", "POST", "/authorization/roles", `{"name":"Member"}`, 422, `{"message":"slug is required"}`},
		{"list environment roles, not paginated", "GET", "/authorization/roles", "", 200, envList},
		{"get environment role", "GET", "/authorization/roles/workspace-admin", "", 200, wsAdmin},
		{"get unknown role", "GET", "/authorization/roles/owner", "", 404, `{"message":"role \"owner\" not found"}`},
		{"update environment role", "PATCH", "/authorization/roles/member", `{"name":"Members"}`, 200, strings.Replace(member, `"name":"member"`, `"name":"Members"`, 1)},
		{"set permissions", "PUT", "/authorization/roles/workspace-admin/permissions", `{"permissions":["project:view","workspace:view"]}`, 200,
			roleJSONLit("role_000002", "workspace-admin", "EnvironmentRole", "workspace", `"project:view","workspace:view"`)},
		{"set a non-descendant permission", "PUT", "/authorization/roles/project-viewer/permissions", `{"permissions":["workspace:view"]}`, 422,
			`{"message":"permission \"workspace:view\" of resource type \"workspace\" cannot be in a role scoped to \"project\": only its own type and descendant types are allowed"}`},
		{"set an unknown permission", "PUT", "/authorization/roles/member/permissions", `{"permissions":["nope"]}`, 404, `{"message":"permission \"nope\" not found"}`},
		{"add a permission", "POST", "/authorization/roles/member/permissions", `{"slug":"project:view"}`, 200,
			roleJSONLit("role_000001", "member", "EnvironmentRole", "organization", `"workspace:view","project:view"`)},
		{"add a permission it has", "POST", "/authorization/roles/member/permissions", `{"slug":"workspace:view"}`, 200, member},

		{"create org role", "POST", org, `{"slug":"org-editor","name":"Editor","resource_type_slug":"project"}`, 201,
			`{"object":"role","id":"role_000005","slug":"org-editor","name":"Editor","description":null,"type":"OrganizationRole","resource_type_slug":"project","permissions":[],` + t0 + `}`},
		{"create org role with a generated slug", "POST", org, `{"name":"Big Boss"}`, 201,
			`{"object":"role","id":"role_000005","slug":"org-big-boss-1","name":"Big Boss","description":null,"type":"OrganizationRole","resource_type_slug":"organization","permissions":[],` + t0 + `}`},
		{"create org role without org- prefix", "POST", org, `{"slug":"editor","name":"Editor"}`, 422,
			`{"message":"organization role slug \"editor\" must start with \"org-\" and contain only lowercase letters, digits, '-' and '_' (at most 48)"}`},
		{"create org role conflict", "POST", org, `{"slug":"org-auditor","name":"A"}`, 409,
			`{"code":"organization_role_slug_conflict","message":"a role with slug \"org-auditor\" already exists in organization \"org_acme\""}`},
		{"create org role in an unknown org", "POST", "/authorization/organizations/org_nope/roles", `{"slug":"org-x","name":"X"}`, 404, `{"message":"organization \"org_nope\" not found"}`},
		{"list org roles", "GET", org, "", 200, `{"object":"list","data":[` + member + `,` + wsAdmin + `,` + viewer + `,` + auditor + `]}`},
		{"list another org's roles", "GET", "/authorization/organizations/org_globex/roles", "", 200, envList},
		{"get org role", "GET", org + "/org-auditor", "", 200, auditor},
		{"get environment role through the org", "GET", org + "/member", "", 200, member},
		{"get org role of another org", "GET", "/authorization/organizations/org_globex/roles/org-auditor", "", 404, `{"message":"role \"org-auditor\" not found in organization \"org_globex\""}`},
		{"update org role", "PATCH", org + "/org-auditor", `{"description":"Reads"}`, 200, strings.Replace(auditor, `"description":null`, `"description":"Reads"`, 1)},
		{"set org role permissions", "PUT", org + "/org-auditor/permissions", `{"permissions":[]}`, 200,
			roleJSONLit("role_000004", "org-auditor", "OrganizationRole", "organization", ``)},
		{"add org role permission", "POST", org + "/org-auditor/permissions", `{"slug":"project:edit"}`, 200,
			roleJSONLit("role_000004", "org-auditor", "OrganizationRole", "organization", `"project:view","project:edit"`)},
		{"remove org role permission", "DELETE", org + "/org-auditor/permissions/project:view", "", 200,
			roleJSONLit("role_000004", "org-auditor", "OrganizationRole", "organization", ``)},
		{"remove a permission the role lacks", "DELETE", org + "/org-auditor/permissions/project:edit", "", 404, `{"message":"role \"org-auditor\" has no permission \"project:edit\""}`},
		{"delete an assigned org role", "DELETE", org + "/org-auditor", "", 409,
			`{"code":"role_has_assignments","message":"role \"org-auditor\" is the organization role of membership \"om_carol\""}`},
		{"delete environment role through the org", "DELETE", org + "/member", "", 404, `{"message":"role \"member\" not found in organization \"org_acme\""}`},
	}, nil)
}

func TestDeleteOrganizationRole(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.AddOrganizationRole("org_acme", "org-editor", "project", "project:edit")
	id := f.Assign("om_bob", "org-editor", "authz_resource_web")
	if !checkOK(t, f, "om_bob", "project:edit", "authz_resource_web") {
		t.Fatal("custom role on a resource does not grant")
	}
	status, body, _ := call(t, f, "DELETE", "/authorization/organizations/org_acme/roles/org-editor", "")
	if status != 409 {
		t.Fatalf("delete assigned: %d %s", status, body)
	}
	equalJSON(t, body, `{"code":"role_has_assignments","message":"role \"org-editor\" is still assigned (role assignment \"`+id+`\")"}`)
	f.Unassign(id)
	g := f.AddGroup("", "org_acme", "Editors")
	gra := f.AssignGroup(g, "org-editor", "authz_resource_web")
	status, body, _ = call(t, f, "DELETE", "/authorization/organizations/org_acme/roles/org-editor", "")
	equalJSON(t, body, `{"code":"role_has_group_role_mappings","message":"role \"org-editor\" is assigned to group \"`+g+`\""}`)
	if status != 409 {
		t.Fatalf("delete group-assigned: %d", status)
	}
	call(t, f, "DELETE", "/authorization/groups/"+g+"/role_assignments/"+gra, "")
	if status, body, _ := call(t, f, "DELETE", "/authorization/organizations/org_acme/roles/org-editor", ""); status != 204 {
		t.Fatalf("delete unassigned: %d %s", status, body)
	}
	if status, _, _ := call(t, f, "GET", "/authorization/organizations/org_acme/roles/org-editor", ""); status != 404 {
		t.Errorf("deleted role still answers %d", status)
	}
}

func TestRolePermissionChangesApplyAtOnce(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	if checkOK(t, f, "om_bob", "project:edit", "authz_resource_web") {
		t.Fatal("bob edits web before the change")
	}
	call(t, f, "POST", "/authorization/roles/member/permissions", `{"slug":"project:edit"}`)
	if !checkOK(t, f, "om_bob", "project:edit", "authz_resource_web") {
		t.Error("adding project:edit to member does not let bob edit web")
	}
	call(t, f, "DELETE", "/authorization/permissions/project:edit", "")
	status, _, _ := call(t, f, "POST", "/authorization/organization_memberships/om_bob/check", `{"permission_slug":"project:edit","resource_id":"authz_resource_web"}`)
	if status != 404 {
		t.Errorf("check of a deleted permission: %d, want 404", status)
	}
}

func TestClockAndRolePermissions(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.SetTime(epoch.Add(36 * time.Hour))
	f.SetRolePermissions("", "member", "workspace:view", "project:edit")
	if !checkOK(t, f, "om_bob", "project:edit", "authz_resource_web") {
		t.Error("SetRolePermissions does not apply at once")
	}
	f.Advance(1500 * time.Millisecond)
	_, body, _ := call(t, f, "GET", "/authorization/roles/member", "")
	equalJSON(t, body, `{"object":"role","id":"role_000001","slug":"member","name":"member","description":null,"type":"EnvironmentRole",
		"resource_type_slug":"organization","permissions":["workspace:view","project:edit"],
		"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-17T00:00:00.000Z"}`)
	_, body, _ = call(t, f, "POST", "/authorization/resources", `{"external_id":"ops","name":"Ops","resource_type_slug":"workspace","organization_id":"org_acme"}`)
	if !strings.Contains(body, `"created_at":"2026-01-17T00:00:01.500Z"`) {
		t.Errorf("created_at does not follow the fake's clock: %s", body)
	}
}
