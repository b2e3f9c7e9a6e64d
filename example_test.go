package fgakit_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/token"
)

// acmeFixture is the docs' example: organization Acme → workspace Engineering
// → project Web. Alice is an organization member (her token grants
// workspace:view everywhere in Acme) and a workspace-admin of Engineering.
const acmeFixture = `{
  "resource_types": [
    {"slug": "workspace", "parent_types": ["organization"]},
    {"slug": "project", "parent_types": ["workspace"]}
  ],
  "permissions": [
    {"slug": "workspace:view", "resource_type_slug": "workspace"},
    {"slug": "project:edit", "resource_type_slug": "project"}
  ],
  "roles": [
    {"slug": "member", "resource_type_slug": "organization", "permissions": ["workspace:view"]},
    {"slug": "workspace-admin", "resource_type_slug": "workspace", "permissions": ["workspace:view", "project:edit"]}
  ],
  "organizations": [{"id": "org_acme", "name": "Acme"}],
  "organization_memberships": [
    {"id": "om_alice", "user_id": "user_alice", "organization_id": "org_acme", "role": {"slug": "member"}}
  ],
  "resources": [
    {"id": "authz_resource_eng", "external_id": "eng", "name": "Engineering",
     "resource_type_slug": "workspace", "organization_id": "org_acme"},
    {"id": "authz_resource_web", "external_id": "web", "name": "Web", "resource_type_slug": "project",
     "organization_id": "org_acme", "parent_resource_id": "authz_resource_eng"}
  ],
  "role_assignments": [
    {"organization_membership_id": "om_alice", "role_slug": "workspace-admin", "resource_id": "authz_resource_eng"}
  ]
}`

// This example is the whole path of a request: verify the session token, then
// ask "can Alice do X on Y?". The token answers organization-wide permissions
// without an API call for a resource named in Alice's organization
// (InOrganization, from your own records); everything else, resource roles
// included, is asked of the Authorization API. It runs against the in-memory
// fake, so the same code works in your tests.
func Example() {
	ctx := context.Background()
	fx, err := authztest.ParseFixture(strings.NewReader(acmeFixture))
	if err != nil {
		log.Fatal(err)
	}
	fake, err := authztest.NewServer("127.0.0.1:0", authztest.WithFixture(fx))
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()

	// In production: token.NewVerifier(clientID) and authz.New(apiKey).
	verifier := fake.Verifier()
	defer verifier.Close()
	client := fake.Client()
	defer client.Close()

	claims, err := verifier.Verify(ctx, fake.Session("om_alice"))
	if err != nil {
		log.Fatal(err) // a rejected token never reaches the API
	}

	for _, q := range []struct {
		permission string
		resource   authz.ResourceRef
	}{
		{"workspace:view", authz.ExternalResource("workspace", "eng").InOrganization("org_acme")},
		{"project:edit", authz.ExternalResource("project", "web")},
		// project:edit is a permission of projects: on a workspace it is denied.
		{"project:edit", authz.ResourceID("authz_resource_eng")},
	} {
		before := len(fake.Calls())
		d, err := client.Check(ctx, claims, q.permission, q.resource)
		if err != nil {
			log.Fatal(err) // could not decide: fail closed
		}
		fmt.Printf("%s: allowed=%t source=%s api_calls=%d\n",
			q.permission, d.Allowed, d.Source, len(fake.Calls())-before)
	}
	// Output:
	// workspace:view: allowed=true source=token api_calls=0
	// project:edit: allowed=true source=api api_calls=1
	// project:edit: allowed=false source=api api_calls=1
}

// Rejected tokens are sentinel errors: test them with errors.Is and never
// call the API for them.
func Example_rejectedToken() {
	ctx := context.Background()
	fx, err := authztest.ParseFixture(strings.NewReader(acmeFixture))
	if err != nil {
		log.Fatal(err)
	}
	fake, err := authztest.NewServer("127.0.0.1:0", authztest.WithFixture(fx))
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()
	verifier := fake.Verifier()
	defer verifier.Close()

	raw := fake.Session("om_alice", authztest.SessionTTL(5*time.Minute))
	fake.Advance(10 * time.Minute)

	_, err = verifier.Verify(ctx, raw)
	switch {
	case errors.Is(err, token.ErrExpired):
		fmt.Println("expired: ask the user to refresh the session")
	case err != nil:
		fmt.Println("rejected:", err)
	}
	// Output:
	// expired: ask the user to refresh the session
}
