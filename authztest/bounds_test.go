package authztest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// sidOf returns the sid claim of a token the fake minted (unverified: the
// test only reads it).
func sidOf(t *testing.T, raw string) string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(raw, claims); err != nil {
		t.Fatal(err)
	}
	sid, _ := claims["sid"].(string)
	return sid
}

// keptSessions returns the IDs of the sessions the fake keeps, sorted.
func keptSessions(f *Fake) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id := range f.sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// TestSessionsForgottenAfterRetention: every minted token opens a session;
// one that expired more than SessionRetention ago is forgotten, so a
// long-running fake does not grow with every token. Revoking a forgotten
// session is no change (200), an ID the fake never issued is 400.
func TestSessionsForgottenAfterRetention(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	var old []string
	for range 20 {
		old = append(old, sidOf(t, f.Session("om_alice"))) // DefaultSessionTTL
	}
	long := sidOf(t, f.Session("om_alice", SessionTTL(3*time.Hour)))
	f.Advance(DefaultSessionTTL + SessionRetention)
	fresh := sidOf(t, f.Session("om_alice"))

	want := []string{fresh, long}
	slices.Sort(want)
	if got := keptSessions(f); !cmp.Equal(got, want) {
		t.Errorf("sessions kept = %v, want %v (expired %v ago: forgotten)", got, want, SessionRetention)
	}
	for _, tc := range []struct {
		name, id string
		status   int
	}{
		{"forgotten", old[0], 200},
		{"kept", long, 200},
		{"never issued", "session_999999", 400},
		{"not a session ID", "session_x1", 400},
	} {
		status, body, _ := call(t, f, "POST", "/user_management/sessions/revoke", fmt.Sprintf(`{"session_id":%q}`, tc.id))
		if status != tc.status {
			t.Errorf("%s: revoking %s = %d %s, want %d", tc.name, tc.id, status, body, tc.status)
		}
	}
	if f.SessionRevoked(old[0]) {
		t.Errorf("SessionRevoked(%s) = true for a forgotten session, want false", old[0])
	}
	if !f.SessionRevoked(long) {
		t.Errorf("SessionRevoked(%s) = false after revoking it, want true", long)
	}
	var revoked []string
	for _, e := range f.Events() {
		if e.Event == "session.revoked" {
			revoked = append(revoked, e.Event)
		}
	}
	if len(revoked) != 1 {
		t.Errorf("%d session.revoked events, want 1 (a forgotten session's revocation changes nothing)", len(revoked))
	}
}

// TestSessionsCapped: beyond the cap, the sessions that expire soonest go
// first, expired or not, so minting tokens with a long expires_in cannot
// grow the fake either.
func TestSessionsCapped(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.mu.Lock()
	f.sessionCap = 3
	f.mu.Unlock()
	var ids []string
	for _, ttl := range []time.Duration{5 * time.Hour, time.Minute, 4 * time.Hour, 2 * time.Minute, 3 * time.Hour} {
		ids = append(ids, sidOf(t, f.Session("om_alice", SessionTTL(ttl))))
	}
	want := []string{ids[0], ids[2], ids[4]} // the three that expire last
	slices.Sort(want)
	if got := keptSessions(f); !cmp.Equal(got, want) {
		t.Errorf("sessions kept = %v, want %v", got, want)
	}
	if n := len(f.sessionOrder); n != 3 {
		t.Errorf("%d sessions in the expiry order, want 3", n)
	}
}

// TestPendingFaultBytesBounded: the waiting faults hold at most
// MaxPendingFaultBytes; beyond it POST /_fake/faults is 422 (before, a
// thousand faults of a MiB each held a gigabyte). Clearing them, or using
// them up, frees the budget.
func TestPendingFaultBytesBounded(t *testing.T) {
	t.Parallel()
	f := New(t)
	body := strings.Repeat("x", 1_000_000)
	fault := fmt.Sprintf(`{"status": 500, "body": %q, "times": 1}`, body)
	accepted := MaxPendingFaultBytes / len(body) // 67
	for i := range accepted {
		if status, resp, _ := call(t, f, "POST", "/_fake/faults", fault); status != 204 {
			t.Fatalf("fault %d: %d %s, want 204 (within the budget)", i+1, status, resp)
		}
	}
	status, resp, _ := call(t, f, "POST", "/_fake/faults", fault)
	if status != 422 || !strings.Contains(resp, "bytes") {
		t.Fatalf("fault %d: %d %.200s, want 422 (past %d bytes)", accepted+1, status, resp, MaxPendingFaultBytes)
	}
	if status, _, _ := call(t, f, "POST", "/_fake/faults", `{"status": 503}`); status != 204 {
		t.Errorf("a small fault within the budget: %d, want 204", status)
	}
	// Using one up frees its bytes.
	if status, _, _ := call(t, f, "GET", "/authorization/permissions", ""); status != 500 {
		t.Fatalf("the first fault answered %d, want 500", status)
	}
	if status, _, _ := call(t, f, "POST", "/_fake/faults", fault); status != 204 {
		t.Errorf("after one fault was used: %d, want 204", status)
	}
	if status, _, _ := call(t, f, "DELETE", "/_fake/faults", ""); status != 204 {
		t.Fatalf("DELETE /_fake/faults: %d", status)
	}
	if status, _, _ := call(t, f, "POST", "/_fake/faults", fault); status != 204 {
		t.Errorf("after DELETE /_fake/faults: %d, want 204", status)
	}
}

// TestWebhookEndpointsCapped: at most MaxWebhookEndpoints endpoints (each
// event is queued once per endpoint); one more is 422
// invalid_request_parameters, and deleting one makes room.
func TestWebhookEndpointsCapped(t *testing.T) {
	t.Parallel()
	f := New(t)
	create := func(i int) (int, string) {
		status, body, _ := call(t, f, "POST", "/webhook_endpoints",
			fmt.Sprintf(`{"endpoint_url": "https://hooks.example.com/%d", "events": ["session.created"]}`, i))
		return status, body
	}
	for i := range MaxWebhookEndpoints {
		if status, body := create(i); status != 201 {
			t.Fatalf("endpoint %d: %d %s, want 201", i+1, status, body)
		}
	}
	status, body := create(MaxWebhookEndpoints)
	if status != 422 {
		t.Fatalf("endpoint %d: %d %s, want 422", MaxWebhookEndpoints+1, status, body)
	}
	equalJSON(t, body, fmt.Sprintf(`{"code": "invalid_request_parameters", "message": "Validation failed.",
		"errors": [{"code": "webhook_endpoint_limit_reached", "message": "at most %d webhook endpoints; delete one first"}]}`, MaxWebhookEndpoints))
	if status, body, _ := call(t, f, "DELETE", "/webhook_endpoints/we_000001", ""); status != 204 {
		t.Fatalf("DELETE: %d %s", status, body)
	}
	if status, body := create(MaxWebhookEndpoints); status != 201 {
		t.Errorf("after deleting one: %d %s, want 201", status, body)
	}
}

// TestIdempotencyKeysHeldAsDigests: the fake keeps up to 10,000
// Idempotency-Keys, and a key may be as long as the header limit (64 KiB):
// kept as they came, they could hold over half a gigabyte. It keeps their
// digests. Not parallel: it measures the heap.
func TestIdempotencyKeysHeldAsDigests(t *testing.T) {
	f := New(t)
	const n, keyLen = 100, 60 << 10
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		key := fmt.Sprintf("%d-%s", i, strings.Repeat("k", keyLen))
		status, body := sendKeyed(t, f, "POST", "/authorization/permissions", fmt.Sprintf(`{"slug": "doc-%d:read", "name": "Read"}`, i), key)
		if status != 201 {
			t.Fatalf("create %d: %d %s", i, status, body)
		}
		if status, _ := sendKeyed(t, f, "POST", "/authorization/permissions", fmt.Sprintf(`{"slug": "doc-%d:read", "name": "Read"}`, i), key); status != 201 {
			t.Fatalf("replay %d: %d, want the remembered 201", i, status)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > n*keyLen/2 {
		t.Errorf("the heap grew by %d bytes for %d keys of %d bytes; want well under %d (keys kept as digests)", grew, n, keyLen, n*keyLen)
	}
}

// TestCallLogKeepsNoRequestLine: a request the fake refuses for want of
// the key is logged with its path and query cut to a few KiB — and its
// method must not keep the whole request line (up to 64 KiB) alive either,
// or a full log of 10,000 such calls holds over half a gigabyte. Not
// parallel: it measures the heap.
func TestCallLogKeepsNoRequestLine(t *testing.T) {
	f := New(t, WithAPIKey("sk_test_bounds"))
	const n, pathLen = 100, 60 << 10
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		req, err := http.NewRequestWithContext(t.Context(), "GET", fmt.Sprintf("%s/authorization/%d/%s", f.URL(), i, strings.Repeat("p", pathLen)), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("request %d without the key: %d, want 401", i, resp.StatusCode)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := len(f.Calls()); got != n {
		t.Fatalf("%d calls logged, want %d", got, n)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > n*pathLen/2 {
		t.Errorf("the heap grew by %d bytes for %d logged calls with %d-byte request lines; want well under %d", grew, n, pathLen, n*pathLen)
	}
}

func TestLogMethod(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"GET", "GET"},
		{"PATCH", "PATCH"},
		{"BREW", "BREW"},
		{strings.Repeat("M", 100), strings.Repeat("M", callMethodLimit)},
	} {
		if got := logMethod(tc.in); got != tc.want {
			t.Errorf("logMethod(%.40q) = %.40q, want %.40q", tc.in, got, tc.want)
		}
	}
}

// TestWebhookQueueBounded: the deliveries waiting at once (first attempts
// and retries, every endpoint together) are bounded; one more is logged as
// not sent instead of queued, and a failed attempt past the bound is not
// retried. Before, an endpoint slower than the events made the queue grow
// without end, holding every event alive.
func TestWebhookQueueBounded(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	t.Cleanup(down.Close)
	f := New(t, WithClock(epoch), WithWebhookRetries(time.Hour))
	f.mu.Lock()
	f.wh.maxQueue = 3
	f.mu.Unlock()
	f.AddWebhook(down.URL, "whsec_test", "permission.created")
	for i := range 5 {
		f.AddPermission(fmt.Sprintf("doc-%d:read", i), "")
	}
	if err := f.DeliverWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.AddPermission("doc-5:read", "")
	if err := f.DeliverWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Event       string
		Attempt     int
		NotSent     bool
		Status      int
		RetryQueued bool
	}
	var got []entry
	for _, d := range f.WebhookDeliveries() {
		got = append(got, entry{d.Event, d.Attempt, strings.HasPrefix(d.Error, "not sent:"), d.Status, !d.NextAttempt.IsZero()})
	}
	want := []entry{
		{"permission.created", 1, true, 0, false}, // the 4th and 5th events: 3 already waiting
		{"permission.created", 1, true, 0, false},
		{"permission.created", 1, false, 500, true}, // the first 3: attempted, retries queued
		{"permission.created", 1, false, 500, true},
		{"permission.created", 1, false, 500, true},
		{"permission.created", 1, true, 0, false}, // the 6th: 3 retries waiting
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	f.mu.Lock()
	n := len(f.wh.queue)
	f.mu.Unlock()
	if n != 3 {
		t.Errorf("%d deliveries waiting, want 3 (the bound)", n)
	}
}
