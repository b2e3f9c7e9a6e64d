package authz_test

import (
	"fmt"
	"log"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/token"
)

// The token layer answers from verified claims alone, and only for resources
// of the token's own organization.
func ExampleTokenLayer_Allows() {
	client, err := authz.New("sk_test_example")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// In production these come from token.Verifier.Verify.
	claims := &token.Claims{
		OrganizationID:           "org_acme",
		OrganizationMembershipID: "om_alice",
		Permissions:              []string{"project:edit"},
	}
	tl := client.Token()
	fmt.Println(tl.Allows(claims, "project:edit", authz.ExternalResource("project", "web")))
	fmt.Println(tl.Allows(claims, "project:edit", authz.ResourceID("authz_resource_1").InOrganization("org_acme")))
	fmt.Println(tl.Allows(claims, "project:edit", authz.ResourceID("authz_resource_1")))                             // organization unknown: ask the API
	fmt.Println(tl.Allows(claims, "project:edit", authz.ResourceID("authz_resource_2").InOrganization("org_other"))) // never from this token
	fmt.Println(tl.HasPermission(claims, "project:delete"))
	// Output:
	// true
	// true
	// false
	// false
	// false
}
