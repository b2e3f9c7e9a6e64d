package otelfgakit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Middleware.RequirePermission answered by the token — the commonest
// middleware path — is a span authz.Middleware.RequirePermission under the
// request's span, with source token, and is counted in
// fgakit.authz.decisions; a deny says source token too.
func TestRequirePermissionSpansAndMetrics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, om, outcome string
		status            int
	}{
		{"token allows", "om_admin", "allowed", 200},
		{"token denies", "om_alice", "denied", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			h := e.c.Middleware(e.f.Verifier()).RequirePermission("project:view")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			ctx, parent := e.tracer.Start(t.Context(), "request")
			req := httptest.NewRequestWithContext(ctx, "GET", "/reports", nil)
			req.Header.Set("Authorization", "Bearer "+e.f.Session(tc.om))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			parent.End()
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			want := []span{
				{Name: "authz.Middleware.RequirePermission", Parent: "request", Kind: "internal", Attrs: map[string]string{
					"fgakit.permission": "project:view", "fgakit.decision.source": "token", "fgakit.decision.outcome": tc.outcome}},
				{Name: "request", Kind: "internal", Attrs: map[string]string{}},
			}
			if diff := cmp.Diff(want, e.ended()); diff != "" {
				t.Errorf("spans (-want +got):\n%s", diff)
			}
			wantDecisions := map[string]int64{decisionKey("Middleware.RequirePermission", "token", tc.outcome): 1}
			if diff := cmp.Diff(wantDecisions, e.collect(t).sums["fgakit.authz.decisions"]); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
		})
	}
}
