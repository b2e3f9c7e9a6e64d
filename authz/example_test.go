package authz_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/cache"
)

// A request memo answers a repeated check within one request, and a change
// made through the Client with the request's ctx clears it: a handler that
// revokes access and checks again is denied at once. (The Middleware puts
// a memo in every request's context; cache.WithMemo does it by hand.)
func ExampleFresh_requestMemo() {
	f, _ := exampleFake()
	defer f.Close()
	client, err := authz.New(f.APIKey(), authz.WithBaseURL(f.URL()))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx := cache.WithMemo(context.Background()) // one request
	p1 := authz.ExternalResource("project", "p1")
	check := func(opts ...authz.CallOption) {
		d, err := client.Check(ctx, aliceClaims, "project:view", p1, opts...)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("allowed=%v (answered by %s)\n", d.Allowed, d.Source)
	}
	check()
	check()              // the same question again: the memo answers
	check(authz.Fresh()) // Fresh asks the API anyway

	if err := client.RemoveRole(ctx, "om_alice", "project-viewer", p1); err != nil {
		log.Fatal(err)
	}
	check() // the memo's answer predates the change: the API is asked
	// Output:
	// allowed=true (answered by api)
	// allowed=true (answered by memo)
	// allowed=true (answered by api)
	// allowed=false (answered by api)
}

// The middleware guards a route by the resource the request names. The
// resource's organization comes from the app's own records, never from the
// request; a project the app does not know is left to the API, which
// answers 404 — sent as 403.
func ExampleMiddleware_RequireResource() {
	f, _ := exampleFake()
	defer f.Close()
	client := f.Client()
	defer client.Close()
	verifier := f.Verifier()
	defer verifier.Close()

	// projectOrg stands for the app's own table: project → organization.
	projectOrg := map[string]string{"p1": "org_acme", "p2": "org_acme"}
	project := func(r *http.Request) (authz.ResourceRef, error) {
		id := r.PathValue("id")
		ref := authz.ExternalResource("project", id)
		if org, ok := projectOrg[id]; ok {
			ref = ref.InOrganization(org)
		}
		return ref, nil
	}
	show := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "project %s for %s", r.PathValue("id"), authz.ClaimsFromContext(r.Context()).Subject)
	})
	mw := client.Middleware(verifier)
	mux := http.NewServeMux()
	mux.Handle("GET /projects/{id}", mw.RequireResource("project:view", project)(show))

	session := f.Session("om_alice") // viewer of p1 and p3 only
	for _, path := range []string{"/projects/p1", "/projects/p2", "/projects/p9"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+session)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// /projects/p1 200 project p1 for user_alice
	// /projects/p2 403 Forbidden
	// /projects/p9 403 Forbidden
}
