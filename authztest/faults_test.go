package authztest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	const check = "/authorization/organization_memberships/om_alice/check"
	const body = `{"permission_slug":"project:edit","resource_id":"authz_resource_web"}`
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int
		wantBody   string
		wantHeader string // Retry-After
	}{
		{"status", Fault{Status: 500}, 500, `{"message":"Internal Server Error"}`, ""},
		{"rate limit with Retry-After", Fault{Status: 429, RetryAfter: "2"}, 429, `{"code":"rate_limit_exceeded","message":"Too many requests."}`, "2"},
		{"custom body", Fault{Status: 503, Body: `{"message":"down"}`}, 503, `{"message":"down"}`, ""},
		{"by path", Fault{Path: "/authorization/organization_memberships/", Status: 502}, 502, `{"message":"Bad Gateway"}`, ""},
		{"by method", Fault{Method: "POST", Status: 408}, 408, `{"message":"Request Timeout"}`, ""},
		{"other path does not match", Fault{Path: "/authorization/resources", Status: 500}, 200, `{"authorized":true}`, ""},
		{"other method does not match", Fault{Method: "GET", Status: 500}, 200, `{"authorized":true}`, ""},
		{"latency only", Fault{Delay: time.Millisecond}, 200, `{"authorized":true}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			f.InjectFault(tc.fault)
			status, got, resp := call(t, f, "POST", check, body)
			if status != tc.wantStatus {
				t.Errorf("status = %d, want %d", status, tc.wantStatus)
			}
			equalJSON(t, got, tc.wantBody)
			if h := resp.Header.Get("Retry-After"); h != tc.wantHeader {
				t.Errorf("Retry-After = %q, want %q", h, tc.wantHeader)
			}
			if resp.Header.Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID on a faulted answer")
			}
			// A fault for one call is spent: the next call is normal.
			if status, got, _ := call(t, f, "POST", check, body); status != 200 || got != `{"authorized":true}` {
				t.Errorf("next call: %d %s", status, got)
			}
			calls := f.Calls()
			if len(calls) != 2 || calls[0].Status != tc.wantStatus {
				t.Errorf("calls = %+v", calls)
			}
		})
	}
}

func TestFaultTimes(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.InjectFault(Fault{Status: 503, Times: 2})
	var got []int
	for range 3 {
		s, _, _ := call(t, f, "GET", "/authorization/resources/authz_resource_eng", "")
		got = append(got, s)
	}
	if got[0] != 503 || got[1] != 503 || got[2] != 200 {
		t.Errorf("statuses = %v, want [503 503 200]", got)
	}
	f.InjectFault(Fault{Status: 500, Times: -1})
	for range 3 {
		if s, _, _ := call(t, f, "GET", "/authorization/resources/authz_resource_eng", ""); s != 500 {
			t.Errorf("status = %d under a permanent fault", s)
		}
	}
	f.ClearFaults()
	if s, _, _ := call(t, f, "GET", "/authorization/resources/authz_resource_eng", ""); s != 200 {
		t.Errorf("status = %d after ClearFaults", s)
	}
	f.FailNext(http.StatusInternalServerError)
	if s, _, _ := call(t, f, "GET", "/authorization/resources/authz_resource_eng", ""); s != 500 {
		t.Errorf("FailNext: status = %d", s)
	}
}

func TestFaultMalformed(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.InjectFault(Fault{Malformed: true})
	status, body, _ := call(t, f, "POST", "/authorization/organization_memberships/om_alice/check", `{"permission_slug":"project:edit","resource_id":"authz_resource_web"}`)
	if status != 200 || body != `{"authorized": tr` {
		t.Errorf("got %d %q, want 200 with a truncated body", status, body)
	}
}

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.InjectFault(Fault{Drop: true})
	req, _ := http.NewRequestWithContext(t.Context(), "GET", f.URL()+"/authorization/resources/authz_resource_eng", nil)
	resp, err := testClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want a dropped connection", resp.StatusCode)
	}
	if calls := f.Calls(); len(calls) != 1 || calls[0].Status != 0 {
		t.Errorf("calls = %+v, want one with status 0", calls)
	}
}

func TestFaultDelayHonoursContext(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.InjectFault(Fault{Delay: time.Minute, Status: 500})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.URL()+"/authorization/resources/authz_resource_eng", nil)
	start := time.Now()
	resp, err := testClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the client waited %v", d)
	}
	// Close must not hang on the abandoned delayed request.
}

func TestFaultOnJWKS(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	f.FailNext(500) // API paths only
	if s, _, _ := call(t, f, "GET", "/sso/jwks/client_test", ""); s != 200 {
		t.Errorf("a fault without a path hit the JWKS: %d", s)
	}
	f.ClearFaults()
	f.InjectFault(Fault{Path: "/sso/jwks/", Status: 503})
	if s, _, _ := call(t, f, "GET", "/sso/jwks/client_test", ""); s != 503 {
		t.Errorf("JWKS fault: %d", s)
	}
}

func TestAPIKeyAndCallLog(t *testing.T) {
	t.Parallel()
	f := newTestFake(t, WithAPIKey("sk_secret"))
	if f.APIKey() != "sk_secret" {
		t.Fatalf("APIKey = %q", f.APIKey())
	}
	for _, auth := range []string{"", "Bearer sk_wrong", "sk_secret"} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", f.URL()+"/authorization/resources/authz_resource_eng", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("Authorization %q: status %d", auth, resp.StatusCode)
		}
		equalJSON(t, string(b), `{"message":"Unauthorized"}`)
		if resp.Header.Get("X-Request-ID") == "" {
			t.Error("no X-Request-ID on 401")
		}
	}
	status, _, resp := call(t, f, "POST", "/authorization/organization_memberships/om_alice/check?x=1", `{"permission_slug":"project:edit","resource_id":"authz_resource_web"}`)
	if status != 200 {
		t.Fatalf("with the key: %d", status)
	}
	calls := f.Calls()
	if len(calls) != 4 {
		t.Fatalf("%d calls, want 4", len(calls))
	}
	last := calls[3]
	if last.Method != "POST" || last.Path != "/authorization/organization_memberships/om_alice/check" || last.Query != "x=1" ||
		!strings.Contains(string(last.Body), "project:edit") || last.Status != 200 || last.RequestID != resp.Header.Get("X-Request-ID") {
		t.Errorf("last call = %+v", last)
	}
	if calls[0].Status != 401 {
		t.Errorf("first call status = %d", calls[0].Status)
	}
	f.ResetCalls()
	if len(f.Calls()) != 0 {
		t.Error("ResetCalls left calls")
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	post := func(key string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", f.URL()+"/authorization/resources",
			strings.NewReader(`{"external_id":"ops","name":"Ops","resource_type_slug":"workspace","organization_id":"org_acme"}`))
		req.Header.Set("Idempotency-Key", key)
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	s1, b1 := post("retry-1")
	s2, b2 := post("retry-1")
	if s1 != 201 || s2 != 201 || b1 != b2 {
		t.Errorf("replay: %d %s / %d %s", s1, b1, s2, b2)
	}
	if s3, _ := post("retry-2"); s3 != 409 {
		t.Errorf("a new key applies the request again: %d, want 409 conflict", s3)
	}
}

func TestNewServer(t *testing.T) {
	t.Parallel()
	f, err := NewServer("127.0.0.1:0", WithClientID("client_srv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !strings.HasPrefix(f.URL(), "http://127.0.0.1:") {
		t.Errorf("URL = %q", f.URL())
	}
	if s, _, _ := call(t, f, "GET", "/sso/jwks/client_srv", ""); s != 200 {
		t.Errorf("JWKS: %d", s)
	}
	// Without a testing.TB, misuse of a setup method panics.
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `organization "org_nope" not found`) {
			t.Errorf("recover() = %v", r)
		}
	}()
	f.AddMembership("om_1", "user_1", "org_nope", "")
	t.Error("AddMembership on an unknown organization did not panic")
}

func TestNewServerBadAddress(t *testing.T) {
	t.Parallel()
	if _, err := NewServer("127.0.0.1:notaport"); err == nil {
		t.Error("no error for a bad address")
	}
	if _, err := NewServer("127.0.0.1:0", WithFixture(&Fixture{Roles: []FixtureRole{{Slug: "x", ResourceTypeSlug: "nope"}}})); err == nil ||
		!strings.Contains(err.Error(), `roles[0] (slug "x"): resource type "nope" not found`) {
		t.Errorf("bad fixture: %v", err)
	}
}

// TestWrongMethod: a known path asked with a method it does not serve is
// 405 with an Allow header and a JSON message, not 404; an unknown path is
// still 404.
func TestWrongMethod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path string
		wantStatus   int
		wantAllow    string
	}{
		{"GET", "/_fake/access_tokens", 405, "POST"},
		{"PUT", "/authorization/organization_memberships/om_alice/check", 405, "POST"},
		{"PUT", "/authorization/resources/authz_resource_eng", 405, "GET, PATCH, DELETE"},
		{"DELETE", "/sso/jwks/client_test", 405, "GET"},
		{"GET", "/authorization/nowhere", 404, ""},
		{"POST", "/_fake/nowhere", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			status, body, resp := call(t, f, tc.method, tc.path, "")
			if status != tc.wantStatus || resp.Header.Get("Allow") != tc.wantAllow {
				t.Errorf("status %d, Allow %q; want %d, %q", status, resp.Header.Get("Allow"), tc.wantStatus, tc.wantAllow)
			}
			var e struct{ Message string }
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Message == "" {
				t.Errorf("body %q is not a JSON {message}", body)
			}
		})
	}
}
