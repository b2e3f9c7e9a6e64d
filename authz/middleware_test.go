package authz_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/token"
	"github.com/google/go-cmp/cmp"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Globex, another tenant, with a project of its own; Erin, an Acme
	// admin whose token holds settings:edit (an organization permission)
	// and project:view.
	w.f.AddOrganization("org_globex", "Globex")
	research := w.f.AddResource(authztest.Resource{ExternalID: "research", ResourceTypeSlug: "workspace", OrganizationID: "org_globex"})
	w.f.AddResource(authztest.Resource{ExternalID: "secret", ResourceTypeSlug: "project", OrganizationID: "org_globex", ParentResourceID: research})
	w.f.AddPermission("settings:edit", "organization")
	w.f.AddRole("org-admin", "organization", "settings:edit", "project:view")
	w.f.AddMembership("om_erin", "user_erin", org, "org-admin")
	c := w.f.Client(authz.WithRetry(authz.RetryPolicy{}))
	var reason error // the last OnReject reason; subtests run one at a time
	m := c.Middleware(w.f.Verifier(), authz.OnReject(func(_ *http.Request, _ int, err error) { reason = err }))

	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		claims := authz.ClaimsFromContext(r.Context())
		io.WriteString(rw, "hello "+claims.OrganizationMembershipID)
	})
	byPath := func(r *http.Request) (authz.ResourceRef, error) {
		if r.PathValue("id") == "bad" {
			return authz.ResourceRef{}, errors.New("no such id format")
		}
		return authz.ResourceID(r.PathValue("id")), nil
	}
	mux.Handle("GET /session", m.RequireSession(ok))
	mux.Handle("GET /reports", m.RequirePermission("project:view")(ok))
	mux.Handle("GET /projects/{id}", m.RequireResource("project:view", byPath)(ok))
	// The multi-tenant pattern the token layer must not open to other
	// tenants: an organization (root or workspace) named by the request.
	mux.Handle("GET /orgs/{org}/settings", m.RequireResource("settings:edit", func(r *http.Request) (authz.ResourceRef, error) {
		return authz.ExternalResource("organization", r.PathValue("org")), nil
	})(ok))
	mux.Handle("GET /ext/projects/{ext}", m.RequireResource("project:view", func(r *http.Request) (authz.ResourceRef, error) {
		return authz.ExternalResource("project", r.PathValue("ext")), nil
	})(ok))
	// Wrong on purpose (the organization comes from the request): a
	// mismatch with the session's organization is still refused.
	mux.Handle("GET /orgs/{org}/projects/{ext}", m.RequireResource("project:view", func(r *http.Request) (authz.ResourceRef, error) {
		return authz.ExternalResource("project", r.PathValue("ext")).InOrganization(r.PathValue("org")), nil
	})(ok))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	alice, carol, erin := w.f.Session("om_alice"), w.f.Session("om_carol"), w.f.Session("om_erin")
	noMembership := w.f.Session("om_alice", authztest.SessionWithoutMembership())
	ws1p, ws2p := w.projects["ws1"][0], w.projects["ws2"][0]
	type result struct {
		Status int
		Body   string
	}
	tests := []struct {
		name   string
		path   string
		token  string
		fault  *authztest.Fault // injected on the API paths
		want   result
		reason error // what OnReject is told (nil: not rejected, or not checked)
	}{
		{"no token", "/session", "", nil, result{401, "Unauthorized\n"}, authz.ErrNoSessionToken},
		{"garbage token", "/session", "not-a-jwt", nil, result{401, "Unauthorized\n"}, nil},
		{"valid session", "/session", alice, nil, result{200, "hello om_alice"}, nil},
		{"org permission granted by the token", "/reports", carol, nil, result{200, "hello om_carol"}, nil},
		{"org permission missing from the token", "/reports", alice, nil, result{403, "Forbidden\n"}, authz.ErrDenied},
		{"resource allowed by the API", "/projects/" + ws1p, alice, nil, result{200, "hello om_alice"}, nil},
		{"resource denied", "/projects/" + ws2p, alice, nil, result{403, "Forbidden\n"}, authz.ErrDenied},
		{"unknown resource", "/projects/authz_resource_nope", alice, nil, result{403, "Forbidden\n"}, authz.ErrNotFound},
		{"bad resource reference", "/projects/bad", alice, nil, result{400, "Bad Request\n"}, nil},
		{"session without membership", "/projects/" + ws1p, noMembership, nil, result{403, "Forbidden\n"}, token.ErrNoMembership},
		{"own organization root, token grants", "/orgs/org_acme/settings", erin, nil, result{200, "hello om_erin"}, nil},
		{"another organization's root, token grants in its own org", "/orgs/org_globex/settings", erin, nil, result{403, "Forbidden\n"}, authz.ErrNotFound},
		{"own project by external ID, token grants: the API is asked", "/ext/projects/ws1-p000", erin, nil, result{200, "hello om_erin"}, nil},
		{"another organization's project by external ID", "/ext/projects/secret", erin, nil, result{403, "Forbidden\n"}, authz.ErrNotFound},
		{"reference naming another organization", "/orgs/org_globex/projects/secret", erin, nil, result{403, "Forbidden\n"}, authz.ErrOrganizationMismatch},
		{"API failing", "/projects/" + ws1p, alice, &authztest.Fault{Status: 500}, result{503, "Service Unavailable\n"}, authz.ErrServer},
		{"API answer malformed", "/projects/" + ws1p, alice, &authztest.Fault{Malformed: true}, result{503, "Service Unavailable\n"}, authz.ErrMalformedResponse},
		{"API answer 200 without authorized", "/projects/" + ws1p, alice, &authztest.Fault{Status: 200, Body: `{"authorised":true}`}, result{503, "Service Unavailable\n"}, authz.ErrMalformedResponse},
		{"API rejects the key", "/projects/" + ws1p, alice, &authztest.Fault{Status: 401}, result{503, "Service Unavailable\n"}, authz.ErrUnauthorized},
		// Dropped once on the connection the previous case left in the pool:
		// resent at once on a fresh one (no retry, so even with MaxRetries 0).
		{"API drops a reused connection once", "/projects/" + ws1p, alice, &authztest.Fault{Drop: true}, result{200, "hello om_alice"}, nil},
		// Dropped on fresh connections too: with retries off, one failure.
		{"API connection dropped", "/projects/" + ws1p, alice, &authztest.Fault{Drop: true, Times: -1}, result{503, "Service Unavailable\n"}, authz.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the fault is injected into the shared fake.
			if tt.fault != nil {
				f := *tt.fault
				f.Path = "/authorization/"
				w.f.InjectFault(f)
				defer w.f.ClearFaults()
			}
			reason = nil
			calls := len(w.f.Calls())
			req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			got := result{resp.StatusCode, string(b)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if resp.StatusCode == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
			if tt.reason != nil && !errors.Is(reason, tt.reason) {
				t.Errorf("OnReject reason = %v, want %v", reason, tt.reason)
			}
			if tt.name == "own organization root, token grants" && len(w.f.Calls()) != calls {
				t.Errorf("%d API calls; the token answers for its own organization's root", len(w.f.Calls())-calls)
			}
			if tt.name == "API drops a reused connection once" && len(w.f.Calls()) != calls+2 {
				t.Errorf("%d API calls, want 2: the dropped one and its resend", len(w.f.Calls())-calls)
			}
			if strings.HasPrefix(tt.name, "own project by external ID") && len(w.f.Calls()) != calls+1 {
				t.Errorf("%d API calls, want 1: an external ID alone may be another tenant's", len(w.f.Calls())-calls)
			}
		})
	}
}

func TestMiddlewareCookieRejectHookAndKeySetDown(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	type rejection struct {
		Status int
		Path   string
	}
	var got []rejection
	v := w.f.Verifier()
	m := c.Middleware(v, authz.TokenFromCookie("session"), authz.OnReject(func(r *http.Request, status int, err error) {
		got = append(got, rejection{status, r.URL.Path})
		if err == nil {
			t.Errorf("OnReject without a reason")
		}
	}))
	h := m.RequireSession(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { io.WriteString(rw, "ok") }))
	serve := func(path, cookie, bearer string) int {
		req := httptest.NewRequestWithContext(t.Context(), "GET", path, nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "session", Value: cookie})
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	alice := w.f.Session("om_alice")
	statuses := []int{
		serve("/cookie", alice, ""),      // 200: the cookie is read
		serve("/bearer", "", alice),      // 401: the header is not, with TokenFromCookie
		serve("/garbage", "garbage", ""), // 401
	}
	v.Close() // the key set is now unavailable: could not decide
	statuses = append(statuses, serve("/down", alice, ""))
	if diff := cmp.Diff([]int{200, 401, 401, 503}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	want := []rejection{{401, "/bearer"}, {401, "/garbage"}, {503, "/down"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OnReject calls (-want +got):\n%s", diff)
	}
}

// Setup mistakes panic when the middleware is built, not on each request.
func TestMiddlewareSetupMistakesPanic(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	for _, tc := range []struct {
		name  string
		build func()
	}{
		{"nil verifier", func() { c.Middleware(nil) }},
		{"nil resource function", func() { c.Middleware(w.f.Verifier()).RequireResource("project:view", nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.build()
		})
	}
}

// A closed Client decides nothing, not even from the token: RequirePermission
// answers 503 with ErrClosed, as Check returns ErrClosed.
func TestRequirePermissionAfterClose(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	var reasons []error
	mw := c.Middleware(w.f.Verifier(), authz.OnReject(func(_ *http.Request, _ int, err error) { reasons = append(reasons, err) }))
	h := mw.RequirePermission("project:view")(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	serve := func() int {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+w.f.Session("om_carol"))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	statuses := []int{serve()}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	statuses = append(statuses, serve())
	if diff := cmp.Diff([]int{http.StatusOK, http.StatusServiceUnavailable}, statuses); diff != "" {
		t.Errorf("statuses before and after Close (-want +got):\n%s", diff)
	}
	if len(reasons) != 1 || !errors.Is(reasons[0], authz.ErrClosed) {
		t.Errorf("OnReject reasons = %v, want one ErrClosed", reasons)
	}
}
