package authztest

import "testing"

const aliceEngAssignment = `{"object":"role_assignment","id":"role_assignment_alice_eng","organization_membership_id":"om_alice",
	"role":{"slug":"workspace-admin"},"resource":{"id":"authz_resource_eng","external_id":"eng","resource_type_slug":"workspace"},
	"source":{"type":"direct","group_role_assignment_id":null},
	"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`

func TestAssignmentsWire(t *testing.T) {
	t.Parallel()
	const base = "/authorization/organization_memberships/om_bob/role_assignments"
	runWire(t, []wireCase{
		{"assign by id", "POST", base, `{"role_slug":"workspace-admin","resource_id":"authz_resource_eng"}`, 201,
			`{"object":"role_assignment","id":"role_assignment_000001","organization_membership_id":"om_bob",
			"role":{"slug":"workspace-admin"},"resource":{"id":"authz_resource_eng","external_id":"eng","resource_type_slug":"workspace"},
			"source":{"type":"direct","group_role_assignment_id":null},
			"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`},
		{"assign by external id", "POST", base, `{"role_slug":"workspace-admin","resource_external_id":"eng","resource_type_slug":"workspace"}`, 201,
			`{"object":"role_assignment","id":"role_assignment_000001","organization_membership_id":"om_bob",
			"role":{"slug":"workspace-admin"},"resource":{"id":"authz_resource_eng","external_id":"eng","resource_type_slug":"workspace"},
			"source":{"type":"direct","group_role_assignment_id":null},
			"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`},
		{"assign a role of another type", "POST", base, `{"role_slug":"workspace-admin","resource_id":"authz_resource_web"}`, 422,
			`{"message":"role \"workspace-admin\" is scoped to \"workspace\" and cannot be assigned on a project"}`},
		{"assign an unknown role", "POST", base, `{"role_slug":"owner","resource_id":"authz_resource_eng"}`, 404, `{"message":"role \"owner\" not found"}`},
		{"assign another org's custom role", "POST", "/authorization/organization_memberships/om_mallory/role_assignments",
			`{"role_slug":"org-auditor","resource_external_id":"org_globex","resource_type_slug":"organization"}`, 404, `{"message":"role \"org-auditor\" not found"}`},
		{"assign without role_slug", "POST", base, `{"resource_id":"authz_resource_eng"}`, 422, `{"message":"role_slug is required"}`},
		{"assign without target", "POST", base, `{"role_slug":"workspace-admin"}`, 422, `{"message":"a resource is required: resource_id, or resource_external_id with resource_type_slug"}`},
		{"assign on another org's resource", "POST", base, `{"role_slug":"workspace-admin","resource_id":"authz_resource_hq"}`, 404, `{"message":"resource \"authz_resource_hq\" not found"}`},
		// The operation declares no 409: 422, {"message"} only.
		{"assign a duplicate", "POST", base, `{"role_slug":"project-viewer","resource_id":"authz_resource_crm"}`, 422,
			`{"message":"membership \"om_bob\" already has role \"project-viewer\" on resource \"authz_resource_crm\""}`},
		{"assign naming the resource both ways", "POST", base, `{"role_slug":"workspace-admin","resource_id":"authz_resource_eng","resource_type_slug":"workspace"}`, 422,
			`{"message":"resource_id is mutually exclusive with resource_external_id and resource_type_slug: name the resource one way"}`},
		{"assign for unknown membership", "POST", "/authorization/organization_memberships/om_nobody/role_assignments", `{"role_slug":"workspace-admin","resource_id":"authz_resource_eng"}`, 404,
			`{"message":"organization membership \"om_nobody\" not found"}`},

		{"remove by body", "DELETE", base, `{"role_slug":"project-viewer","resource_id":"authz_resource_crm"}`, 204, ""},
		{"remove by body with external id", "DELETE", base, `{"role_slug":"project-viewer","resource_external_id":"crm","resource_type_slug":"project"}`, 204, ""},
		{"remove by body, nothing matches", "DELETE", base, `{"role_slug":"project-viewer","resource_id":"authz_resource_web"}`, 404,
			`{"message":"membership \"om_bob\" has no role \"project-viewer\" on resource \"authz_resource_web\""}`},
		{"remove by body naming the resource both ways", "DELETE", base, `{"role_slug":"project-viewer","resource_id":"authz_resource_crm","resource_external_id":"crm","resource_type_slug":"project"}`, 422,
			`{"message":"resource_id is mutually exclusive with resource_external_id and resource_type_slug: name the resource one way"}`},
		{"remove by body without target", "DELETE", base, `{"role_slug":"project-viewer"}`, 422, `{"message":"a resource is required: resource_id, or resource_external_id with resource_type_slug"}`},
		{"remove by id", "DELETE", base + "/role_assignment_bob_crm", "", 204, ""},
		{"remove by id of another membership", "DELETE", base + "/role_assignment_alice_eng", "", 404, `{"message":"role assignment \"role_assignment_alice_eng\" not found"}`},
		{"remove unknown id", "DELETE", base + "/role_assignment_nope", "", 404, `{"message":"role assignment \"role_assignment_nope\" not found"}`},

		{"list", "GET", "/authorization/organization_memberships/om_alice/role_assignments", "", 200,
			`{"object":"list","data":[` + aliceEngAssignment + `],"list_metadata":{"before":null,"after":null}}`},
		{"list filtered by resource", "GET", "/authorization/organization_memberships/om_alice/role_assignments?resource_external_id=web&resource_type_slug=project", "", 200,
			`{"object":"list","data":[],"list_metadata":{"before":null,"after":null}}`},
		{"list filtered by type", "GET", "/authorization/organization_memberships/om_alice/role_assignments?resource_type_slug=workspace", "", 200,
			`{"object":"list","data":[` + aliceEngAssignment + `],"list_metadata":{"before":null,"after":null}}`},
		{"list for unknown membership", "GET", "/authorization/organization_memberships/om_nobody/role_assignments", "", 404,
			`{"message":"organization membership \"om_nobody\" not found"}`},
		{"list with a bad limit", "GET", "/authorization/organization_memberships/om_alice/role_assignments?limit=0", "", 422,
			`{"message":"limit must be an integer between 1 and 100"}`},
	}, nil)
}

func TestRevokedAssignmentDeniesNextCheck(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	if !checkOK(t, f, "om_bob", "project:view", "authz_resource_crm") {
		t.Fatal("bob cannot view crm before the revocation")
	}
	status, body, _ := call(t, f, "DELETE", "/authorization/organization_memberships/om_bob/role_assignments",
		`{"role_slug":"project-viewer","resource_id":"authz_resource_crm"}`)
	if status != 204 {
		t.Fatalf("remove: %d %s", status, body)
	}
	if checkOK(t, f, "om_bob", "project:view", "authz_resource_crm") {
		t.Error("bob still views crm after the revocation")
	}
	// Assigning again counts in the very next check.
	if status, body, _ := call(t, f, "POST", "/authorization/organization_memberships/om_bob/role_assignments",
		`{"role_slug":"project-viewer","resource_id":"authz_resource_crm"}`); status != 201 {
		t.Fatalf("assign: %d %s", status, body)
	}
	if !checkOK(t, f, "om_bob", "project:view", "authz_resource_crm") {
		t.Error("bob cannot view crm after the new assignment")
	}
}
