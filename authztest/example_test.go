package authztest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	eng := f.AddResource(authztest.Resource{ExternalID: "eng", Name: "Engineering", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
	sales := f.AddResource(authztest.Resource{ExternalID: "sales", Name: "Sales", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
	web := f.AddResource(authztest.Resource{ExternalID: "web", ResourceTypeSlug: "project", OrganizationID: "org_acme", ParentResourceID: eng})
	crm := f.AddResource(authztest.Resource{ExternalID: "crm", ResourceTypeSlug: "project", OrganizationID: "org_acme", ParentResourceID: sales})
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
		resource   authz.ResourceRef
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

// A fixture describes a whole scenario in the API's own vocabulary; an
// invalid one is an error naming the entry.
func ExampleParseFixture() {
	fx, err := authztest.ParseFixture(strings.NewReader(`{
	  "resource_types": [{"slug": "workspace"}, {"slug": "project", "parent_types": ["workspace"]}],
	  "permissions": [{"slug": "project:edit", "resource_type_slug": "project"}],
	  "roles": [{"slug": "workspace-admin", "resource_type_slug": "workspace", "permissions": ["project:edit"]}],
	  "organizations": [{"id": "org_acme", "name": "Acme"}],
	  "organization_memberships": [{"id": "om_alice", "user_id": "user_alice", "organization_id": "org_acme"}],
	  "resources": [
	    {"external_id": "eng", "name": "Engineering", "resource_type_slug": "workspace", "organization_id": "org_acme"},
	    {"external_id": "web", "name": "Web", "resource_type_slug": "project", "organization_id": "org_acme",
	     "parent_resource_external_id": "eng", "parent_resource_type_slug": "workspace"}
	  ],
	  "role_assignments": [{"organization_membership_id": "om_alice", "role_slug": "workspace-admin",
	    "resource_external_id": "eng", "resource_type_slug": "workspace"}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := authztest.NewServer("127.0.0.1:0", authztest.WithFixture(fx))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	client := f.Client()
	defer client.Close()
	d, err := client.API().Check(context.Background(), "om_alice", "project:edit", authz.ExternalResource("project", "web"))
	fmt.Println(d.Allowed, err)

	bad, _ := authztest.ParseFixture(strings.NewReader(`{"resources": [{"external_id": "api",
	  "resource_type_slug": "project", "organization_id": "org_acme",
	  "parent_resource_external_id": "egn", "parent_resource_type_slug": "workspace"}]}`))
	fmt.Println(f.Load(bad))
	// Output:
	// true <nil>
	// authztest: fixture: resources[0] (external_id "api"): parent workspace "egn" not found
}

// Fake.Client retries a 500 (as it does 408, 429, 502, 503 and 504) as the
// production client does, but milliseconds apart (authztest.RetryPolicy).
// So a fault must last for every attempt (Times: -1, or MaxRetries+1) to
// reach the caller — who then gets an error and no grant — while a single
// 500 is absorbed by a retry.
func ExampleFake_InjectFault() {
	f, err := authztest.NewServer("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	f.AddResourceType("project")
	f.AddPermission("project:edit", "project")
	f.AddRole("project-admin", "project", "project:edit")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "")
	web := f.AddResource(authztest.Resource{ExternalID: "web", ResourceTypeSlug: "project", OrganizationID: "org_acme"})
	f.Assign("om_alice", "project-admin", web)

	client := f.Client()
	defer client.Close()
	ctx := context.Background()
	check := func(what string) {
		f.ResetCalls()
		d, err := client.API().Check(ctx, "om_alice", "project:edit", authz.ResourceID(web))
		fmt.Printf("%s: allowed=%v, %d calls, ErrServer=%v\n", what, d.Allowed, len(f.Calls()), errors.Is(err, authz.ErrServer))
	}

	f.InjectFault(authztest.Fault{Status: 500, Times: -1}) // every attempt
	check("500 until cleared")
	f.ClearFaults()

	f.FailNext(500) // one request
	check("one 500")
	// Output:
	// 500 until cleared: allowed=false, 4 calls, ErrServer=true
	// one 500: allowed=true, 2 calls, ErrServer=false
}

// The call log is bounded: here it keeps the last two calls and the first
// 24 bytes of each body. A test asserts on what it keeps — method, path,
// status and the start of the body — and BodyTruncated says a body was cut.
func ExampleWithCallLog() {
	f, err := authztest.NewServer("127.0.0.1:0", authztest.WithCallLog(2, 24))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	f.AddResourceType("workspace", "organization")
	f.AddPermission("workspace:view", "workspace")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "")
	eng := f.AddResource(authztest.Resource{ExternalID: "eng", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})

	client := f.Client()
	defer client.Close()
	ctx := context.Background()
	for range 3 {
		client.API().Check(ctx, "om_alice", "workspace:view", authz.ResourceID(eng))
	}
	for _, c := range f.Calls() {
		fmt.Println(c.Method, c.Path, c.Status, string(c.Body), c.BodyTruncated)
	}
	// Output:
	// POST /authorization/organization_memberships/om_alice/check 200 {"permission_slug":"work true
	// POST /authorization/organization_memberships/om_alice/check 200 {"permission_slug":"work true
}
