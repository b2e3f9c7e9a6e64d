package authz_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fgakit/fgakit/authz"
	"github.com/google/go-cmp/cmp"
)

// Middleware.RequirePermission reports the decisions the session token
// makes alone — an allow and a deny, Source token — and a closed Client's
// refusal, as an OpRequirePermission call; a token a Freshness calls stale
// is reported by the Check it makes instead.
func TestHooksSeeRequirePermission(t *testing.T) {
	t.Parallel()
	perm := "reports:view"
	call := authz.Call{Op: authz.OpRequirePermission, Permission: perm, Items: 1}
	tests := []struct {
		name          string
		stale         bool
		close         bool
		om            string
		wantStatus    int
		wantCalls     []authz.Call
		wantResults   []string
		wantDecisions []string
	}{
		{name: "token allows", om: "om_bob", wantStatus: 200,
			wantCalls: []authz.Call{call}, wantResults: []string{"allowed"},
			wantDecisions: []string{"Middleware.RequirePermission reports:view token allowed"}},
		{name: "token denies", om: "om_alice", wantStatus: 403,
			wantCalls: []authz.Call{call}, wantResults: []string{"denied"},
			wantDecisions: []string{"Middleware.RequirePermission reports:view token denied"}},
		{name: "closed", om: "om_bob", close: true, wantStatus: 503,
			wantCalls: []authz.Call{call}, wantResults: []string{"error"},
			wantDecisions: []string{"Middleware.RequirePermission reports:view none error"}},
		{name: "stale token: the Check reports", om: "om_bob", stale: true, wantStatus: 200,
			wantCalls:     []authz.Call{{Op: authz.OpCheck, Permission: perm, ResourceTypeSlug: "organization", Items: 1}},
			wantResults:   []string{"allowed"},
			wantDecisions: []string{"Check reports:view api allowed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := hooksFake(t)
			f.AddPermission(perm, "organization")
			f.AddRole("reporter", "organization", perm)
			f.AddMembership("om_bob", "user_bob", "org_acme", "reporter")
			var log hookLog
			opts := []authz.Option{authz.WithHooks(log.hooks())}
			if tc.stale {
				opts = append(opts, authz.WithFreshness(staleFreshness{}))
			}
			c := f.Client(opts...)
			raw := f.Session(tc.om)
			h := c.Middleware(f.Verifier()).RequirePermission(perm)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			if tc.close {
				c.Close()
			}
			req := httptest.NewRequest("GET", "/reports", nil)
			req.Header.Set("Authorization", "Bearer "+raw)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			log.mu.Lock()
			defer log.mu.Unlock()
			if diff := cmp.Diff(tc.wantCalls, log.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantResults, log.results); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantDecisions, log.decisions); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
		})
	}
}
