package authz_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

// t0 is the timestamp of every literal answer below.
var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// resourceJSON is a resource as WIRE §1.2 shows it.
const resourceJSON = `{
  "object": "authorization_resource",
  "id": "authz_resource_01HXYZ",
  "external_id": "web",
  "name": "Web",
  "description": null,
  "resource_type_slug": "project",
  "organization_id": "org_acme",
  "parent_resource_id": "authz_resource_eng",
  "created_at": "2026-01-15T12:00:00.000Z",
  "updated_at": "2026-01-15T12:00:00.000Z"
}`

var resourceWant = &authz.AuthorizationResource{
	Object:           "authorization_resource",
	ID:               "authz_resource_01HXYZ",
	ExternalID:       "web",
	Name:             "Web",
	ResourceTypeSlug: "project",
	OrganizationID:   "org_acme",
	ParentResourceID: "authz_resource_eng",
	CreatedAt:        t0,
	UpdatedAt:        t0,
}

func ptr[T any](v T) *T { return &v }

func TestResources(t *testing.T) {
	t.Parallel()
	runExchanges(t, []exchange{
		{
			name: "create under a parent by external ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.CreateResource(ctx, authz.CreateResourceParams{
					ExternalID: "web", Name: "Web", ResourceTypeSlug: "project", OrganizationID: "org_acme",
					Parent: authz.ExternalResource("workspace", "eng"),
				})
			},
			wantMethod: "POST", wantPath: "/authorization/resources",
			wantBody:       `{"external_id":"web","name":"Web","resource_type_slug":"project","organization_id":"org_acme","parent_resource_external_id":"eng","parent_resource_type_slug":"workspace"}`,
			wantIdempotent: true,
			status:         201, resp: resourceJSON, want: resourceWant,
		},
		{
			name: "create under the organization with a description",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.CreateResource(ctx, authz.CreateResourceParams{
					ExternalID: "eng", Name: "Engineering", Description: "Builds things", ResourceTypeSlug: "workspace", OrganizationID: "org_acme",
				})
			},
			wantMethod: "POST", wantPath: "/authorization/resources",
			wantBody:       `{"external_id":"eng","name":"Engineering","description":"Builds things","resource_type_slug":"workspace","organization_id":"org_acme"}`,
			wantIdempotent: true,
			status:         201, resp: resourceJSON, want: resourceWant,
		},
		{
			name: "create under a parent by ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.CreateResource(ctx, authz.CreateResourceParams{
					ExternalID: "web", Name: "Web", ResourceTypeSlug: "project", OrganizationID: "org_acme",
					Parent: authz.ResourceID("authz_resource_eng"),
				})
			},
			wantMethod: "POST", wantPath: "/authorization/resources",
			wantBody:       `{"external_id":"web","name":"Web","resource_type_slug":"project","organization_id":"org_acme","parent_resource_id":"authz_resource_eng"}`,
			wantIdempotent: true,
			status:         201, resp: resourceJSON, want: resourceWant,
		},
		{
			name: "get by ID escapes the segment",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.GetResource(ctx, authz.ResourceID("authz_resource_a/b c"))
			},
			wantMethod: "GET", wantPath: "/authorization/resources/authz_resource_a%2Fb%20c",
			status: 200, resp: resourceJSON, want: resourceWant,
		},
		{
			name: "get by external ID keeps ':' literal",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.GetResource(ctx, authz.ExternalResource("project", "repo:web/main").InOrganization("org_acme"))
			},
			wantMethod: "GET", wantPath: "/authorization/organizations/org_acme/resources/project/repo:web%2Fmain",
			status: 200, resp: resourceJSON, want: resourceWant,
		},
		{
			name: "get the organization root, parent null",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.GetResource(ctx, authz.ExternalResource("organization", "org_acme").InOrganization("org_acme"))
			},
			wantMethod: "GET", wantPath: "/authorization/organizations/org_acme/resources/organization/org_acme",
			status: 200,
			resp: `{"object":"authorization_resource","id":"authz_resource_root","external_id":"org_acme","name":"Acme",
				"description":"The org","resource_type_slug":"organization","organization_id":"org_acme","parent_resource_id":null,
				"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`,
			want: &authz.AuthorizationResource{
				Object: "authorization_resource", ID: "authz_resource_root", ExternalID: "org_acme", Name: "Acme",
				Description: "The org", ResourceTypeSlug: "organization", OrganizationID: "org_acme", CreatedAt: t0, UpdatedAt: t0,
			},
		},
		{
			name: "update name only",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.UpdateResource(ctx, authz.ResourceID("authz_resource_01HXYZ"), authz.UpdateResourceParams{Name: ptr("Web app")})
			},
			wantMethod: "PATCH", wantPath: "/authorization/resources/authz_resource_01HXYZ",
			wantBody: `{"name":"Web app"}`,
			status:   200, resp: resourceJSON, want: resourceWant,
		},
		{
			name: "update reparents by ID and clears the description",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				p := authz.ResourceID("authz_resource_ops")
				return c.UpdateResource(ctx, authz.ResourceID("authz_resource_01HXYZ"), authz.UpdateResourceParams{Description: authz.Null[string](), Parent: &p})
			},
			wantMethod: "PATCH", wantPath: "/authorization/resources/authz_resource_01HXYZ",
			wantBody: `{"description":null,"parent_resource_id":"authz_resource_ops"}`,
			status:   200, resp: resourceJSON, want: resourceWant,
		},
		{
			name: "update by external ID reparents by external ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				p := authz.ExternalResource("workspace", "ops")
				return c.UpdateResource(ctx, authz.ExternalResource("project", "web").InOrganization("org_acme"), authz.UpdateResourceParams{Parent: &p})
			},
			wantMethod: "PATCH", wantPath: "/authorization/organizations/org_acme/resources/project/web",
			wantBody: `{"parent_resource_external_id":"ops","parent_resource_type_slug":"workspace"}`,
			status:   200, resp: resourceJSON, want: resourceWant,
		},
		{
			name: "delete",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.DeleteResource(ctx, authz.ResourceID("authz_resource_01HXYZ"), authz.DeleteResourceOptions{})
			},
			wantMethod: "DELETE", wantPath: "/authorization/resources/authz_resource_01HXYZ",
			status: 204,
		},
		{
			name: "delete with cascade",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.DeleteResource(ctx, authz.ResourceID("authz_resource_01HXYZ"), authz.DeleteResourceOptions{Cascade: true})
			},
			wantMethod: "DELETE", wantPath: "/authorization/resources/authz_resource_01HXYZ",
			wantQuery: url.Values{"cascade_delete": {"true"}},
			status:    204,
		},
		{
			name: "delete by external ID with cascade",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return nil, c.DeleteResource(ctx, authz.ExternalResource("workspace", "eng").InOrganization("org_acme"), authz.DeleteResourceOptions{Cascade: true})
			},
			wantMethod: "DELETE", wantPath: "/authorization/organizations/org_acme/resources/workspace/eng",
			wantQuery: url.Values{"cascade_delete": {"true"}},
			status:    204,
		},
		{
			name: "list with every filter, parent by external ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListResourcesPage(ctx, authz.ListResourcesOptions{
					OrganizationID: "org_acme", ResourceTypeSlug: "project", ResourceExternalID: "web",
					Parent:      authz.ExternalResource("workspace", "eng"),
					ListOptions: authz.ListOptions{Limit: 5},
				})
			},
			wantMethod: "GET", wantPath: "/authorization/resources",
			wantQuery: url.Values{
				"organization_id": {"org_acme"}, "resource_type_slug": {"project"}, "resource_external_id": {"web"},
				"parent_resource_type_slug": {"workspace"}, "parent_external_id": {"eng"}, "limit": {"5"},
			},
			status: 200,
			resp:   `{"object":"list","data":[` + resourceJSON + `],"list_metadata":{"before":null,"after":"authz_resource_01HXYZ"}}`,
			want:   &authz.Page[authz.AuthorizationResource]{Data: []authz.AuthorizationResource{*resourceWant}, After: "authz_resource_01HXYZ"},
		},
		{
			name: "list by parent ID",
			call: func(ctx context.Context, c *authz.Client) (any, error) {
				return c.ListResourcesPage(ctx, authz.ListResourcesOptions{Parent: authz.ResourceID("authz_resource_eng")})
			},
			wantMethod: "GET", wantPath: "/authorization/resources",
			wantQuery: url.Values{"parent_resource_id": {"authz_resource_eng"}},
			status:    200,
			resp:      `{"object":"list","data":[],"list_metadata":{"before":null,"after":null}}`,
			want:      &authz.Page[authz.AuthorizationResource]{Data: []authz.AuthorizationResource{}},
		},
	})
}

func TestResourceErrors(t *testing.T) {
	t.Parallel()
	runAPIErrors(t, []apiErrorCase{
		{
			name: "create conflict",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: "web", Name: "Web", ResourceTypeSlug: "project", OrganizationID: "org_acme"})
				return err
			},
			status:   http.StatusConflict,
			resp:     `{"code":"authorization_resource_external_id_conflict","message":"A resource with this external ID already exists."}`,
			sentinel: authz.ErrConflict, wantCode: "authorization_resource_external_id_conflict",
			wantMsg: "A resource with this external ID already exists.",
		},
		{
			name: "get not found",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.GetResource(ctx, authz.ResourceID("authz_resource_gone"))
				return err
			},
			status: http.StatusNotFound, resp: `{"message":"Resource not found."}`,
			sentinel: authz.ErrNotFound, wantMsg: "Resource not found.",
		},
		{
			name: "update with a parent of the wrong type",
			call: func(ctx context.Context, c *authz.Client) error {
				p := authz.ResourceID("authz_resource_proj")
				_, err := c.UpdateResource(ctx, authz.ResourceID("authz_resource_ws"), authz.UpdateResourceParams{Parent: &p})
				return err
			},
			status: http.StatusUnprocessableEntity, resp: `{"message":"Validation failed."}`,
			sentinel: authz.ErrValidation, wantMsg: "Validation failed.",
		},
		{
			name: "delete with dependents",
			call: func(ctx context.Context, c *authz.Client) error {
				return c.DeleteResource(ctx, authz.ExternalResource("workspace", "eng").InOrganization("org_acme"), authz.DeleteResourceOptions{})
			},
			status:   http.StatusConflict,
			resp:     `{"code":"resource_has_dependents","message":"The resource has children or role assignments."}`,
			sentinel: authz.ErrConflict, wantCode: "resource_has_dependents",
			wantMsg: "The resource has children or role assignments.",
		},
		{
			name: "list without organization or type",
			call: func(ctx context.Context, c *authz.Client) error {
				_, err := c.ListResourcesPage(ctx, authz.ListResourcesOptions{})
				return err
			},
			status:   http.StatusBadRequest,
			resp:     `{"code":"missing_organization_id_or_resource_type_slug","message":"Provide organization_id or resource_type_slug."}`,
			sentinel: authz.ErrBadRequest, wantCode: "missing_organization_id_or_resource_type_slug",
			wantMsg: "Provide organization_id or resource_type_slug.",
		},
	})
}

func TestResourceInputValidation(t *testing.T) {
	t.Parallel()
	valid := authz.CreateResourceParams{ExternalID: "web", Name: "Web", ResourceTypeSlug: "project", OrganizationID: "org_acme"}
	create := func(mod func(*authz.CreateResourceParams)) func(context.Context, *authz.Client) error {
		return func(ctx context.Context, c *authz.Client) error {
			p := valid
			mod(&p)
			_, err := c.CreateResource(ctx, p)
			return err
		}
	}
	runInvalid(t, []invalidCase{
		{"create without external ID", create(func(p *authz.CreateResourceParams) { p.ExternalID = "" })},
		{"create without name", create(func(p *authz.CreateResourceParams) { p.Name = "" })},
		{"create without type", create(func(p *authz.CreateResourceParams) { p.ResourceTypeSlug = "" })},
		{"create without organization", create(func(p *authz.CreateResourceParams) { p.OrganizationID = "" })},
		{"external ID of 129 characters", create(func(p *authz.CreateResourceParams) { p.ExternalID = strings.Repeat("x", 129) })},
		{"external ID not ASCII", create(func(p *authz.CreateResourceParams) { p.ExternalID = "café" })},
		{"name of 49 characters", create(func(p *authz.CreateResourceParams) { p.Name = strings.Repeat("é", 49) })},
		{"description of 151 characters", create(func(p *authz.CreateResourceParams) { p.Description = strings.Repeat("d", 151) })},
		{"parent with ID and external ID", create(func(p *authz.CreateResourceParams) {
			p.Parent = authz.ResourceRef{ID: "authz_resource_1", ResourceTypeSlug: "workspace", ExternalID: "eng"}
		})},
		{"parent with external ID only", create(func(p *authz.CreateResourceParams) { p.Parent = authz.ResourceRef{ExternalID: "eng"} })},
		{"get empty ID", func(ctx context.Context, c *authz.Client) error {
			_, err := c.GetResource(ctx, authz.ResourceID(""))
			return err
		}},
		{"get ID '..'", func(ctx context.Context, c *authz.Client) error {
			_, err := c.GetResource(ctx, authz.ResourceID(".."))
			return err
		}},
		{"get by external ID '.'", func(ctx context.Context, c *authz.Client) error {
			_, err := c.GetResource(ctx, authz.ExternalResource("project", ".").InOrganization("org_acme"))
			return err
		}},
		{"update with empty name", func(ctx context.Context, c *authz.Client) error {
			_, err := c.UpdateResource(ctx, authz.ResourceID("authz_resource_1"), authz.UpdateResourceParams{Name: ptr("")})
			return err
		}},
		{"update with a zero parent", func(ctx context.Context, c *authz.Client) error {
			_, err := c.UpdateResource(ctx, authz.ResourceID("authz_resource_1"), authz.UpdateResourceParams{Parent: &authz.ResourceRef{}})
			return err
		}},
		{"delete by external ID without organization", func(ctx context.Context, c *authz.Client) error {
			return c.DeleteResource(ctx, authz.ExternalResource("project", "web").InOrganization(""), authz.DeleteResourceOptions{})
		}},
		{"get by external ID without organization", func(ctx context.Context, c *authz.Client) error {
			_, err := c.GetResource(ctx, authz.ExternalResource("project", "web"))
			return err
		}},
		{"update by external ID without organization", func(ctx context.Context, c *authz.Client) error {
			_, err := c.UpdateResource(ctx, authz.ExternalResource("project", "web"), authz.UpdateResourceParams{Name: ptr("Web")})
			return err
		}},
		{"get the zero resource", func(ctx context.Context, c *authz.Client) error {
			_, err := c.GetResource(ctx, authz.ResourceRef{})
			return err
		}},
		{"get a resource named by ID and external ID", func(ctx context.Context, c *authz.Client) error {
			_, err := c.GetResource(ctx, authz.ResourceRef{ID: "authz_resource_1", ResourceTypeSlug: "project", ExternalID: "web", OrganizationID: "org_acme"})
			return err
		}},
		{"list with a parent type but no external ID", func(ctx context.Context, c *authz.Client) error {
			_, err := collect(c.ListResources(ctx, authz.ListResourcesOptions{Parent: authz.ResourceRef{ResourceTypeSlug: "workspace"}}))
			return err
		}},
	})
}

func TestCreateRetrySendsSameIdempotencyKey(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	c, s := newAPIWith(t, func(recorded) (int, string) {
		if calls.Add(1) == 1 {
			return 500, `{"message":"Internal error."}`
		}
		return 201, resourceJSON
	}, authz.WithRetry(authz.RetryPolicy{MaxRetries: 1}))
	got, err := c.CreateResource(t.Context(), authz.CreateResourceParams{ExternalID: "web", Name: "Web", ResourceTypeSlug: "project", OrganizationID: "org_acme"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != resourceWant.ID {
		t.Errorf("created %q, want %q", got.ID, resourceWant.ID)
	}
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("made %d requests, want 2", len(reqs))
	}
	if reqs[0].IdempotencyKey == "" || reqs[0].IdempotencyKey != reqs[1].IdempotencyKey {
		t.Errorf("Idempotency-Keys %q and %q, want the same non-empty key", reqs[0].IdempotencyKey, reqs[1].IdempotencyKey)
	}
	if reqs[0].Body != reqs[1].Body {
		t.Errorf("retry body %q differs from first %q", reqs[1].Body, reqs[0].Body)
	}

	// A second create is a new operation with a new key.
	if _, err := c.CreateResource(t.Context(), authz.CreateResourceParams{ExternalID: "api", Name: "API", ResourceTypeSlug: "project", OrganizationID: "org_acme"}); err != nil {
		t.Fatal(err)
	}
	if k := s.requests()[2].IdempotencyKey; k == "" || k == reqs[0].IdempotencyKey {
		t.Errorf("second create key %q, want a new non-empty key", k)
	}
}

func TestResourcesAgainstFake(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	ctx := t.Context()

	api, err := a.c.CreateResource(ctx, authz.CreateResourceParams{
		ExternalID: "api", Name: "API", Description: "Public API", ResourceTypeSlug: "project", OrganizationID: "org_acme",
		Parent: authz.ExternalResource("workspace", "eng"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if api.ParentResourceID != a.eng || api.Description != "Public API" || api.OrganizationID != "org_acme" {
		t.Errorf("created %+v, want parent %s", api, a.eng)
	}
	_, err = a.c.CreateResource(ctx, authz.CreateResourceParams{ExternalID: "api", Name: "API 2", ResourceTypeSlug: "project", OrganizationID: "org_acme", Parent: authz.ResourceID(a.eng)})
	wantStatus(t, err, http.StatusConflict)

	got, err := a.c.GetResource(ctx, authz.ExternalResource("project", "api").InOrganization("org_acme"))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != api.ID {
		t.Errorf("by external ID got %s, want %s", got.ID, api.ID)
	}
	ws, err := a.c.GetResource(ctx, authz.ResourceID(a.eng))
	if err != nil {
		t.Fatal(err)
	}
	if ws.ParentResourceID != "" || ws.ResourceTypeSlug != "workspace" {
		t.Errorf("workspace under the organization: %+v, want no parent ID", ws)
	}

	// Move API from Engineering to Sales, then rename it by external ID.
	sales := authz.ResourceID(a.sales)
	moved, err := a.c.UpdateResource(ctx, api.Ref(), authz.UpdateResourceParams{Parent: &sales})
	if err != nil {
		t.Fatal(err)
	}
	if moved.ParentResourceID != a.sales {
		t.Errorf("moved parent %s, want %s", moved.ParentResourceID, a.sales)
	}
	renamed, err := a.c.UpdateResource(ctx, authz.ExternalResource("project", "api").InOrganization("org_acme"), authz.UpdateResourceParams{Name: ptr("Public API")})
	if err != nil {
		t.Fatal(err)
	}
	if renamed.Name != "Public API" || renamed.ParentResourceID != a.sales {
		t.Errorf("renamed %+v", renamed)
	}

	var names []string
	for r, err := range a.c.ListResources(ctx, authz.ListResourcesOptions{OrganizationID: "org_acme", Parent: authz.ExternalResource("workspace", "sales"), ListOptions: authz.ListOptions{Order: authz.OrderAsc}}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, r.Name)
	}
	if diff := cmp.Diff([]string{"CRM", "Public API"}, names); diff != "" {
		t.Errorf("children of Sales (-want +got):\n%s", diff)
	}

	// Sales has children: a plain delete is refused, a cascade removes it all.
	wantStatus(t, a.c.DeleteResource(ctx, authz.ExternalResource("workspace", "sales").InOrganization("org_acme"), authz.DeleteResourceOptions{}), http.StatusConflict)
	if err := a.c.DeleteResource(ctx, authz.ExternalResource("workspace", "sales").InOrganization("org_acme"), authz.DeleteResourceOptions{Cascade: true}); err != nil {
		t.Fatal(err)
	}
	_, err = a.c.GetResource(ctx, api.Ref())
	wantStatus(t, err, http.StatusNotFound)
	if err := a.c.DeleteResource(ctx, authz.ResourceID(a.web), authz.DeleteResourceOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Iterating a list fetches pages of 100 as the loop needs them.
func ExampleClient_ListResources() {
	f, err := authztest.NewServer("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	f.AddResourceType("project", "organization")
	f.AddOrganization("org_acme", "Acme")
	client := f.Client()
	defer client.Close()

	ctx := context.Background()
	for i := range 250 {
		_, err := client.CreateResource(ctx, authz.CreateResourceParams{
			ExternalID: fmt.Sprintf("p%03d", i), Name: fmt.Sprintf("Project %d", i),
			ResourceTypeSlug: "project", OrganizationID: "org_acme",
		})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	f.ResetCalls()

	n := 0
	for r, err := range client.ListResources(ctx, authz.ListResourcesOptions{OrganizationID: "org_acme", ResourceTypeSlug: "project"}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if n == 0 {
			fmt.Println("newest first:", r.Name)
		}
		n++
	}
	fmt.Println("projects:", n, "requests:", len(f.Calls()))
	// Output:
	// newest first: Project 249
	// projects: 250 requests: 3
}
