package authz_test

import (
	"fmt"
	"log"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/token"
)

// The token layer answers from verified claims alone, and only for resources
// known to belong to the token's own organization: the reference names it
// (InOrganization, with the organization from your own records), or it is
// the organization's root.
func ExampleTokenLayer_Allows() {
	client, err := authz.New("sk_test_example")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// In production these come from token.Verifier.Verify for this request.
	claims := &token.Claims{
		OrganizationID:           "org_acme",
		OrganizationMembershipID: "om_alice",
		Permissions:              []string{"project:edit", "settings:edit"},
	}
	// webOrg is the organization your database holds for project web —
	// never a value taken from the request.
	webOrg := "org_acme"
	tl := client.Token()
	fmt.Println(tl.Allows(claims, "project:edit", authz.ExternalResource("project", "web").InOrganization(webOrg)))
	fmt.Println(tl.Allows(claims, "project:edit", authz.ResourceID("authz_resource_1").InOrganization("org_acme")))
	fmt.Println(tl.Allows(claims, "settings:edit", authz.ExternalResource("organization", "org_acme")))              // the organization root
	fmt.Println(tl.Allows(claims, "project:edit", authz.ExternalResource("project", "web")))                         // organization unknown: ask the API
	fmt.Println(tl.Allows(claims, "project:edit", authz.ResourceID("authz_resource_1")))                             // organization unknown: ask the API
	fmt.Println(tl.Allows(claims, "project:edit", authz.ResourceID("authz_resource_2").InOrganization("org_other"))) // never from this token
	fmt.Println(tl.Allows(claims, "settings:edit", authz.ExternalResource("organization", "org_other")))             // another organization's root
	fmt.Println(tl.HasPermission(claims, "project:delete"))
	// Output:
	// true
	// true
	// true
	// false
	// false
	// false
	// false
	// false
}
