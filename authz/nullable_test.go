package authz_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

func TestNullableJSON(t *testing.T) {
	t.Parallel()
	type body struct {
		Description authz.Nullable[string] `json:"description,omitzero"`
		Count       authz.Nullable[int]    `json:"count,omitzero"`
	}
	cases := []struct {
		name string
		in   body
		want string
	}{
		{"unset is left out", body{}, `{}`},
		{"null clears", body{Description: authz.Null[string]()}, `{"description":null}`},
		{"a value is sent", body{Description: authz.Value("Builds")}, `{"description":"Builds"}`},
		{"the empty string is a value, not null", body{Description: authz.Value("")}, `{"description":""}`},
		{"any type", body{Count: authz.Value(0)}, `{"count":0}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tc.in)
			if err != nil || string(b) != tc.want {
				t.Errorf("Marshal = %s, %v; want %s", b, err, tc.want)
			}
		})
	}
	n := authz.Null[string]()
	if v, ok := n.Get(); !n.IsNull() || n.IsZero() || ok || v != "" {
		t.Errorf("Null: IsNull %v IsZero %v Get %q %v", n.IsNull(), n.IsZero(), v, ok)
	}
	if v, ok := authz.Value("x").Get(); !ok || v != "x" {
		t.Errorf("Value(x).Get() = %q, %v", v, ok)
	}
}

// rawDescription reads the description of a permission as the fake answers
// it: null or a JSON string.
func rawDescription(t *testing.T, f *authztest.Fake, slug string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", f.URL()+"/authorization/permissions/"+slug, nil)
	req.Header.Set("Authorization", "Bearer "+f.APIKey())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return string(m["description"])
}

// TestNullClearsADescription: Null sends null, which clears the field on
// the server (the API answers null afterwards); an unset Nullable leaves it.
func TestNullClearsADescription(t *testing.T) {
	t.Parallel()
	f := authztest.New(t)
	c := f.Client()
	ctx := t.Context()
	if _, err := c.CreatePermission(ctx, authz.CreatePermissionParams{Slug: "doc:read", Name: "Read", Description: "Reads documents"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdatePermission(ctx, "doc:read", authz.UpdatePermissionParams{Name: ptr("Read docs")}); err != nil {
		t.Fatal(err)
	}
	if got := rawDescription(t, f, "doc:read"); got != `"Reads documents"` {
		t.Errorf("after an update without Description: %s, want it unchanged", got)
	}
	p, err := c.UpdatePermission(ctx, "doc:read", authz.UpdatePermissionParams{Description: authz.Null[string]()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Description != "" {
		t.Errorf("Description = %q after Null", p.Description)
	}
	if got := rawDescription(t, f, "doc:read"); got != "null" {
		t.Errorf("the API answers description %s after Null, want null", got)
	}
	calls := f.Calls()
	if body := string(calls[len(calls)-2].Body); !strings.Contains(body, `"description":null`) {
		t.Errorf("request body %s, want description null", body)
	}
}

// ExampleNull clears a description: Value sets a field of an update, Null
// sets it to null, and an unset field is left as it is.
func ExampleNull() {
	f, err := authztest.NewServer("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	f.AddResourceType("project")
	f.AddOrganization("org_acme", "Acme")
	client := f.Client()
	defer client.Close()
	ctx := context.Background()

	r, err := client.CreateResource(ctx, authz.CreateResourceParams{ExternalID: "web", Name: "Web",
		Description: "The website", ResourceTypeSlug: "project", OrganizationID: "org_acme"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ = client.UpdateResource(ctx, r.Ref(), authz.UpdateResourceParams{Description: authz.Value("The public website")})
	fmt.Printf("%q\n", r.Description)
	r, _ = client.UpdateResource(ctx, r.Ref(), authz.UpdateResourceParams{Name: ptr("Website")})
	fmt.Printf("%q (unset: unchanged)\n", r.Description)
	r, _ = client.UpdateResource(ctx, r.Ref(), authz.UpdateResourceParams{Description: authz.Null[string]()})
	fmt.Printf("%q (null)\n", r.Description)
	// Output:
	// "The public website"
	// "The public website" (unset: unchanged)
	// "" (null)
}
