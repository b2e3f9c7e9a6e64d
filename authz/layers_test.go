package authz

import (
	"testing"

	"github.com/fgakit/fgakit/token"
)

func TestTokenLayerAllows(t *testing.T) {
	t.Parallel()
	acme := &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_1", Permissions: []string{"project:edit", "workspace:view"}}
	noOrg := &token.Claims{OrganizationMembershipID: "om_1", Permissions: []string{"project:edit"}}
	tests := []struct {
		name       string
		claims     *token.Claims
		permission string
		resource   Resource
		want       bool
	}{
		{"external reference, permission granted", acme, "project:edit", ExternalResource("project", "web"), true},
		{"external reference in the token's org", acme, "project:edit", ExternalResource("project", "web").InOrganization("org_acme"), true},
		{"external reference in another org", acme, "project:edit", ExternalResource("project", "web").InOrganization("org_evil"), false},
		{"ID in the token's org", acme, "project:edit", ResourceID("authz_resource_1").InOrganization("org_acme"), true},
		{"ID in another org", acme, "project:edit", ResourceID("authz_resource_1").InOrganization("org_evil"), false},
		{"ID without an org", acme, "project:edit", ResourceID("authz_resource_1"), false},
		{"permission not in token", acme, "project:delete", ExternalResource("project", "web"), false},
		{"empty permission", acme, "", ExternalResource("project", "web"), false},
		{"nil claims", nil, "project:edit", ExternalResource("project", "web"), false},
		{"claims without org_id", noOrg, "project:edit", ExternalResource("project", "web"), false},
		{"claims without org_id, ID with empty org", noOrg, "project:edit", ResourceID("r"), false},
		{"zero resource", acme, "project:edit", Resource{}, false},
		{"external ID without type", acme, "project:edit", Resource{ExternalID: "web"}, false},
		{"ID and external at once", acme, "project:edit", Resource{ID: "r", TypeSlug: "project", ExternalID: "web", OrganizationID: "org_acme"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (TokenLayer{}).Allows(tt.claims, tt.permission, tt.resource); got != tt.want {
				t.Errorf("Allows = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTokenLayerHasPermission(t *testing.T) {
	t.Parallel()
	c := &token.Claims{OrganizationID: "org_1", Permissions: []string{"billing:view"}}
	var l TokenLayer
	if !l.HasPermission(c, "billing:view") || l.HasPermission(c, "billing:edit") || l.HasPermission(nil, "billing:view") {
		t.Error("HasPermission does not follow the token's permissions")
	}
}

func BenchmarkTokenLayerAllows(b *testing.B) {
	c := &token.Claims{OrganizationID: "org_acme", Permissions: []string{"workspace:view", "project:view", "project:edit", "document:view"}}
	r := ResourceID("authz_resource_1").InOrganization("org_acme")
	var l TokenLayer
	b.ReportAllocs()
	for b.Loop() {
		if !l.Allows(c, "document:view", r) {
			b.Fatal("denied")
		}
	}
}
