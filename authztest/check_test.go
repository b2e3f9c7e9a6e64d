package authztest

import (
	"net/http"
	"testing"
)

func TestCheckWire(t *testing.T) {
	t.Parallel()
	const alice = "/authorization/organization_memberships/om_alice/check"
	allowed, denied := `{"authorized":true}`, `{"authorized":false}`
	runWire(t, []wireCase{
		{"org role grants org-wide", "POST", alice, `{"permission_slug":"workspace:view","resource_id":"authz_resource_sales"}`, 200, allowed},
		{"direct role on the resource", "POST", "/authorization/organization_memberships/om_bob/check", `{"permission_slug":"project:view","resource_id":"authz_resource_crm"}`, 200, allowed},
		{"by external id", "POST", alice, `{"permission_slug":"project:edit","resource_external_id":"web","resource_type_slug":"project"}`, 200, allowed},
		{"inherited from the workspace", "POST", alice, `{"permission_slug":"project:edit","resource_id":"authz_resource_web"}`, 200, allowed},
		{"no route to the permission", "POST", alice, `{"permission_slug":"project:edit","resource_id":"authz_resource_crm"}`, 200, denied},
		{"bob has only the org role", "POST", "/authorization/organization_memberships/om_bob/check", `{"permission_slug":"project:edit","resource_id":"authz_resource_web"}`, 200, denied},
		{"custom org role", "POST", "/authorization/organization_memberships/om_carol/check", `{"permission_slug":"project:view","resource_id":"authz_resource_crm"}`, 200, allowed},
		{"wrong-type permission is false", "POST", alice, `{"permission_slug":"workspace:view","resource_id":"authz_resource_web"}`, 200, denied},
		{"unknown fields are tolerated", "POST", alice, `{"permission_slug":"project:edit","resource_id":"authz_resource_web","extra":1}`, 200, allowed},
		{"org root by org id as external id", "POST", alice, `{"permission_slug":"workspace:view","resource_external_id":"org_acme","resource_type_slug":"organization"}`, 200, denied},

		{"unknown membership", "POST", "/authorization/organization_memberships/om_nobody/check", `{"permission_slug":"project:edit","resource_id":"authz_resource_web"}`, 404, `{"message":"organization membership \"om_nobody\" not found"}`},
		{"unknown resource", "POST", alice, `{"permission_slug":"project:edit","resource_id":"authz_resource_nope"}`, 404, `{"message":"resource \"authz_resource_nope\" not found"}`},
		{"unknown external id", "POST", alice, `{"permission_slug":"project:edit","resource_external_id":"nope","resource_type_slug":"project"}`, 404, `{"message":"project \"nope\" not found"}`},
		{"resource of another organization", "POST", alice, `{"permission_slug":"workspace:view","resource_id":"authz_resource_hq"}`, 404, `{"message":"resource \"authz_resource_hq\" not found"}`},
		{"unknown permission", "POST", alice, `{"permission_slug":"project:fly","resource_id":"authz_resource_web"}`, 404, `{"message":"permission \"project:fly\" not found"}`},
		{"missing permission_slug", "POST", alice, `{"resource_id":"authz_resource_web"}`, 422, `{"message":"permission_slug is required"}`},
		{"missing target", "POST", alice, `{"permission_slug":"project:edit"}`, 422, `{"message":"a resource is required: resource_id, or resource_external_id with resource_type_slug"}`},
		{"external id without type", "POST", alice, `{"permission_slug":"project:edit","resource_external_id":"web"}`, 422, `{"message":"resource_external_id requires resource_type_slug"}`},
		// The spec's x-mutually-exclusive-body-groups: one way or the other,
		// even when both name the same resource.
		{"two different targets", "POST", alice, `{"permission_slug":"project:edit","resource_id":"authz_resource_web","resource_external_id":"crm","resource_type_slug":"project"}`, 422, `{"message":"resource_id is mutually exclusive with resource_external_id and resource_type_slug: name the resource one way"}`},
		{"both targets naming one resource", "POST", alice, `{"permission_slug":"project:edit","resource_id":"authz_resource_web","resource_external_id":"web","resource_type_slug":"project"}`, 422, `{"message":"resource_id is mutually exclusive with resource_external_id and resource_type_slug: name the resource one way"}`},
		{"resource_id with a matching resource_type_slug", "POST", alice, `{"permission_slug":"project:edit","resource_id":"authz_resource_web","resource_type_slug":"project"}`, 422, `{"message":"resource_id is mutually exclusive with resource_external_id and resource_type_slug: name the resource one way"}`},
		{"resource_id with resource_external_id alone", "POST", alice, `{"permission_slug":"project:edit","resource_id":"authz_resource_web","resource_external_id":"web"}`, 422, `{"message":"resource_id is mutually exclusive with resource_external_id and resource_type_slug: name the resource one way"}`},
		{"resource_type_slug alone", "POST", alice, `{"permission_slug":"project:edit","resource_type_slug":"project"}`, 422, `{"message":"resource_type_slug requires resource_external_id"}`},
		{"mismatching resource_type_slug", "POST", alice, `{"permission_slug":"project:edit","resource_id":"authz_resource_web","resource_type_slug":"workspace"}`, 422, `{"message":"resource_id is mutually exclusive with resource_external_id and resource_type_slug: name the resource one way"}`},
		{"wrong JSON type", "POST", alice, `{"permission_slug":7,"resource_id":"authz_resource_web"}`, 422, `{"message":"permission_slug must be a string"}`},
		{"malformed JSON", "POST", alice, `{"permission_slug":`, 422, `{"message":"the request body must be a JSON object"}`}, // check declares no 400
		{"unknown path", "GET", "/authorization/nothing", "", 404, `{"message":"The requested path '/authorization/nothing' could not be found."}`},
	}, nil)
}

// checkOK asks the fake over HTTP and fails the test on anything but 200.
func checkOK(t *testing.T, f *Fake, om, permission, resourceID string) bool {
	t.Helper()
	status, body, _ := call(t, f, "POST", "/authorization/organization_memberships/"+om+"/check",
		`{"permission_slug":"`+permission+`","resource_id":"`+resourceID+`"}`)
	if status != http.StatusOK {
		t.Fatalf("check: %d %s", status, body)
	}
	return body == `{"authorized":true}`
}
