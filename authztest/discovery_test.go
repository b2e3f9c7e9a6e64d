package authztest

import (
	"strings"
	"testing"
)

const (
	t0          = `"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"`
	crmJSON     = `{"object":"authorization_resource","id":"authz_resource_crm","external_id":"crm","name":"CRM","description":null,"resource_type_slug":"project","organization_id":"org_acme","parent_resource_id":"authz_resource_sales",` + t0 + `}`
	editJSON    = `{"object":"permission","id":"perm_000002","slug":"project:edit","name":"project:edit","description":null,"system":false,"resource_type_slug":"project",` + t0 + `}`
	viewJSON    = `{"object":"permission","id":"perm_000003","slug":"project:view","name":"project:view","description":null,"system":false,"resource_type_slug":"project",` + t0 + `}`
	emptyList   = `{"object":"list","data":[],"list_metadata":{"before":null,"after":null}}`
	aliceOMJSON = `{"object":"organization_membership","id":"om_alice","user_id":"user_alice","organization_id":"org_acme","organization_name":"Acme",
		"status":"active","directory_managed":false,
		"user":{"object":"user","id":"user_alice","email":"user_alice@example.com","first_name":null,"last_name":null,"email_verified":true,"profile_picture_url":null,"external_id":null,"last_sign_in_at":null,` + t0 + `},` + t0 + `}`
)

func list(items ...string) string {
	return `{"object":"list","data":[` + strings.Join(items, ",") + `],"list_metadata":{"before":null,"after":null}}`
}

func TestDiscoveryWire(t *testing.T) {
	t.Parallel()
	const alice = "/authorization/organization_memberships/om_alice"
	bobOM := strings.NewReplacer("om_alice", "om_bob", "user_alice", "user_bob").Replace(aliceOMJSON)
	runWire(t, []wireCase{
		{"resources under a parent, inherited", "GET", alice + "/resources?permission_slug=project:edit&parent_resource_id=authz_resource_eng", "", 200, list(webJSON)},
		{"resources under a parent by external id", "GET", alice + "/resources?permission_slug=project:edit&parent_resource_type_slug=workspace&parent_resource_external_id=eng", "", 200, list(webJSON)},
		{"resources without access", "GET", alice + "/resources?permission_slug=project:edit&parent_resource_id=authz_resource_sales", "", 200, emptyList},
		{"resources through a custom org role", "GET", "/authorization/organization_memberships/om_carol/resources?permission_slug=project:view&parent_resource_id=authz_resource_sales", "", 200, list(crmJSON)},
		{"workspaces under the org root", "GET", alice + "/resources?permission_slug=workspace:view&parent_resource_type_slug=organization&parent_resource_external_id=org_acme", "", 200, list(salesJSON, engJSON)},
		{"resources without a permission", "GET", alice + "/resources?parent_resource_id=authz_resource_eng", "", 422, `{"message":"permission_slug is required"}`},
		{"resources without a parent", "GET", alice + "/resources?permission_slug=project:edit", "", 400, `{"code":"bad_request","message":"give parent_resource_id, or parent_resource_external_id with parent_resource_type_slug"}`},
		{"resources with both parents", "GET", alice + "/resources?permission_slug=project:edit&parent_resource_id=authz_resource_eng&parent_resource_type_slug=workspace&parent_resource_external_id=eng", "", 400,
			`{"code":"bad_request","message":"give parent_resource_id, or parent_resource_external_id with parent_resource_type_slug"}`},
		{"resources under an unknown parent", "GET", alice + "/resources?permission_slug=project:edit&parent_resource_id=authz_resource_nope", "", 404, `{"message":"resource \"authz_resource_nope\" not found"}`},
		{"resources of an unknown permission", "GET", alice + "/resources?permission_slug=nope&parent_resource_id=authz_resource_eng", "", 404, `{"message":"permission \"nope\" not found"}`},

		{"effective permissions", "GET", alice + "/resources/authz_resource_web/permissions", "", 200, list(editJSON)},
		{"effective permissions, SDK path", "GET", "/authorization/resources/authz_resource_web/organization_memberships/om_alice/permissions", "", 200, list(editJSON)},
		{"effective permissions by external id", "GET", alice + "/resources/project/web/permissions", "", 200, list(editJSON)},
		{"effective permissions, several routes", "GET", "/authorization/organization_memberships/om_bob/resources/authz_resource_crm/permissions?order=asc", "", 200, list(viewJSON)},
		{"effective permissions, none", "GET", alice + "/resources/authz_resource_crm/permissions", "", 200, emptyList},
		{"effective permissions, other org", "GET", alice + "/resources/authz_resource_hq/permissions", "", 404, `{"message":"resource \"authz_resource_hq\" not found"}`},
		{"effective permissions, unknown membership", "GET", "/authorization/organization_memberships/om_nobody/resources/project/web/permissions", "", 404, `{"message":"organization membership \"om_nobody\" not found"}`},

		{"memberships, direct by default", "GET", "/authorization/resources/authz_resource_eng/organization_memberships?permission_slug=workspace:view", "", 200, list(aliceOMJSON)},
		{"memberships, indirect", "GET", "/authorization/resources/authz_resource_eng/organization_memberships?permission_slug=workspace:view&assignment=indirect", "", 200, list(bobOM, aliceOMJSON)},
		{"memberships, inherited is not direct", "GET", "/authorization/resources/authz_resource_web/organization_memberships?permission_slug=project:edit&assignment=direct", "", 200, emptyList},
		{"memberships by external id", "GET", "/authorization/organizations/org_acme/resources/project/web/organization_memberships?permission_slug=project:edit&assignment=indirect", "", 200, list(aliceOMJSON)},
		{"memberships, bad assignment", "GET", "/authorization/resources/authz_resource_eng/organization_memberships?permission_slug=workspace:view&assignment=all", "", 422, `{"message":"assignment must be direct or indirect"}`},
		{"memberships without permission", "GET", "/authorization/resources/authz_resource_eng/organization_memberships", "", 422, `{"message":"permission_slug is required"}`},
		{"memberships of an unknown resource", "GET", "/authorization/resources/authz_resource_nope/organization_memberships?permission_slug=workspace:view", "", 404, `{"message":"resource \"authz_resource_nope\" not found"}`},

		{"resource role assignments", "GET", "/authorization/resources/authz_resource_eng/role_assignments", "", 200, list(aliceEngAssignment)},
		{"resource role assignments by external id", "GET", "/authorization/organizations/org_acme/resources/workspace/eng/role_assignments?role_slug=workspace-admin", "", 200, list(aliceEngAssignment)},
		{"resource role assignments, other role", "GET", "/authorization/resources/authz_resource_eng/role_assignments?role_slug=member", "", 200, emptyList},
		{"resource role assignments, unknown resource", "GET", "/authorization/resources/authz_resource_nope/role_assignments", "", 404, `{"message":"resource \"authz_resource_nope\" not found"}`},

		{"list resources of an org and type", "GET", "/authorization/resources?organization_id=org_acme&resource_type_slug=project", "", 200, list(crmJSON, webJSON)},
		{"list resources by parent", "GET", "/authorization/resources?organization_id=org_acme&parent_resource_id=authz_resource_eng", "", 200, list(webJSON)},
		{"list resources without organization or type", "GET", "/authorization/resources?parent_resource_id=authz_resource_eng", "", 400,
			`{"code":"missing_organization_id_or_resource_type_slug","message":"organization_id or resource_type_slug is required"}`},
		{"list resources by both parent forms", "GET", "/authorization/resources?organization_id=org_acme&parent_resource_id=authz_resource_eng&parent_resource_type_slug=workspace&parent_external_id=eng", "", 422,
			`{"message":"parent_resource_id is mutually exclusive with parent_resource_type_slug and parent_external_id: name the parent one way"}`},
		{"list resources by parent external id", "GET", "/authorization/resources?organization_id=org_acme&parent_resource_type_slug=workspace&parent_external_id=sales", "", 200, list(crmJSON)},
		{"list resources by external id", "GET", "/authorization/resources?resource_type_slug=project&resource_external_id=web", "", 200, list(webJSON)},
		{"list resources, half a parent", "GET", "/authorization/resources?organization_id=org_acme&parent_external_id=sales", "", 422, `{"message":"parent_resource_type_slug and parent_external_id go together"}`},
	}, nil)
}
