package contract

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRecorderReportsViolations: a server that breaks the spec in each way
// the package doc lists is caught, so the contract test can fail.
func TestRecorderReportsViolations(t *testing.T) {
	t.Parallel()
	sp := loadSpec(t)
	const permission = `{"object":"permission","id":"perm_1","slug":"a:b","name":"A","description":null,"system":false,` +
		`"resource_type_slug":"organization","created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"`
	cases := []struct {
		name         string
		method, path string
		body         string
		auth         bool
		status       int
		answer       string
		want         string // a substring of one violation; "" for none
	}{
		{"a valid exchange", "GET", "/authorization/permissions/a:b", "", true, 200, permission + `}`, ""},
		{"an unknown response field", "GET", "/authorization/permissions/a:b", "", true, 200, permission + `,"colour":"red"}`,
			`response 200: $: unknown field "colour"`},
		{"a missing required field", "GET", "/authorization/permissions/a:b", "", true, 200, `{"object":"permission","id":"perm_1"}`,
			"response 200"},
		{"an undeclared status", "GET", "/authorization/permissions/a:b", "", true, 409, `{"message":"no"}`,
			"status is not supported"},
		{"an unknown field in an error", "GET", "/authorization/permissions/a:b", "", true, 404, `{"message":"no","code":"not_found"}`,
			`response 404: $: unknown field "code"`},
		{"no API key", "GET", "/authorization/permissions/a:b", "", false, 200, permission + `}`,
			"Authorization"},
		{"a path outside the spec", "GET", "/authorization/nothing/here", "", true, 404, `{"message":"no"}`,
			"not an operation of the spec"},
		{"a request body the spec refuses", "POST", "/authorization/permissions", `{"slug":"a:b","name":"` + strings.Repeat("n", 60) + `"}`, true, 201, permission + `}`,
			"request body at /name"},
		{"mutually exclusive inputs", "POST", "/authorization/organization_memberships/om_1/check",
			`{"permission_slug":"a:b","resource_id":"r_1","resource_type_slug":"project"}`, true, 200, `{"authorized":false}`,
			"variants by_external_id and by_id are mutually exclusive"},
		{"an incomplete variant", "POST", "/authorization/organization_memberships/om_1/check",
			`{"permission_slug":"a:b","resource_external_id":"web"}`, true, 200, `{"authorized":false}`,
			"variant by_external_id is incomplete"},
		{"both parent forms in a query", "GET", "/authorization/resources?organization_id=org_1&parent_resource_id=r&parent_resource_type_slug=w&parent_external_id=e", "", true, 200,
			`{"object":"list","data":[],"list_metadata":{"before":null,"after":null}}`, "are mutually exclusive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.answer))
			}))
			t.Cleanup(srv.Close)
			rec := &Recorder{Spec: sp}
			req, err := http.NewRequestWithContext(context.Background(), tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tc.auth {
				req.Header.Set("Authorization", "Bearer sk_test")
			}
			resp, err := (&http.Client{Transport: rec}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			exs := rec.Exchanges()
			if len(exs) != 1 {
				t.Fatalf("%d exchanges recorded, want 1", len(exs))
			}
			v := exs[0].Violations
			if tc.want == "" {
				if len(v) > 0 {
					t.Errorf("violations of a valid exchange: %q", v)
				}
				return
			}
			found := false
			for _, s := range v {
				found = found || strings.Contains(s, tc.want)
			}
			if !found {
				t.Errorf("violations %q lack %q", v, tc.want)
			}
		})
	}
}

// TestExpectInvalidSkipsRequestChecks: a raw request marked as invalid on
// purpose has its request checks skipped, and its response still checked.
func TestExpectInvalidSkipsRequestChecks(t *testing.T) {
	t.Parallel()
	sp := loadSpec(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(422)
		w.Write([]byte(`{"message":"name too long","errors":[]}`))
	}))
	t.Cleanup(srv.Close)
	rec := &Recorder{Spec: sp}
	ctx := ExpectInvalidRequest(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "PATCH", srv.URL+"/authorization/permissions/a:b", strings.NewReader(`{"name":"`+strings.Repeat("n", 60)+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk_test")
	resp, err := (&http.Client{Transport: rec}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := rec.Exchanges()[0]
	want := []string{`response 422: $: unknown field "errors"`}
	if diff := cmp.Diff(want, got.Violations); diff != "" || !got.ExpectInvalid {
		t.Errorf("violations (-want +got):\n%s (ExpectInvalid %v)", diff, got.ExpectInvalid)
	}
}
