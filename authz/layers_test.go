package authz

import (
	"testing"

	"github.com/fgakit/fgakit/token"
)

// TestTokenLayerAllows is the security rule of the token layer: it answers
// only when the resource's organization is known to be the token's — named
// with InOrganization, or the token organization's own root.
func TestTokenLayerAllows(t *testing.T) {
	t.Parallel()
	acme := &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_1", Permissions: []string{"project:edit", "workspace:view", "settings:edit"}}
	noOrg := &token.Claims{OrganizationMembershipID: "om_1", Permissions: []string{"project:edit"}}
	tests := []struct {
		name       string
		claims     *token.Claims
		permission string
		resource   ResourceRef
		want       bool
	}{
		// By external ID.
		{"external, no org: may be another tenant's", acme, "project:edit", ExternalResource("project", "web"), false},
		{"external in the token's org", acme, "project:edit", ExternalResource("project", "web").InOrganization("org_acme"), true},
		{"external in another org", acme, "project:edit", ExternalResource("project", "web").InOrganization("org_globex"), false},
		// By resource ID.
		{"ID in the token's org", acme, "project:edit", ResourceID("authz_resource_1").InOrganization("org_acme"), true},
		{"ID in another org", acme, "project:edit", ResourceID("authz_resource_1").InOrganization("org_globex"), false},
		{"ID without an org", acme, "project:edit", ResourceID("authz_resource_1"), false},
		// The organization root: its external ID is its organization's ID.
		{"own org root", acme, "settings:edit", ExternalResource("organization", "org_acme"), true},
		{"own org root, in its org", acme, "settings:edit", ExternalResource("organization", "org_acme").InOrganization("org_acme"), true},
		{"another org's root", acme, "settings:edit", ExternalResource("organization", "org_globex"), false},
		{"another org's root claimed in the token's org", acme, "settings:edit", ExternalResource("organization", "org_globex").InOrganization("org_acme"), false},
		{"own org root claimed in another org", acme, "settings:edit", ExternalResource("organization", "org_acme").InOrganization("org_globex"), false},
		{"root-like external ID of another type", acme, "project:edit", ExternalResource("project", "org_acme"), false},
		{"own org root, permission not in token", acme, "billing:edit", ExternalResource("organization", "org_acme"), false},
		// The claims.
		{"permission not in token", acme, "project:delete", ExternalResource("project", "web").InOrganization("org_acme"), false},
		{"empty permission", acme, "", ExternalResource("project", "web").InOrganization("org_acme"), false},
		{"nil claims", nil, "project:edit", ExternalResource("project", "web").InOrganization("org_acme"), false},
		{"claims without org_id", noOrg, "project:edit", ExternalResource("project", "web"), false},
		{"claims without org_id, ID with empty org", noOrg, "project:edit", ResourceID("r"), false},
		{"claims without org_id, external with empty org", noOrg, "project:edit", ExternalResource("project", "web").InOrganization(""), false},
		{"claims without org_id, empty org root", noOrg, "project:edit", ExternalResource("organization", ""), false},
		// Invalid references.
		{"zero resource", acme, "project:edit", ResourceRef{}, false},
		{"zero resource in the token's org", acme, "project:edit", ResourceRef{OrganizationID: "org_acme"}, false},
		{"external ID without type", acme, "project:edit", ResourceRef{ExternalID: "web", OrganizationID: "org_acme"}, false},
		{"type without external ID", acme, "project:edit", ResourceRef{ResourceTypeSlug: "project", OrganizationID: "org_acme"}, false},
		{"ID and external at once", acme, "project:edit", ResourceRef{ID: "r", ResourceTypeSlug: "project", ExternalID: "web", OrganizationID: "org_acme"}, false},
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

// BenchmarkTokenLayerAllows: target ≤ 50 ns and 0 allocations for every
// reference form the token answers.
func BenchmarkTokenLayerAllows(b *testing.B) {
	c := &token.Claims{OrganizationID: "org_acme", Permissions: []string{"workspace:view", "project:view", "project:edit", "document:view"}}
	for _, bc := range []struct {
		name string
		r    ResourceRef
	}{
		{"ref=ID", ResourceID("authz_resource_1").InOrganization("org_acme")},
		{"ref=external", ExternalResource("document", "doc-1").InOrganization("org_acme")},
		{"ref=org-root", ExternalResource("organization", "org_acme")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var l TokenLayer
			b.ReportAllocs()
			for b.Loop() {
				if !l.Allows(c, "document:view", bc.r) {
					b.Fatal("denied")
				}
			}
		})
	}
}

// FuzzTokenLayerStaysInItsOrganization feeds arbitrary references (as a
// request could name them) and token organizations to the token layer.
// Property: it answers true only when the token holds the permission and
// the reference is known to be in the token's organization — it names that
// organization, or it is that organization's root — never for a reference
// whose organization is unknown or another.
func FuzzTokenLayerStaysInItsOrganization(f *testing.F) {
	for _, seed := range [][5]string{
		{"org_acme", "", "project", "web", ""},
		{"org_acme", "", "project", "web", "org_acme"},
		{"org_acme", "", "project", "web", "org_globex"},
		{"org_acme", "", "organization", "org_acme", ""},
		{"org_acme", "", "organization", "org_globex", ""},
		{"org_acme", "", "organization", "org_globex", "org_acme"},
		{"org_acme", "authz_resource_1", "", "", "org_acme"},
		{"org_acme", "authz_resource_1", "", "", ""},
		{"", "", "organization", "", ""},
		{"", "authz_resource_1", "", "", ""},
		{"org_acme", "authz_resource_1", "project", "web", "org_acme"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4])
	}
	f.Fuzz(func(t *testing.T, tokenOrg, id, typeSlug, externalID, refOrg string) {
		claims := &token.Claims{OrganizationID: tokenOrg, Permissions: []string{"p"}}
		r := ResourceRef{ID: id, ResourceTypeSlug: typeSlug, ExternalID: externalID, OrganizationID: refOrg}
		if !(TokenLayer{}).Allows(claims, "p", r) {
			return
		}
		if tokenOrg == "" || r.Validate() != nil {
			t.Fatalf("Allows(%+v, %+v): true for claims without an organization or an invalid reference", claims, r)
		}
		inOrg := refOrg == tokenOrg
		ownRoot := id == "" && typeSlug == "organization" && externalID == tokenOrg && (refOrg == "" || refOrg == tokenOrg)
		if typeSlug == "organization" && externalID != tokenOrg {
			t.Fatalf("Allows(%+v, %+v): true for another organization's root", claims, r)
		}
		if !inOrg && !ownRoot {
			t.Fatalf("Allows(%+v, %+v): true for a resource not known to be in %q", claims, r, tokenOrg)
		}
		if (TokenLayer{}).Allows(claims, "q", r) {
			t.Fatalf("Allows: true for a permission the token does not hold")
		}
	})
}
