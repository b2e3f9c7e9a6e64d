package authztest

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sendKeyed sends one request with an Idempotency-Key (none when key is
// "") and returns the status and body.
func sendKeyed(t *testing.T, f *Fake, method, path, body, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.APIKey())
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
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
	return resp.StatusCode, string(b)
}

// orgRoleCount counts the custom roles of org_acme.
func orgRoleCount(t *testing.T, f *Fake) int {
	t.Helper()
	status, body, _ := call(t, f, "GET", "/authorization/organizations/org_acme/roles", "")
	if status != 200 {
		t.Fatalf("list roles: %d %s", status, body)
	}
	var out struct {
		Data []struct{ Slug string }
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range out.Data {
		if strings.HasPrefix(r.Slug, "org-") {
			n++
		}
	}
	return n
}

// TestIdempotencyKeyConcurrent: 50 keys, each sent by 4 concurrent
// requests that create a custom role without a slug (each application
// would make another role): every key applies once, and every request with
// a key gets that one answer. Run with -race.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	t.Parallel()
	const keys, senders = 50, 4
	f := newTestFake(t)
	before := orgRoleCount(t, f)
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
		got   = map[string][]string{} // key → "status body" of each request
	)
	for k := range keys {
		key := fmt.Sprintf("retry-%02d", k)
		body := fmt.Sprintf(`{"name":"Role %d","resource_type_slug":"organization"}`, k)
		for range senders {
			wg.Go(func() {
				<-start
				status, resp := sendKeyed(t, f, "POST", "/authorization/organizations/org_acme/roles", body, key)
				mu.Lock()
				got[key] = append(got[key], fmt.Sprintf("%d %s", status, resp))
				mu.Unlock()
			})
		}
	}
	close(start)
	wg.Wait()
	if n := orgRoleCount(t, f) - before; n != keys {
		t.Errorf("%d roles created by %d keys, want %d", n, keys, keys)
	}
	for key, answers := range got {
		if !strings.HasPrefix(answers[0], "201 ") {
			t.Errorf("key %s: answer %s, want 201", key, answers[0])
		}
		for _, a := range answers[1:] {
			if a != answers[0] {
				t.Errorf("key %s: answers differ:\n%s\n%s", key, answers[0], a)
			}
		}
	}
}

// TestIdempotencyKeyBelongsToOneRequest: a key answers the same request
// (method, path, body) the same again without applying it twice; another
// request with the key is 422 and changes nothing; a request that did not
// succeed leaves the key free; keys expire after 24 h on the fake's clock;
// a check is never answered from a key.
func TestIdempotencyKeyBelongsToOneRequest(t *testing.T) {
	t.Parallel()
	const (
		roles   = "/authorization/organizations/org_acme/roles"
		roleA   = `{"name":"Alpha","resource_type_slug":"organization"}`
		roleB   = `{"name":"Beta","resource_type_slug":"organization"}`
		reused  = `{"message":"this Idempotency-Key belongs to another request (method, path or body differ); send a new key with a new request"}`
		check   = "/authorization/organization_memberships/om_alice/check"
		editWeb = `{"permission_slug":"project:edit","resource_id":"authz_resource_web"}`
		editCRM = `{"permission_slug":"project:edit","resource_id":"authz_resource_crm"}`
	)
	// step is one request; status is its expected status; body, when set,
	// its expected JSON; same, when >= 0, that its body equals the body of
	// step number same.
	type step struct {
		method, path, body, key string
		advance                 time.Duration // the fake's clock moves first
		unassign                bool          // Alice's workspace-admin on eng is revoked first
		status                  int
		want                    string
		same                    int
	}
	tests := []struct {
		name      string
		steps     []step
		wantRoles int // custom roles created
	}{
		{"same request replayed", []step{
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: -1},
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: 0},
		}, 1},
		{"another body is 422 and applies nothing", []step{
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: -1},
			{method: "POST", path: roles, body: roleB, key: "k1", status: 422, want: reused, same: -1},
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: 0},
		}, 1},
		{"the same JSON spelt differently is another body", []step{
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: -1},
			{method: "POST", path: roles, body: " " + roleA, key: "k1", status: 422, want: reused, same: -1},
		}, 1},
		{"another path is 422", []step{
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: -1},
			{method: "POST", path: "/authorization/roles", body: `{"slug":"alpha","name":"Alpha","resource_type_slug":"organization"}`, key: "k1", status: 422, want: reused, same: -1},
		}, 1},
		{"a new key applies again", []step{
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: -1},
			{method: "POST", path: roles, body: roleA, key: "k2", status: 201, same: -1},
		}, 2},
		{"a failed request leaves the key free", []step{
			{method: "POST", path: roles, body: `{"name":"Alpha","resource_type_slug":"nope"}`, key: "k1", status: 404, same: -1},
			{method: "POST", path: roles, body: roleB, key: "k1", status: 201, same: -1},
		}, 1},
		{"still remembered just before 24 h", []step{
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: -1},
			{method: "POST", path: roles, body: roleA, key: "k1", advance: 24*time.Hour - time.Millisecond, status: 201, same: 0},
			{method: "POST", path: roles, body: roleB, key: "k1", status: 422, want: reused, same: -1},
		}, 1},
		{"expired after 24 h on the fake's clock", []step{
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: -1},
			{method: "POST", path: roles, body: roleB, key: "k1", advance: 24 * time.Hour, status: 201, same: -1},
		}, 2},
		{"a check is answered anew after a revocation", []step{
			{method: "POST", path: check, body: editWeb, key: "k1", status: 200, want: `{"authorized":true}`, same: -1},
			{method: "POST", path: check, body: editWeb, key: "k1", unassign: true, status: 200, want: `{"authorized":false}`, same: -1},
		}, 0},
		{"a check with another body under the same key answers its own body", []step{
			{method: "POST", path: check, body: editWeb, key: "k1", status: 200, want: `{"authorized":true}`, same: -1},
			{method: "POST", path: check, body: editCRM, key: "k1", status: 200, want: `{"authorized":false}`, same: -1},
		}, 0},
		{"a check does not take a key a write holds", []step{
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: -1},
			{method: "POST", path: check, body: editWeb, key: "k1", status: 200, want: `{"authorized":true}`, same: -1},
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: 0},
		}, 1},
		{"a write does not take a key a check used", []step{
			{method: "POST", path: check, body: editWeb, key: "k1", status: 200, want: `{"authorized":true}`, same: -1},
			{method: "POST", path: roles, body: roleA, key: "k1", status: 201, same: -1},
		}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			before := orgRoleCount(t, f)
			var bodies []string
			for i, s := range tc.steps {
				f.Advance(s.advance)
				if s.unassign {
					f.Unassign("role_assignment_alice_eng")
				}
				status, body := sendKeyed(t, f, s.method, s.path, s.body, s.key)
				bodies = append(bodies, body)
				if status != s.status {
					t.Errorf("step %d: %s %s: %d %s, want %d", i, s.method, s.path, status, body, s.status)
				}
				if s.want != "" {
					equalJSON(t, body, s.want)
				}
				if s.same >= 0 && body != bodies[s.same] {
					t.Errorf("step %d: answer %s, want the answer of step %d: %s", i, body, s.same, bodies[s.same])
				}
			}
			if n := orgRoleCount(t, f) - before; n != tc.wantRoles {
				t.Errorf("%d roles created, want %d", n, tc.wantRoles)
			}
		})
	}
}

// TestIdempotencyKeyReusedFitsTheOperation: a key reused for another
// request is refused with a status and body the operation declares for
// input it refuses — never a code its error schema lacks — and applies
// nothing.
func TestIdempotencyKeyReusedFitsTheOperation(t *testing.T) {
	t.Parallel()
	const msg = `"this Idempotency-Key belongs to another request (method, path or body differ); send a new key with a new request"`
	tests := []struct {
		name       string
		path, a, b string
		status     int
		want       string
	}{
		{"permission create: 422 message only", "/authorization/permissions",
			`{"slug":"a:b","name":"A"}`, `{"slug":"c:d","name":"C"}`, 422, `{"message":` + msg + `}`},
		{"assign: 422 message only", "/authorization/organization_memberships/om_bob/role_assignments",
			`{"role_slug":"workspace-admin","resource_id":"authz_resource_eng"}`, `{"role_slug":"workspace-admin","resource_id":"authz_resource_sales"}`,
			422, `{"message":` + msg + `}`},
		{"group create: 422 message only", "/organizations/org_acme/groups", `{"name":"A"}`, `{"name":"B"}`, 422, `{"message":` + msg + `}`},
		{"membership create: 422 invalid_request_parameters", "/user_management/organization_memberships",
			`{"user_id":"user_x","organization_id":"org_acme"}`, `{"user_id":"user_y","organization_id":"org_acme"}`,
			422, `{"code":"invalid_request_parameters","message":` + msg + `}`},
		{"webhook endpoint create: 422 invalid_request_parameters with errors", "/webhook_endpoints",
			`{"endpoint_url":"https://a.example/hook","events":["role.created"]}`, `{"endpoint_url":"https://b.example/hook","events":["role.created"]}`,
			422, `{"code":"invalid_request_parameters","message":"Validation failed.","errors":[{"code":"idempotency_key_reused","message":` + msg + `}]}`},
		{"session revocation: 400 message only (no 422 declared)", "/user_management/sessions/revoke",
			`{"session_id":"SID_A"}`, `{"session_id":"SID_B"}`, 400, `{"message":` + msg + `}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			a, b := tc.a, tc.b
			if strings.Contains(tc.path, "revoke") {
				for _, sid := range []string{"SID_A", "SID_B"} {
					claims, err := f.Verifier().Verify(t.Context(), f.Session("om_alice"))
					if err != nil {
						t.Fatal(err)
					}
					a, b = strings.Replace(a, sid, claims.SessionID, 1), strings.Replace(b, sid, claims.SessionID, 1)
				}
			}
			if status, body := sendKeyed(t, f, "POST", tc.path, a, "k1"); status/100 != 2 {
				t.Fatalf("first request: %d %s", status, body)
			}
			before := len(f.Events())
			status, body := sendKeyed(t, f, "POST", tc.path, b, "k1")
			if status != tc.status {
				t.Errorf("reuse: status %d, want %d", status, tc.status)
			}
			equalJSON(t, body, tc.want)
			if n := len(f.Events()); n != before {
				t.Errorf("the refused reuse emitted %d events", n-before)
			}
		})
	}
}

// TestIdempotencyKeysAreBounded: the fake remembers at most
// maxIdempotencyKeys keys (here a cap of 50; the oldest finished one goes
// first), a failing keyed request evicts none, and the order kept for that
// stays within twice the remembered keys however many keyed requests fail.
func TestIdempotencyKeysAreBounded(t *testing.T) {
	t.Parallel()
	f, err := newFake(nil, []Option{WithClock(epoch)})
	if err != nil {
		t.Fatal(err)
	}
	f.AddOrganization("org_1", "One")
	const limit = 50
	f.idempotentCap = limit
	send := func(key, body string) int {
		req := httptest.NewRequest("POST", "/authorization/organizations/org_1/roles", strings.NewReader(body))
		req.Header.Set("Idempotency-Key", key)
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range limit + 10 {
		if s := send(fmt.Sprint("ok-", i), fmt.Sprintf(`{"name":"R %d","resource_type_slug":"organization"}`, i)); s != 201 {
			t.Fatalf("request %d: %d", i, s)
		}
	}
	for i := range 1000 { // failing requests: their keys are forgotten at once
		if s := send(fmt.Sprint("bad-", i), `{"name":"R","resource_type_slug":"nope"}`); s != 404 {
			t.Fatalf("failing request %d: %d", i, s)
		}
	}
	f.mu.Lock()
	n, order := len(f.idempotent), len(f.idempotentOrder)
	_, oldest := f.idempotent[sha256.Sum256([]byte("ok-0"))]
	_, newest := f.idempotent[sha256.Sum256(fmt.Append(nil, "ok-", limit+9))]
	f.mu.Unlock()
	if d := cmp.Diff([]any{limit, false, true}, []any{n, oldest, newest}); d != "" {
		t.Errorf("keys remembered, oldest kept, newest kept (-want +got):\n%s", d)
	}
	if order > 2*n {
		t.Errorf("the key order holds %d entries for %d keys", order, n)
	}
}
