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
	"github.com/google/go-cmp/cmp"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client(authz.WithRetry(authz.RetryPolicy{}))
	m := c.Middleware(w.f.Verifier())

	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		claims := authz.ClaimsFromContext(r.Context())
		io.WriteString(rw, "hello "+claims.OrganizationMembershipID)
	})
	byPath := func(r *http.Request) (authz.Resource, error) {
		if r.PathValue("id") == "bad" {
			return authz.Resource{}, errors.New("no such id format")
		}
		return authz.ResourceID(r.PathValue("id")), nil
	}
	mux.Handle("GET /session", m.RequireSession(ok))
	mux.Handle("GET /reports", m.RequirePermission("project:view")(ok))
	mux.Handle("GET /projects/{id}", m.RequireResource("project:view", byPath)(ok))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	alice, carol := w.f.Session("om_alice"), w.f.Session("om_carol")
	noMembership := w.f.Session("om_alice", authztest.SessionWithoutMembership())
	ws1p, ws2p := w.projects["ws1"][0], w.projects["ws2"][0]
	type result struct {
		Status int
		Body   string
	}
	tests := []struct {
		name  string
		path  string
		token string
		fault *authztest.Fault // injected on the API paths
		want  result
	}{
		{"no token", "/session", "", nil, result{401, "Unauthorized\n"}},
		{"garbage token", "/session", "not-a-jwt", nil, result{401, "Unauthorized\n"}},
		{"valid session", "/session", alice, nil, result{200, "hello om_alice"}},
		{"org permission granted by the token", "/reports", carol, nil, result{200, "hello om_carol"}},
		{"org permission missing from the token", "/reports", alice, nil, result{403, "Forbidden\n"}},
		{"resource allowed by the API", "/projects/" + ws1p, alice, nil, result{200, "hello om_alice"}},
		{"resource denied", "/projects/" + ws2p, alice, nil, result{403, "Forbidden\n"}},
		{"unknown resource", "/projects/authz_resource_nope", alice, nil, result{403, "Forbidden\n"}},
		{"bad resource reference", "/projects/bad", alice, nil, result{400, "Bad Request\n"}},
		{"session without membership", "/projects/" + ws1p, noMembership, nil, result{403, "Forbidden\n"}},
		{"API failing", "/projects/" + ws1p, alice, &authztest.Fault{Status: 500}, result{503, "Service Unavailable\n"}},
		{"API answer malformed", "/projects/" + ws1p, alice, &authztest.Fault{Malformed: true}, result{503, "Service Unavailable\n"}},
		{"API answer 200 without authorized", "/projects/" + ws1p, alice, &authztest.Fault{Status: 200, Body: `{"authorised":true}`}, result{503, "Service Unavailable\n"}},
		{"API rejects the key", "/projects/" + ws1p, alice, &authztest.Fault{Status: 401}, result{503, "Service Unavailable\n"}},
		{"API connection dropped", "/projects/" + ws1p, alice, &authztest.Fault{Drop: true}, result{503, "Service Unavailable\n"}},
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
