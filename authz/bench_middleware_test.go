package authz_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
)

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// requirePermissionSetup returns a RequirePermission("reports:view")
// handler of a Client with opts, and a request for it whose session an
// outer Middleware (RequireSession) already verified: serving it measures
// the permission decision alone, not the token's signature check.
func requirePermissionSetup(tb testing.TB, om string, opts ...authz.Option) (http.Handler, *http.Request) {
	tb.Helper()
	f := authztest.New(tb)
	f.AddResourceType("project", "organization")
	f.AddPermission("reports:view", "organization")
	f.AddRole("member", "organization")
	f.AddRole("reporter", "organization", "reports:view")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "member")
	f.AddMembership("om_bob", "user_bob", "org_acme", "reporter")
	c := f.Client(opts...)
	m := c.Middleware(f.Verifier())
	var verified *http.Request
	outer := m.RequireSession(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { verified = r }))
	req := httptest.NewRequest("GET", "/reports", nil)
	req.Header.Set("Authorization", "Bearer "+f.Session(om))
	outer.ServeHTTP(httptest.NewRecorder(), req)
	if verified == nil {
		tb.Fatal("RequireSession refused the session")
	}
	return m.RequirePermission("reports:view")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})), verified
}

// A Client without hooks lets a request through RequirePermission on the
// token alone without allocating: reporting the decision to hooks costs
// nothing when there are none.
func TestRequirePermissionAllocationFreeWithoutHooks(t *testing.T) {
	h, req := requirePermissionSetup(t, "om_bob")
	w := &discard{h: http.Header{}}
	allocs := testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, req) })
	if allocs != 0 {
		t.Errorf("RequirePermission answered by the token allocates %v times, want 0", allocs)
	}
}

// BenchmarkRequirePermission is Middleware.RequirePermission answered by
// the token layer (a session an outer Middleware verified), without hooks
// and with hooks that do nothing.
func BenchmarkRequirePermission(b *testing.B) {
	noop := authz.Hooks{
		Start: func(ctx context.Context, _ authz.Call) (context.Context, func(authz.CallResult)) {
			return ctx, func(authz.CallResult) {}
		},
		Decision: func(context.Context, authz.DecisionEvent) {},
	}
	for _, bc := range []struct {
		name string
		opts []authz.Option
	}{{"impl=bare", nil}, {"impl=noop-hooks", []authz.Option{authz.WithHooks(noop)}}} {
		b.Run(bc.name, func(b *testing.B) {
			h, req := requirePermissionSetup(b, "om_bob", bc.opts...)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
		})
	}
}
