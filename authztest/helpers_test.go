package authztest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// epoch is the frozen clock of the tests: timestamps in literal answers
// read 2026-01-15T12:00:00.000Z.
var epoch = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// designFixture is DESIGN.md's fixture, plus Bob (no resource role), a
// custom organization role holder, and a second organization.
const designFixture = `{
  "client_id": "client_test",
  "resource_types": [
    {"slug": "workspace", "parent_types": ["organization"]},
    {"slug": "project", "parent_types": ["workspace"]}
  ],
  "permissions": [
    {"slug": "workspace:view", "resource_type_slug": "workspace"},
    {"slug": "project:edit", "resource_type_slug": "project"},
    {"slug": "project:view", "resource_type_slug": "project"}
  ],
  "roles": [
    {"slug": "member", "resource_type_slug": "organization", "permissions": ["workspace:view"]},
    {"slug": "workspace-admin", "resource_type_slug": "workspace", "permissions": ["workspace:view", "project:edit"]},
    {"slug": "project-viewer", "resource_type_slug": "project", "permissions": ["project:view"]},
    {"slug": "org-auditor", "organization_id": "org_acme", "resource_type_slug": "organization", "permissions": ["project:view"]}
  ],
  "organizations": [{"id": "org_acme", "name": "Acme"}, {"id": "org_globex", "name": "Globex"}],
  "organization_memberships": [
    {"id": "om_alice", "user_id": "user_alice", "organization_id": "org_acme", "role": {"slug": "member"}},
    {"id": "om_bob", "user_id": "user_bob", "organization_id": "org_acme", "role": {"slug": "member"}},
    {"id": "om_carol", "user_id": "user_carol", "organization_id": "org_acme", "role": {"slug": "org-auditor"}},
    {"id": "om_mallory", "user_id": "user_mallory", "organization_id": "org_globex", "role": {"slug": "member"}}
  ],
  "resources": [
    {"id": "authz_resource_eng", "external_id": "eng", "name": "Engineering",
     "resource_type_slug": "workspace", "organization_id": "org_acme"},
    {"id": "authz_resource_web", "external_id": "web", "name": "Web", "resource_type_slug": "project", "organization_id": "org_acme",
     "parent_resource_external_id": "eng", "parent_resource_type_slug": "workspace"},
    {"id": "authz_resource_sales", "external_id": "sales", "name": "Sales",
     "resource_type_slug": "workspace", "organization_id": "org_acme"},
    {"id": "authz_resource_crm", "external_id": "crm", "name": "CRM", "resource_type_slug": "project", "organization_id": "org_acme",
     "parent_resource_id": "authz_resource_sales"},
    {"id": "authz_resource_hq", "external_id": "hq", "name": "HQ",
     "resource_type_slug": "workspace", "organization_id": "org_globex"}
  ],
  "role_assignments": [
    {"id": "role_assignment_alice_eng", "organization_membership_id": "om_alice", "role_slug": "workspace-admin", "resource_id": "authz_resource_eng"},
    {"id": "role_assignment_bob_crm", "organization_membership_id": "om_bob", "role_slug": "project-viewer", "resource_id": "authz_resource_crm"}
  ]
}`

// newTestFake starts a fake with a frozen clock and the design fixture.
func newTestFake(t *testing.T, opts ...Option) *Fake {
	t.Helper()
	fx, err := ParseFixture(strings.NewReader(designFixture))
	if err != nil {
		t.Fatal(err)
	}
	return New(t, append([]Option{WithClock(epoch), WithFixture(fx)}, opts...)...)
}

// call sends one raw HTTP request to the fake and returns the status, the
// body and the response.
func call(t *testing.T, f *Fake, method, path, body string) (int, string, *http.Response) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.APIKey())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp
}

// equalJSON fails unless got and want are the same JSON value. want is a
// literal: the fake's answers are never compared with its own structs.
func equalJSON(t *testing.T, got, want string) {
	t.Helper()
	if want == "" {
		if got != "" {
			t.Errorf("body = %q, want none", got)
		}
		return
	}
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad literal in test: %v\n%s", err, want)
	}
	if d := cmp.Diff(w, g); d != "" {
		t.Errorf("body mismatch (-want +got):\n%s\ngot: %s", d, got)
	}
}

// wireCase is one request and its literal expected answer.
type wireCase struct {
	name       string
	method     string
	path       string
	body       string
	wantStatus int
	wantBody   string // literal JSON; "" for no body
}

// runWire runs each case against its own fresh fake (cases may change it).
func runWire(t *testing.T, cases []wireCase, setup func(*Fake)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			if setup != nil {
				setup(f)
			}
			status, body, resp := call(t, f, tc.method, tc.path, tc.body)
			if status != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", status, tc.wantStatus, body)
			}
			if resp.Header.Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID header")
			}
			equalJSON(t, body, tc.wantBody)
		})
	}
}

const salesJSON = `{"object":"authorization_resource","id":"authz_resource_sales","external_id":"sales","name":"Sales",
	"description":null,"resource_type_slug":"workspace","organization_id":"org_acme","parent_resource_id":null,
	"created_at":"2026-01-15T12:00:00.000Z","updated_at":"2026-01-15T12:00:00.000Z"}`

// testClient sends the tests' raw requests without keeping connections
// alive: parallel tests start and close many fakes, a closed fake's port can
// be reused by the next one, and a pooled connection to the old server would
// fail a request now and then.
var testClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// callNoT is call for setup functions without a *testing.T.
func callNoT(f *Fake, method, path string) (int, string, error) {
	req, err := http.NewRequest(method, f.URL()+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := testClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
