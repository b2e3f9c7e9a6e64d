package authz_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/token"
)

// exampleFake starts a fake with one workspace of four projects; Alice
// (om_alice) is a viewer of projects p1 and p3 only.
func exampleFake() (*authztest.Fake, []string) {
	f, err := authztest.NewServer("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	f.AddResourceType("workspace", "organization")
	f.AddResourceType("project", "workspace")
	f.AddPermission("project:view", "project")
	f.AddRole("member", "organization")
	f.AddRole("project-viewer", "project", "project:view")
	f.AddOrganization("org_acme", "Acme")
	ws := f.AddResource(authztest.Resource{ExternalID: "eng", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
	var ids []string
	for _, p := range []string{"p1", "p2", "p3", "p4"} {
		ids = append(ids, f.AddResource(authztest.Resource{ExternalID: p, ResourceTypeSlug: "project", OrganizationID: "org_acme", ParentResourceID: ws}))
	}
	f.AddMembership("om_alice", "user_alice", "org_acme", "member")
	f.Assign("om_alice", "project-viewer", ids[0])
	f.Assign("om_alice", "project-viewer", ids[2])
	return f, ids
}

// aliceClaims stands for the claims token.Verifier.Verify returns for
// Alice's session: no organization-wide project permission.
var aliceClaims = &token.Claims{Subject: "user_alice", OrganizationID: "org_acme", OrganizationMembershipID: "om_alice"}

func ExampleClient_Check() {
	f, _ := exampleFake()
	defer f.Close()
	client, err := authz.New(f.APIKey(), authz.WithBaseURL(f.URL()))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx := context.Background()
	for _, p := range []string{"p1", "p2", "p9"} {
		d, err := client.Check(ctx, aliceClaims, "project:view", authz.ExternalResource("project", p))
		if err != nil {
			// Could not decide: fail closed (d.Allowed is false), e.g. 503.
			log.Print(err)
			continue
		}
		// d.NotFound: no such resource (or membership) in Alice's
		// organization — also what another organization's resource looks
		// like. It is a deny; d.String() says "denied: not found".
		fmt.Printf("%s: %v (answered by %s)\n", p, d, d.Source)
	}
	// Output:
	// p1: allowed (answered by api)
	// p2: denied (answered by api)
	// p9: denied: not found (answered by api)
}

func ExampleFilter() {
	f, _ := exampleFake()
	defer f.Close()
	client, err := authz.New(f.APIKey(), authz.WithBaseURL(f.URL()))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	type project struct{ Key, Name string }
	projects := []project{{"p1", "Web"}, {"p2", "API"}, {"p3", "Docs"}, {"p4", "Infra"}}
	visible, err := authz.Filter(context.Background(), client, aliceClaims, "project:view", projects,
		func(p project) authz.ResourceRef { return authz.ExternalResource("project", p.Key) })
	if err != nil {
		log.Print(err) // some items could not be decided; they are left out
	}
	for _, p := range visible {
		fmt.Println(p.Name)
	}
	// Output:
	// Web
	// Docs
}

// Naming the common parent lets a batch read one discovery listing instead
// of one check per item.
func ExampleChildrenOf() {
	f, ids := exampleFake()
	defer f.Close()
	client, err := authz.New(f.APIKey(), authz.WithBaseURL(f.URL()))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	var rs []authz.ResourceRef
	for _, id := range ids {
		rs = append(rs, authz.ResourceID(id))
	}
	ws := authz.ExternalResource("workspace", "eng")
	f.ResetCalls()
	ds, err := client.CheckMany(context.Background(), aliceClaims, "project:view", rs, authz.ChildrenOf(ws))
	if err != nil {
		log.Fatal(err)
	}
	for i, d := range ds {
		fmt.Println(i, d.Allowed)
	}
	fmt.Println("API calls:", len(f.Calls()))
	// Output:
	// 0 true
	// 1 false
	// 2 true
	// 3 false
	// API calls: 1
}

func ExampleAPIError() {
	f, _ := exampleFake()
	defer f.Close()
	client, err := authz.New(f.APIKey(), authz.WithBaseURL(f.URL()))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	_, err = client.GetResource(context.Background(), authz.ResourceID("authz_resource_nobody"))
	var apiErr *authz.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, errors.Is(err, authz.ErrNotFound))
	}
	// Output:
	// 404 true
}
