package authztest

import (
	"strings"
	"testing"
)

const engJSON = `{"object":"authorization_resource","id":"authz_resource_eng","external_id":"eng","name":"Engineering",
	"description":null,"resource_type_slug":"workspace","organization_id":"org_acme","parent_resource_id":null,
	"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`

const webJSON = `{"object":"authorization_resource","id":"authz_resource_web","external_id":"web","name":"Web",
	"description":null,"resource_type_slug":"project","organization_id":"org_acme","parent_resource_id":"authz_resource_eng",
	"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`

func TestResourcesWire(t *testing.T) {
	t.Parallel()
	const ext = "/authorization/organizations/org_acme/resources"
	long := strings.Repeat("x", 129)
	runWire(t, []wireCase{
		{"create", "POST", "/authorization/resources",
			`{"external_id":"api","name":"API","description":"The API","resource_type_slug":"project","organization_id":"org_acme","parent_resource_id":"authz_resource_eng"}`,
			201, `{"object":"authorization_resource","id":"authz_resource_000003","external_id":"api","name":"API","description":"The API",
				"resource_type_slug":"project","organization_id":"org_acme","parent_resource_id":"authz_resource_eng",
				"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`},
		{"create under the org root by default", "POST", "/authorization/resources",
			`{"external_id":"ops","name":"Ops","resource_type_slug":"workspace","organization_id":"org_acme"}`,
			201, `{"object":"authorization_resource","id":"authz_resource_000003","external_id":"ops","name":"Ops","description":null,
				"resource_type_slug":"workspace","organization_id":"org_acme","parent_resource_id":null,
				"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`},
		{"create with parent by external id", "POST", "/authorization/resources",
			`{"external_id":"api","name":"API","resource_type_slug":"project","organization_id":"org_acme","parent_resource_external_id":"eng","parent_resource_type_slug":"workspace"}`,
			201, `{"object":"authorization_resource","id":"authz_resource_000003","external_id":"api","name":"API","description":null,
				"resource_type_slug":"project","organization_id":"org_acme","parent_resource_id":"authz_resource_eng",
				"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`},
		{"create external id conflict", "POST", "/authorization/resources",
			`{"external_id":"eng","name":"Eng","resource_type_slug":"workspace","organization_id":"org_acme"}`,
			409, `{"code":"authorization_resource_external_id_conflict","message":"a workspace with external_id \"eng\" already exists in organization \"org_acme\""}`},
		{"same external id in another org is fine", "POST", "/authorization/resources",
			`{"external_id":"eng","name":"Eng","resource_type_slug":"workspace","organization_id":"org_globex"}`,
			201, `{"object":"authorization_resource","id":"authz_resource_000003","external_id":"eng","name":"Eng","description":null,
				"resource_type_slug":"workspace","organization_id":"org_globex","parent_resource_id":null,
				"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`},
		{"create with both parent forms", "POST", "/authorization/resources",
			`{"external_id":"api","name":"API","resource_type_slug":"project","organization_id":"org_acme","parent_resource_id":"authz_resource_eng","parent_resource_external_id":"eng","parent_resource_type_slug":"workspace"}`,
			422, `{"message":"give the parent either as parent_resource_id or as parent_resource_external_id with parent_resource_type_slug, not both"}`},
		{"create with a parent of a wrong type", "POST", "/authorization/resources",
			`{"external_id":"api","name":"API","resource_type_slug":"project","organization_id":"org_acme"}`,
			422, `{"message":"a resource of type \"project\" cannot have a parent of type \"organization\" (allowed: workspace)"}`},
		{"create with a parent in another org", "POST", "/authorization/resources",
			`{"external_id":"api","name":"API","resource_type_slug":"project","organization_id":"org_acme","parent_resource_id":"authz_resource_hq"}`,
			422, `{"message":"parent resource \"authz_resource_hq\" belongs to another organization"}`},
		{"create with an unknown parent", "POST", "/authorization/resources",
			`{"external_id":"api","name":"API","resource_type_slug":"project","organization_id":"org_acme","parent_resource_external_id":"nope","parent_resource_type_slug":"workspace"}`,
			404, `{"message":"parent workspace \"nope\" not found"}`},
		{"create in an unknown org", "POST", "/authorization/resources",
			`{"external_id":"x","name":"X","resource_type_slug":"workspace","organization_id":"org_nope"}`,
			404, `{"message":"organization \"org_nope\" not found"}`},
		{"create of an unknown type", "POST", "/authorization/resources",
			`{"external_id":"x","name":"X","resource_type_slug":"folder","organization_id":"org_acme"}`,
			404, `{"message":"resource type \"folder\" not found"}`},
		{"create without external_id", "POST", "/authorization/resources",
			`{"name":"X","resource_type_slug":"workspace","organization_id":"org_acme"}`, 422, `{"message":"external_id is required"}`},
		{"create without name", "POST", "/authorization/resources",
			`{"external_id":"x","resource_type_slug":"workspace","organization_id":"org_acme"}`, 422, `{"message":"name is required"}`},
		{"external_id too long", "POST", "/authorization/resources",
			`{"external_id":"` + long + `","name":"X","resource_type_slug":"workspace","organization_id":"org_acme"}`, 422, `{"message":"external_id must be at most 128 characters"}`},
		{"external_id not ASCII", "POST", "/authorization/resources",
			`{"external_id":"café","name":"X","resource_type_slug":"workspace","organization_id":"org_acme"}`, 422, `{"message":"external_id must contain only ASCII characters"}`},
		{"name too long", "POST", "/authorization/resources",
			`{"external_id":"x","name":"` + strings.Repeat("n", 49) + `","resource_type_slug":"workspace","organization_id":"org_acme"}`, 422, `{"message":"name must be at most 48 characters"}`},
		{"description too long", "POST", "/authorization/resources",
			`{"external_id":"x","name":"X","description":"` + strings.Repeat("d", 151) + `","resource_type_slug":"workspace","organization_id":"org_acme"}`, 422, `{"message":"description must be at most 150 characters"}`},
		{"create an organization resource", "POST", "/authorization/resources",
			`{"external_id":"x","name":"X","resource_type_slug":"organization","organization_id":"org_acme"}`, 422, `{"message":"organization resources are created with their organization"}`},

		{"get by id", "GET", "/authorization/resources/authz_resource_eng", "", 200, engJSON},
		{"get child by id", "GET", "/authorization/resources/authz_resource_web", "", 200, webJSON},
		{"get by external id", "GET", ext + "/project/web", "", 200, webJSON},
		{"get the org root", "GET", ext + "/organization/org_acme", "", 200,
			`{"object":"authorization_resource","id":"authz_resource_000001","external_id":"org_acme","name":"Acme","description":null,
			"resource_type_slug":"organization","organization_id":"org_acme","parent_resource_id":null,
			"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`},
		{"get unknown id", "GET", "/authorization/resources/authz_resource_nope", "", 404, `{"message":"resource \"authz_resource_nope\" not found"}`},
		{"get unknown external id", "GET", ext + "/project/nope", "", 404, `{"message":"project \"nope\" not found in organization \"org_acme\""}`},
		{"get in unknown org", "GET", "/authorization/organizations/org_nope/resources/project/web", "", 404, `{"message":"organization \"org_nope\" not found"}`},

		{"update name and description", "PATCH", "/authorization/resources/authz_resource_eng", `{"name":"Eng","description":"Builds"}`, 200,
			strings.Replace(strings.Replace(engJSON, `"Engineering"`, `"Eng"`, 1), `"description":null`, `"description":"Builds"`, 1)},
		{"update by external id", "PATCH", ext + "/workspace/eng", `{"name":"Eng"}`, 200, strings.Replace(engJSON, `"Engineering"`, `"Eng"`, 1)},
		{"reparent", "PATCH", "/authorization/resources/authz_resource_web", `{"parent_resource_id":"authz_resource_sales"}`, 200,
			strings.Replace(webJSON, `"parent_resource_id":"authz_resource_eng"`, `"parent_resource_id":"authz_resource_sales"`, 1)},
		{"reparent by external id", "PATCH", "/authorization/resources/authz_resource_web", `{"parent_resource_external_id":"sales","parent_resource_type_slug":"workspace"}`, 200,
			strings.Replace(webJSON, `"parent_resource_id":"authz_resource_eng"`, `"parent_resource_id":"authz_resource_sales"`, 1)},
		{"reparent to a wrong type", "PATCH", "/authorization/resources/authz_resource_web", `{"parent_resource_id":"authz_resource_crm"}`, 422,
			`{"message":"a resource of type \"project\" cannot have a parent of type \"project\" (allowed: workspace)"}`},
		{"reparent to another org", "PATCH", "/authorization/resources/authz_resource_web", `{"parent_resource_id":"authz_resource_hq"}`, 422,
			`{"message":"parent resource \"authz_resource_hq\" belongs to another organization"}`},
		{"change external_id", "PATCH", "/authorization/resources/authz_resource_web", `{"external_id":"www"}`, 422, `{"message":"external_id cannot change"}`},
		{"update the org root", "PATCH", "/authorization/resources/authz_resource_000001", `{"name":"X"}`, 422, `{"message":"the organization resource cannot be changed"}`},
		{"update unknown", "PATCH", "/authorization/resources/authz_resource_nope", `{"name":"X"}`, 404, `{"message":"resource \"authz_resource_nope\" not found"}`},

		{"delete a leaf", "DELETE", "/authorization/resources/authz_resource_web", "", 204, ""},
		{"delete by external id", "DELETE", ext + "/project/web", "", 204, ""},
		{"delete with children", "DELETE", "/authorization/resources/authz_resource_sales", "", 409,
			`{"code":"resource_has_dependents","message":"resource \"authz_resource_sales\" has child resources or role assignments; delete them first or set cascade_delete=true"}`},
		{"delete with assignments", "DELETE", "/authorization/resources/authz_resource_crm?cascade_delete=false", "", 409,
			`{"code":"resource_has_dependents","message":"resource \"authz_resource_crm\" has child resources or role assignments; delete them first or set cascade_delete=true"}`},
		{"delete with cascade", "DELETE", "/authorization/resources/authz_resource_sales?cascade_delete=true", "", 204, ""},
		{"delete with a bad cascade value", "DELETE", "/authorization/resources/authz_resource_web?cascade_delete=yes", "", 422, `{"message":"cascade_delete must be true or false"}`},
		{"delete the org root", "DELETE", "/authorization/resources/authz_resource_000001", "", 403, `{"message":"the organization resource cannot be deleted; it goes with its organization"}`},
		{"delete unknown", "DELETE", "/authorization/resources/authz_resource_nope", "", 404, `{"message":"resource \"authz_resource_nope\" not found"}`},
	}, nil)
}

func TestReparentCycle(t *testing.T) {
	t.Parallel()
	f := New(t, WithClock(epoch))
	f.AddResourceType("folder", "organization", "folder")
	f.AddOrganization("org_1", "One")
	a := f.AddResource(Resource{ExternalID: "a", ResourceTypeSlug: "folder", OrganizationID: "org_1"})
	b := f.AddResource(Resource{ExternalID: "b", ResourceTypeSlug: "folder", OrganizationID: "org_1", ParentResourceID: a})
	for _, parent := range []string{a, b} {
		status, body, _ := call(t, f, "PATCH", "/authorization/resources/"+a, `{"parent_resource_id":"`+parent+`"}`)
		if status != 422 {
			t.Errorf("move %s under %s: %d %s, want 422", a, parent, status, body)
		}
		equalJSON(t, body, `{"message":"resource \"`+a+`\" cannot move under itself or one of its descendants"}`)
	}
}

func TestCheckFollowsChanges(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	// Alice edits web through workspace-admin on eng.
	if !checkOK(t, f, "om_alice", "project:edit", "authz_resource_web") {
		t.Fatal("alice cannot edit web before any change")
	}
	// Reparenting web under sales takes the inheritance away at once.
	if status, body, _ := call(t, f, "PATCH", "/authorization/resources/authz_resource_web", `{"parent_resource_id":"authz_resource_sales"}`); status != 200 {
		t.Fatalf("reparent: %d %s", status, body)
	}
	if checkOK(t, f, "om_alice", "project:edit", "authz_resource_web") {
		t.Error("alice still edits web after it moved out of eng")
	}
	// Moving it back restores it.
	call(t, f, "PATCH", "/authorization/resources/authz_resource_web", `{"parent_resource_external_id":"eng","parent_resource_type_slug":"workspace"}`)
	if !checkOK(t, f, "om_alice", "project:edit", "authz_resource_web") {
		t.Error("alice cannot edit web after it moved back")
	}
	// Revoking the assignment denies the very next check.
	if status, body, _ := call(t, f, "DELETE", "/authorization/organization_memberships/om_alice/role_assignments/role_assignment_alice_eng", ""); status != 204 {
		t.Fatalf("unassign: %d %s", status, body)
	}
	if checkOK(t, f, "om_alice", "project:edit", "authz_resource_web") {
		t.Error("alice still edits web after the revocation")
	}
}

func TestCascadeDeleteRemovesAssignments(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	if status, body, _ := call(t, f, "DELETE", "/authorization/resources/authz_resource_sales?cascade_delete=true", ""); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
	for _, path := range []string{"/authorization/resources/authz_resource_sales", "/authorization/resources/authz_resource_crm"} {
		if status, _, _ := call(t, f, "GET", path, ""); status != 404 {
			t.Errorf("GET %s = %d after cascade, want 404", path, status)
		}
	}
	status, body, _ := call(t, f, "GET", "/authorization/organization_memberships/om_bob/role_assignments", "")
	if status != 200 {
		t.Fatalf("list: %d %s", status, body)
	}
	equalJSON(t, body, `{"object":"list","data":[],"list_metadata":{"before":null,"after":null}}`)
	// The external ID is free again.
	status, body, _ = call(t, f, "POST", "/authorization/resources", `{"external_id":"crm","name":"CRM","resource_type_slug":"project","organization_id":"org_acme","parent_resource_id":"authz_resource_eng"}`)
	if status != 201 {
		t.Errorf("re-create crm: %d %s", status, body)
	}
}
