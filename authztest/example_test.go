package authztest_test

import (
	"context"
	"fmt"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

// The docs' example: Alice is a member of Acme and administers the
// Engineering workspace, so she may edit its projects, but not the projects
// of Sales. A test sets it up in Go, mints her session and asks through the
// production client. In a test, authztest.New(t) starts the fake and
// closes it, its clients and verifiers when the test ends; here NewServer
// does the same outside a test.
func ExampleFake_Session() {
	f, err := authztest.NewServer("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()

	f.AddResourceType("workspace", "organization")
	f.AddResourceType("project", "workspace")
	f.AddPermission("workspace:view", "workspace")
	f.AddPermission("project:edit", "project")
	f.AddRole("member", "organization", "workspace:view")
	f.AddRole("workspace-admin", "workspace", "workspace:view", "project:edit")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "member")
	eng := f.AddResource(authztest.Resource{ExternalID: "eng", Name: "Engineering", TypeSlug: "workspace", OrganizationID: "org_acme"})
	sales := f.AddResource(authztest.Resource{ExternalID: "sales", Name: "Sales", TypeSlug: "workspace", OrganizationID: "org_acme"})
	web := f.AddResource(authztest.Resource{ExternalID: "web", TypeSlug: "project", OrganizationID: "org_acme", ParentID: eng})
	crm := f.AddResource(authztest.Resource{ExternalID: "crm", TypeSlug: "project", OrganizationID: "org_acme", ParentID: sales})
	f.Assign("om_alice", "workspace-admin", eng)

	ctx := context.Background()
	verifier := f.Verifier()
	defer verifier.Close()
	claims, err := verifier.Verify(ctx, f.Session("om_alice"))
	if err != nil {
		fmt.Println(err)
		return
	}
	client := f.Client()
	defer client.Close()
	for _, q := range []struct {
		permission string
		resource   authz.Resource
	}{
		{"workspace:view", authz.ResourceID(sales).InOrganization("org_acme")},
		{"project:edit", authz.ResourceID(web)},
		{"project:edit", authz.ResourceID(crm)},
	} {
		d, err := client.Check(ctx, claims, q.permission, q.resource)
		fmt.Println(q.permission, d.Allowed, d.Source, err)
	}
	fmt.Println("API calls:", len(f.Calls()))
	// Output:
	// workspace:view true token <nil>
	// project:edit true api <nil>
	// project:edit false api <nil>
	// API calls: 2
}
