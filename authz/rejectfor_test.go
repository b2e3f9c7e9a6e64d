package authz_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/token"
)

func TestRejectErrorFor(t *testing.T) {
	t.Parallel()
	type want struct {
		status     int
		retryAfter time.Duration
	}
	tests := []struct {
		name string
		err  error
		want want
	}{
		{"no session token", authz.ErrNoSessionToken, want{401, 0}},
		{"expired token", fmt.Errorf("%w: exp in the past", token.ErrExpired), want{401, 0}},
		{"token of another environment", fmt.Errorf("%w: kid", token.ErrUnknownKey), want{401, 0}},
		{"Connect token", token.ErrNotSessionToken, want{401, 0}},
		{"key set unavailable", fmt.Errorf("%w: %w", token.ErrKeySetUnavailable, context.DeadlineExceeded), want{503, 0}},
		{"key set without usable key", fmt.Errorf("%w: %w", token.ErrKeySetUnavailable, token.ErrNoUsableKey), want{503, 0}},
		{"deny", authz.ErrDenied, want{403, 0}},
		{"deny of an unknown resource", fmt.Errorf("%w: %w", authz.ErrDenied, authz.ErrNotFound), want{403, 0}},
		{"no membership", fmt.Errorf("authz: cannot ask the API: %w", token.ErrNoMembership), want{403, 0}},
		{"another organization", authz.ErrOrganizationMismatch, want{403, 0}},
		{"batch item in another organization", &authz.BatchError{Total: 2, Failures: []authz.ItemError{{Index: 1, Err: authz.ErrOrganizationMismatch}}}, want{403, 0}},
		{"invalid input", authz.ResourceRef{}.Validate(), want{400, 0}},
		{"app's not found", authz.ErrNotFound, want{404, 0}},
		{"management call's 404", &authz.APIError{StatusCode: 404}, want{404, 0}},
		{"rate limited", fmt.Errorf("after 3 retries: %w", &authz.APIError{StatusCode: 429, RetryAfter: 30 * time.Second}), want{503, 30 * time.Second}},
		{"batch item rate limited", &authz.BatchError{Total: 1, Failures: []authz.ItemError{{Err: &authz.APIError{StatusCode: 503, RetryAfter: 2 * time.Second}}}}, want{503, 2 * time.Second}},
		{"wrong API key is the server's fault", &authz.APIError{StatusCode: 401}, want{503, 0}},
		{"API key without permission", &authz.APIError{StatusCode: 403}, want{503, 0}},
		{"API refused the request", &authz.APIError{StatusCode: 422}, want{503, 0}},
		{"unavailable", authz.ErrUnavailable, want{503, 0}},
		{"closed", authz.ErrClosed, want{503, 0}},
		{"caller gone", context.Canceled, want{503, 0}},
		{"unknown", errors.New("boom"), want{503, 0}},
		{"app's RejectError", &authz.RejectError{Status: http.StatusGone}, want{410, 0}},
		{"wrapped RejectError", fmt.Errorf("busy: %w", &authz.RejectError{Status: 429, RetryAfter: time.Second}), want{429, time.Second}},
		{"RejectError outside 400-599", &authz.RejectError{Status: http.StatusFound}, want{500, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			re := authz.RejectErrorFor(tt.err)
			if re == nil {
				t.Fatal("nil")
			}
			if got := (want{re.Status, re.RetryAfter}); got != tt.want {
				t.Errorf("RejectErrorFor(%v) = %d, %v; want %d, %v", tt.err, got.status, got.retryAfter, tt.want.status, tt.want.retryAfter)
			}
			if !errors.Is(re, tt.err) && !errors.Is(re.Err, tt.err) {
				t.Errorf("the RejectError does not hold the reason %v", tt.err)
			}
		})
	}
	if re := authz.RejectErrorFor(nil); re != nil {
		t.Errorf("RejectErrorFor(nil) = %v, want nil", re)
	}
}

// A route behind RequireSession that checks itself and answers with
// RejectErrorFor answers every failure as RequireResource does.
func TestRejectErrorForMatchesRequireResource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   *authztest.Fault
		session func(f *authztest.Fake) string
		ref     authz.ResourceRef
	}{
		{"allowed", nil, nil, authz.ExternalResource("project", "p1")},
		{"denied", nil, nil, authz.ExternalResource("project", "p2")},
		{"not found", nil, nil, authz.ExternalResource("project", "p9")},
		{"another organization", nil, nil, authz.ExternalResource("project", "p1").InOrganization("org_globex")},
		{"ID in another organization", nil, nil, authz.ResourceID("authz_resource_x").InOrganization("org_globex")},
		{"no membership", nil, func(f *authztest.Fake) string { return f.Session("om_alice", authztest.SessionWithoutMembership()) },
			authz.ExternalResource("project", "p1")},
		{"rate limited", &authztest.Fault{Path: "/authorization/", Status: 429, RetryAfter: "30", Times: -1}, nil, authz.ExternalResource("project", "p1")},
		{"server error", &authztest.Fault{Path: "/authorization/", Status: 500, Times: -1}, nil, authz.ExternalResource("project", "p1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, _ := exampleFake()
			t.Cleanup(f.Close)
			client := f.Client()
			t.Cleanup(func() { client.Close() })
			verifier := f.Verifier()
			t.Cleanup(func() { verifier.Close() })
			mw := client.Middleware(verifier)
			ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
			guarded := mw.RequireResource("project:view", func(*http.Request) (authz.ResourceRef, error) { return tt.ref, nil })(ok)
			own := mw.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				d, err := client.Check(r.Context(), authz.ClaimsFromContext(r.Context()), "project:view", tt.ref)
				switch {
				case err != nil:
					authz.WriteTextError(w, r, authz.RejectErrorFor(err))
				case !d.Allowed:
					authz.WriteTextError(w, r, authz.RejectErrorFor(authz.ErrDenied))
				default:
					w.WriteHeader(200)
				}
			}))
			session := f.Session("om_alice")
			if tt.session != nil {
				session = tt.session(f)
			}
			if tt.fault != nil {
				f.InjectFault(*tt.fault)
			}
			answer := func(h http.Handler) string {
				req := httptest.NewRequest("GET", "/x", nil)
				req.Header.Set("Authorization", "Bearer "+session)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return fmt.Sprintf("%d Retry-After=%q %q", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
			}
			if a, b := answer(guarded), answer(own); a != b {
				t.Errorf("RequireResource answered %s, the route with RejectErrorFor %s", a, b)
			}
		})
	}
}

// Every sentinel of the token package has a deliberate status: a new one
// must be added to RejectErrorFor's mapping (and to this table), or a
// rejected token would be answered 503 instead of 401.
func TestRejectErrorForKnowsEveryTokenSentinel(t *testing.T) {
	t.Parallel()
	want := map[string]struct {
		err    error
		status int
	}{
		"ErrMalformed":         {token.ErrMalformed, 401},
		"ErrSignature":         {token.ErrSignature, 401},
		"ErrExpired":           {token.ErrExpired, 401},
		"ErrNotYetValid":       {token.ErrNotYetValid, 401},
		"ErrIssuer":            {token.ErrIssuer, 401},
		"ErrAudience":          {token.ErrAudience, 401},
		"ErrUnknownKey":        {token.ErrUnknownKey, 401},
		"ErrKeySetUnavailable": {token.ErrKeySetUnavailable, 503},
		"ErrNoUsableKey":       {fmt.Errorf("%w: %w", token.ErrKeySetUnavailable, token.ErrNoUsableKey), 503}, // as Verify wraps it
		"ErrNotSessionToken":   {token.ErrNotSessionToken, 401},
		"ErrSessionRevoked":    {token.ErrSessionRevoked, 401},
		"ErrNoMembership":      {token.ErrNoMembership, 403},
	}
	src, err := os.ReadFile(filepath.Join("..", "token", "errors.go"))
	if err != nil {
		t.Fatal(err)
	}
	declared := regexp.MustCompile(`(?m)^\s*(Err\w+)\s*=\s*errors\.New`).FindAllStringSubmatch(string(src), -1)
	if len(declared) < len(want) {
		t.Fatalf("found %d sentinels in token/errors.go, want at least %d: the pattern is out of date", len(declared), len(want))
	}
	for _, m := range declared {
		w, ok := want[m[1]]
		if !ok {
			t.Errorf("token.%s has no deliberate status: add it to RejectErrorFor and to this table", m[1])
			continue
		}
		if got := authz.RejectErrorFor(fmt.Errorf("verify: %w", w.err)).Status; got != w.status {
			t.Errorf("RejectErrorFor(token.%s) = %d, want %d", m[1], got, w.status)
		}
	}
}
