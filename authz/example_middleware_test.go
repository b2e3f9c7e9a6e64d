package authz_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

// get sends one GET through h with a session token and prints the status,
// the Retry-After header when set, and the body.
func get(h http.Handler, path, session string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+session)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	line := fmt.Sprintf("%s %d", path, rec.Code)
	if ra := rec.Header().Get("Retry-After"); ra != "" {
		line += " Retry-After: " + ra
	}
	fmt.Println(line, strings.TrimSpace(rec.Body.String()))
}

// An API answers JSON: WriteJSONError writes {"error", "message"} instead
// of the default text/plain. The handler may also change the status — here
// a project the API does not know (Decision.NotFound) is answered 404
// rather than 403.
func ExampleWithErrorHandler() {
	f, _ := exampleFake()
	defer f.Close()
	client := f.Client()
	defer client.Close()
	verifier := f.Verifier()
	defer verifier.Close()

	mw := client.Middleware(verifier, authz.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, e *authz.RejectError) {
		if e.Status == http.StatusForbidden && errors.Is(e, authz.ErrNotFound) {
			e.Status = http.StatusNotFound
		}
		authz.WriteJSONError(w, r, e)
	}))
	mux := http.NewServeMux()
	mux.Handle("GET /projects/{id}", mw.RequireResource("project:view", func(r *http.Request) (authz.ResourceRef, error) {
		return authz.ExternalResource("project", r.PathValue("id")), nil
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"id":"`+r.PathValue("id")+`"}`) })))

	session := f.Session("om_alice") // viewer of p1 and p3 only
	get(mux, "/projects/p1", session)
	get(mux, "/projects/p2", session)
	get(mux, "/projects/p9", session)
	get(mux, "/projects/p1", "not-a-token")
	// Output:
	// /projects/p1 200 {"id":"p1"}
	// /projects/p2 403 {"error":"forbidden","message":"Forbidden"}
	// /projects/p9 404 {"error":"not_found","message":"Not Found"}
	// /projects/p1 401 {"error":"unauthorized","message":"Unauthorized"}
}

// The resource function runs after the session was verified, so it can read
// the claims (ClaimsFromContext) — here to look the project up in the
// session's organization only. A project the app does not know is answered
// 404 by returning ErrNotFound, without an API call; a status of the app's
// own choosing comes from a *RejectError.
func ExampleMiddleware_RequireResource_notFound() {
	f, _ := exampleFake()
	defer f.Close()
	client := f.Client()
	defer client.Close()
	verifier := f.Verifier()
	defer verifier.Close()

	// projects stands for the app's own table: organization → project IDs.
	projects := map[string]map[string]bool{"org_acme": {"p1": true, "p2": true}}
	project := func(r *http.Request) (authz.ResourceRef, error) {
		claims := authz.ClaimsFromContext(r.Context())
		id := r.PathValue("id")
		switch {
		case id == "p0":
			return authz.ResourceRef{}, &authz.RejectError{Status: http.StatusGone, Err: errors.New("archived")}
		case !projects[claims.OrganizationID][id]:
			return authz.ResourceRef{}, authz.ErrNotFound
		}
		return authz.ExternalResource("project", id).InOrganization(claims.OrganizationID), nil
	}
	mw := client.Middleware(verifier)
	mux := http.NewServeMux()
	mux.Handle("GET /projects/{id}", mw.RequireResource("project:view", project)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "project "+r.PathValue("id"))
	})))

	session := f.Session("om_alice")
	f.ResetCalls()
	for _, id := range []string{"p1", "p2", "p9", "p0"} {
		get(mux, "/projects/"+id, session)
	}
	fmt.Println("API calls:", len(f.Calls()))
	// Output:
	// /projects/p1 200 project p1
	// /projects/p2 403 Forbidden
	// /projects/p9 404 Not Found
	// /projects/p0 410 Gone
	// API calls: 2
}

// When the API asks to wait (429 or 503 with Retry-After), the middleware
// answers 503 and forwards the wait to its own caller.
func ExampleRejectError_retryAfter() {
	f, _ := exampleFake()
	defer f.Close()
	client := f.Client()
	defer client.Close()
	verifier := f.Verifier()
	defer verifier.Close()

	var reason error
	mw := client.Middleware(verifier, authz.OnReject(func(_ *http.Request, _ int, err error) { reason = err }))
	h := mw.RequireResource("project:view", func(r *http.Request) (authz.ResourceRef, error) {
		return authz.ExternalResource("project", "p1"), nil
	})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))

	f.InjectFault(authztest.Fault{Path: "/authorization/", Status: http.StatusTooManyRequests, RetryAfter: "30"})
	get(h, "/projects/p1", f.Session("om_alice"))
	fmt.Println(errors.Is(reason, authz.ErrRateLimited))
	// Output:
	// /projects/p1 503 Retry-After: 30 Service Unavailable
	// true
}
