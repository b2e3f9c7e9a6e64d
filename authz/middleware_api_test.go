package authz_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/token"
	"github.com/google/go-cmp/cmp"
)

// answer is what a client of the middleware sees.
type answer struct {
	Status      int
	ContentType string
	RetryAfter  string
	Body        string
}

func serveOnce(t *testing.T, h http.Handler, path, bearer string) answer {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return answer{rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Retry-After"), rec.Body.String()}
}

// The error handler decides the answer of every rejection; the resource
// function can answer 404 (or a status of its own) without an API call and
// reads the claims; a 503 forwards the API's Retry-After.
func TestMiddlewareErrorHandlerAndResourceFunction(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client(authz.WithRetry(authz.RetryPolicy{}))
	ws1p := w.projects["ws1"][0]
	known := map[string]bool{ws1p: true, "authz_resource_gone": true}
	var sawClaims string
	resource := func(r *http.Request) (authz.ResourceRef, error) {
		sawClaims = authz.ClaimsFromContext(r.Context()).OrganizationMembershipID
		id := r.PathValue("id")
		switch {
		case id == "gone-for-good":
			return authz.ResourceRef{}, &authz.RejectError{Status: http.StatusGone, Err: errors.New("archived")}
		case id == "busy":
			return authz.ResourceRef{}, &authz.RejectError{Status: http.StatusTooManyRequests, RetryAfter: 2500 * time.Millisecond, Err: errors.New("the app's own rate limit")}
		case !known[id]:
			return authz.ResourceRef{}, authz.ErrNotFound // the app's own table has no such project
		}
		return authz.ResourceID(id), nil
	}
	ok := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { io.WriteString(rw, "ok") })
	alice := w.f.Session("om_alice")
	const text, js = "text/plain; charset=utf-8", "application/json"
	tests := []struct {
		name      string
		json      bool
		path      string
		token     string
		fault     *authztest.Fault
		want      answer
		wantCalls int
	}{
		{"allowed", false, "/projects/" + ws1p, alice, nil, answer{200, text, "", "ok"}, 1},
		{"resource function: not found, no call", false, "/projects/p404", alice, nil, answer{404, text, "", "Not Found\n"}, 0},
		{"resource function: not found, JSON", true, "/projects/p404", alice, nil, answer{404, js, "", `{"error":"not_found","message":"Not Found"}` + "\n"}, 0},
		{"resource function: its own status", true, "/projects/gone-for-good", alice, nil, answer{410, js, "", `{"error":"gone","message":"Gone"}` + "\n"}, 0},
		{"resource function: 429 with its wait", false, "/projects/busy", alice, nil, answer{429, text, "3", "Too Many Requests\n"}, 0},
		{"resource function: 429 with its wait, JSON", true, "/projects/busy", alice, nil, answer{429, js, "3", `{"error":"too_many_requests","message":"Too Many Requests"}` + "\n"}, 0},
		{"the API does not know it: 403, JSON", true, "/projects/authz_resource_gone", alice, nil, answer{403, js, "", `{"error":"forbidden","message":"Forbidden"}` + "\n"}, 1},
		{"no session, JSON", true, "/projects/" + ws1p, "", nil, answer{401, js, "", `{"error":"unauthorized","message":"Unauthorized"}` + "\n"}, 0},
		{"503 forwards Retry-After", false, "/projects/" + ws1p, alice, &authztest.Fault{Status: 503, RetryAfter: "7"}, answer{503, text, "7", "Service Unavailable\n"}, 1},
		{"429 forwards Retry-After, JSON", true, "/projects/" + ws1p, alice, &authztest.Fault{Status: 429, RetryAfter: "90"}, answer{503, js, "90", `{"error":"unavailable","message":"Service Unavailable"}` + "\n"}, 1},
		{"Retry-After past every cap stays positive", false, "/projects/" + ws1p, alice, &authztest.Fault{Status: 429, RetryAfter: "99999999999999999999"}, answer{503, text, "9223372037", "Service Unavailable\n"}, 1},
		{"503 without Retry-After", false, "/projects/" + ws1p, alice, &authztest.Fault{Status: 503}, answer{503, text, "", "Service Unavailable\n"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: faults and the call log are the shared fake's.
			if tt.fault != nil {
				f := *tt.fault
				f.Path = "/authorization/"
				w.f.InjectFault(f)
				defer w.f.ClearFaults()
			}
			var opts []authz.MiddlewareOption
			if tt.json {
				opts = append(opts, authz.WithErrorHandler(authz.WriteJSONError))
			}
			m := c.Middleware(w.f.Verifier(), opts...)
			w.f.ResetCalls()
			sawClaims = ""
			mux := http.NewServeMux()
			mux.Handle("GET /projects/{id}", m.RequireResource("project:view", resource)(ok))
			got := serveOnce(t, mux, tt.path, tt.token)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if n := len(w.f.Calls()); n != tt.wantCalls {
				t.Errorf("%d API calls, want %d", n, tt.wantCalls)
			}
			if tt.token != "" && sawClaims != "om_alice" {
				t.Errorf("the resource function saw claims of %q, want om_alice's", sawClaims)
			}
		})
	}
}

// A custom error handler gets a *RejectError with the status and reason,
// and may change the status: here a resource the API does not know is
// answered 404, a plain deny stays 403.
func TestMiddlewareCustomErrorHandler(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	var got []*authz.RejectError
	m := c.Middleware(w.f.Verifier(), authz.WithErrorHandler(func(rw http.ResponseWriter, r *http.Request, e *authz.RejectError) {
		got = append(got, e)
		if e.Status == http.StatusForbidden && errors.Is(e, authz.ErrNotFound) {
			e.Status = http.StatusNotFound
		}
		authz.WriteJSONError(rw, r, e)
	}))
	h := m.RequireResource("project:view", func(r *http.Request) (authz.ResourceRef, error) {
		return authz.ResourceID(r.PathValue("id")), nil
	})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	mux := http.NewServeMux()
	mux.Handle("GET /projects/{id}", h)
	alice := w.f.Session("om_alice")
	statuses := []int{
		serveOnce(t, mux, "/projects/authz_resource_missing", alice).Status,
		serveOnce(t, mux, "/projects/"+w.projects["ws2"][0], alice).Status,
	}
	if diff := cmp.Diff([]int{404, 403}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if len(got) != 2 || !errors.Is(got[0], authz.ErrDenied) || !errors.Is(got[0], authz.ErrNotFound) ||
		!errors.Is(got[1], authz.ErrDenied) || errors.Is(got[1], authz.ErrNotFound) {
		t.Errorf("rejections = %v; want a deny matching ErrNotFound, then a plain deny", got)
	}
}

// An outer Middleware's claims do not satisfy an inner Middleware whose
// verifier would reject the token on its own (another environment's
// rules): each Middleware holds the request to its own verifier.
func TestNestedMiddlewaresEachVerify(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	outerV := w.f.Verifier()
	// Another environment's verifier: it expects another issuer (and, once
	// fakes stop sharing a key, another key too), so it rejects this
	// fake's tokens by itself.
	staging := authztest.New(t, authztest.WithClientID("client_staging"))
	innerV := staging.Verifier(token.WithIssuer("https://auth.staging.example"))
	alice := w.f.Session("om_alice")
	if _, err := innerV.Verify(t.Context(), alice); err == nil {
		t.Fatal("precondition: the inner verifier accepts the token on its own")
	}
	hello := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.WriteString(rw, authz.ClaimsFromContext(r.Context()).OrganizationMembershipID)
	})
	outer, inner, same := c.Middleware(outerV), c.Middleware(innerV), c.Middleware(outerV)
	byID := func(*http.Request) (authz.ResourceRef, error) { return authz.ResourceID(w.projects["ws1"][0]), nil }
	tests := []struct {
		name string
		h    http.Handler
		want int
	}{
		{"outer session, inner session of another verifier", outer.RequireSession(inner.RequireSession(hello)), 401},
		{"outer session, inner resource of another verifier", outer.RequireSession(inner.RequireResource("project:view", byID)(hello)), 401},
		{"outer session, inner permission of another verifier", outer.RequireSession(inner.RequirePermission("workspace:view")(hello)), 401},
		{"another verifier outside", inner.RequireSession(outer.RequireSession(hello)), 401},
		{"same verifier inside: claims reused", outer.RequireSession(same.RequireResource("project:view", byID)(hello)), 200},
		{"same Middleware twice", outer.RequireSession(outer.RequireSession(hello)), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := serveOnce(t, tt.h, "/", alice); got.Status != tt.want {
				t.Errorf("status = %d (%q), want %d", got.Status, got.Body, tt.want)
			}
		})
	}
}

// One request memo seen by the Clients of two environments that share an
// API key (two fakes here) never answers one Client with the other's
// answer: the memo key holds the base URL too.
func TestMemoSharedByTwoEnvironments(t *testing.T) {
	t.Parallel()
	prod, staging := newWorld(t), newWorld(t) // same default API key, same names
	staging.f.Assign("om_dave", "workspace-viewer", staging.ws["ws1"])
	ctx := cache.WithMemo(t.Context())
	r := authz.ExternalResource("project", "ws1-p000")
	var got []authz.Decision
	for _, w := range []*world{prod, staging} {
		d, err := w.f.Client().Check(ctx, claimsFor("om_dave"), "project:view", r)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	want := []authz.Decision{{Source: authz.SourceAPI}, {Allowed: true, Source: authz.SourceAPI}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions prod, staging (-want +got):\n%s", diff)
	}
}

// A nested Middleware with the same verifier reuses the outer one's claims
// only for the token it would read itself: an inner Middleware that reads
// the Authorization header, inside one that reads a cookie, does not let
// through a request that carries the session in the cookie alone (a
// bearer-only API route would otherwise accept cookie sessions, and with
// them cross-site requests), nor one whose header holds another token.
func TestNestedMiddlewaresReadTheirOwnToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.f.Client()
	v := w.f.Verifier()
	hello := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.WriteString(rw, authz.ClaimsFromContext(r.Context()).OrganizationMembershipID)
	})
	cookie := c.Middleware(v, authz.TokenFromCookie("session"))
	bearer := c.Middleware(v)
	alice, bob := w.f.Session("om_alice"), w.f.Session("om_bob")
	tests := []struct {
		name           string
		h              http.Handler
		cookie, header string
		want           answer
	}{
		{"cookie outside, bearer inside, cookie only", cookie.RequireSession(bearer.RequireSession(hello)), alice, "", answer{Status: 401}},
		{"cookie outside, bearer inside, both the same token", cookie.RequireSession(bearer.RequireSession(hello)), alice, alice, answer{Status: 200, Body: "om_alice"}},
		{"cookie outside, bearer inside, another token in the header", cookie.RequireSession(bearer.RequireSession(hello)), alice, bob, answer{Status: 200, Body: "om_bob"}},
		{"bearer outside, cookie inside, header only", bearer.RequireSession(cookie.RequireSession(hello)), "", alice, answer{Status: 401}},
		{"bearer twice", bearer.RequireSession(bearer.RequireSession(hello)), "", alice, answer{Status: 200, Body: "om_alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", "Bearer "+tt.header)
			}
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "session", Value: tt.cookie})
			}
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, req)
			got := answer{Status: rec.Code}
			if rec.Code == 200 {
				got.Body = rec.Body.String()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}
