package authz_test

import (
	"context"
	"fmt"
	"log"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

// Onboarding a user: create their organization membership, give it a role
// on a workspace, and check. Here the API is the offline fake
// (authztest.NewServer; in a test, authztest.New(t) and fake.Client()); in
// production the same calls go to WorkOS. Each step is one API call, and
// the check sees the role at once.
func ExampleClient_CreateMembership() {
	fake, err := authztest.NewServer("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()
	// What the WorkOS dashboard holds: a resource type, its permission, an
	// organization-wide default role and a workspace role.
	fake.AddResourceType("workspace")
	fake.AddPermission("workspace:edit", "workspace")
	fake.AddRole("member", "organization")
	fake.AddRole("workspace-editor", "workspace", "workspace:edit")
	fake.AddOrganization("org_acme", "Acme")
	fake.AddResource(authztest.Resource{ExternalID: "eng", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})

	client, err := authz.New(fake.APIKey(), authz.WithBaseURL(fake.URL()))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	eng := authz.ExternalResource("workspace", "eng")

	om, err := client.CreateMembership(ctx, authz.CreateMembershipParams{UserID: "user_nora", OrganizationID: "org_acme"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("membership:", om.Status, "with role", om.Role.Slug)

	d, err := client.API().Check(ctx, om.ID, "workspace:edit", eng)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("may edit before the role:", d.Allowed)

	if _, err := client.AssignRole(ctx, om.ID, "workspace-editor", eng); err != nil {
		log.Fatal(err)
	}
	d, err = client.API().Check(ctx, om.ID, "workspace:edit", eng)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("may edit after the role:", d.Allowed)

	// Leaving the organization for a while: an inactive membership's
	// checks deny until it is reactivated.
	if _, err := client.DeactivateMembership(ctx, om.ID); err != nil {
		log.Fatal(err)
	}
	d, err = client.API().Check(ctx, om.ID, "workspace:edit", eng)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("may edit while inactive:", d.Allowed)
	// Output:
	// membership: active with role member
	// may edit before the role: false
	// may edit after the role: true
	// may edit while inactive: false
}
