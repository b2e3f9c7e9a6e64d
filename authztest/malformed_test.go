package authztest

import "testing"

// TestMalformedBodyStatus: a body that is not a JSON object is answered
// with a status and body the operation declares. 400 bad_request only where
// the spec declares that code (creates, role and group updates, adding a
// permission); elsewhere the operation's 422 (invalid_request_parameters
// where its 422 carries that code), and for session revocation its
// 400 {"message"}.
func TestMalformedBodyStatus(t *testing.T) {
	t.Parallel()
	const (
		badRequest = `{"code":"bad_request","message":"the request body must be a JSON object"}`
		invalid    = `{"message":"the request body must be a JSON object"}`
		invalidPar = `{"code":"invalid_request_parameters","message":"the request body must be a JSON object"}`
		message400 = `{"message":"the request body must be a JSON object"}`
	)
	const alice = "/authorization/organization_memberships/om_alice"
	runWire(t, []wireCase{
		// 400 bad_request is declared.
		{"create permission", "POST", "/authorization/permissions", `{`, 400, badRequest},
		{"create resource", "POST", "/authorization/resources", `{`, 400, badRequest},
		{"create role", "POST", "/authorization/roles", `{`, 400, badRequest},
		{"update role", "PATCH", "/authorization/roles/member", `{`, 400, badRequest},
		{"set environment role permissions", "PUT", "/authorization/roles/member/permissions", `{`, 400, badRequest},
		{"create group", "POST", "/organizations/org_acme/groups", `{`, 400, badRequest},
		// No fitting 400: the operation's 422.
		{"check", "POST", alice + "/check", `{`, 422, invalid},
		{"assign", "POST", alice + "/role_assignments", `{`, 422, invalid},
		{"remove by criteria", "DELETE", alice + "/role_assignments", `{`, 422, invalid},
		{"update permission", "PATCH", "/authorization/permissions/project:edit", `{`, 422, invalid},
		{"update resource", "PATCH", "/authorization/resources/authz_resource_web", `{`, 422, invalid},
		{"update resource by external ID", "PATCH", "/authorization/organizations/org_acme/resources/project/web", `{`, 422, invalid},
		{"set organization role permissions", "PUT", "/authorization/organizations/org_acme/roles/org-auditor/permissions", `{`, 422, invalid},
		{"add group member", "POST", "/organizations/org_acme/groups/group_eng/organization-memberships", `{`, 422, invalid},
		{"assign a group role", "POST", "/authorization/groups/group_eng/role_assignments", `{`, 422, invalid},
		{"replace group roles", "PUT", "/authorization/groups/group_eng/role_assignments", `{`, 422, invalid},
		{"remove group roles by criteria", "DELETE", "/authorization/groups/group_eng/role_assignments", `{`, 422, invalid},
		{"create membership", "POST", "/user_management/organization_memberships", `{`, 422, invalidPar},
		{"update membership", "PUT", "/user_management/organization_memberships/om_alice", `{`, 422, invalidPar},
		{"update JWT template", "PUT", "/user_management/jwt_template", `{`, 422, invalidPar},
		{"revoke session", "POST", "/user_management/sessions/revoke", `{`, 400, message400},
	}, func(f *Fake) { f.AddGroup("group_eng", "org_acme", "Engineering") })
}
