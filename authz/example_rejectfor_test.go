package authz_test

import (
	"encoding/json"
	"net/http"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

// A list route behind RequireSession filters the projects itself, so an
// error of Filter is the route's to answer: RejectErrorFor maps it to the
// status the Middleware answers the same error with — 503 with the API's
// Retry-After when the API asks to wait, 403 for a session without a
// membership — and the route hands it to the same error handler.
func ExampleRejectErrorFor() {
	f, _ := exampleFake()
	defer f.Close()
	client := f.Client()
	defer client.Close()
	verifier := f.Verifier()
	defer verifier.Close()

	mw := client.Middleware(verifier, authz.WithErrorHandler(authz.WriteJSONError))
	projects := []string{"p1", "p2", "p3"} // the app's own rows of org_acme
	list := func(w http.ResponseWriter, r *http.Request) {
		claims := authz.ClaimsFromContext(r.Context())
		visible, err := authz.Filter(r.Context(), client, claims, "project:view", projects, func(id string) authz.ResourceRef {
			return authz.ExternalResource("project", id).InOrganization("org_acme")
		})
		if err != nil {
			authz.WriteJSONError(w, r, authz.RejectErrorFor(err)) // the Middleware's own answer
			return
		}
		json.NewEncoder(w).Encode(visible)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /projects", mw.RequireSession(http.HandlerFunc(list)))

	get(mux, "/projects", f.Session("om_alice"))
	f.InjectFault(authztest.Fault{Path: "/authorization/", Status: http.StatusTooManyRequests, RetryAfter: "30", Times: -1})
	get(mux, "/projects", f.Session("om_alice"))
	f.ClearFaults()
	get(mux, "/projects", f.Session("om_alice", authztest.SessionWithoutMembership()))
	// Output:
	// /projects 200 ["p1","p3"]
	// /projects 503 Retry-After: 30 {"error":"unavailable","message":"Service Unavailable"}
	// /projects 403 {"error":"forbidden","message":"Forbidden"}
}
