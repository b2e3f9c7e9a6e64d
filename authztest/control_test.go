package authztest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestControlFaultThenAPICall: a fault injected over HTTP answers the next
// matching API call, once (or as many times as asked), and DELETE clears it.
func TestControlFaultThenAPICall(t *testing.T) {
	t.Parallel()
	const check = "/authorization/organization_memberships/om_alice/check"
	const body = `{"permission_slug":"project:edit","resource_id":"authz_resource_web"}`
	const allowed = `{"authorized":true}`
	tests := []struct {
		name       string
		fault      string
		wantStatus []int  // the next calls, in order
		wantBody   string // of the first call ("" for malformed)
		wantHeader string // Retry-After of the first call
		clear      bool   // DELETE /_fake/faults after the first call
	}{
		{"429 with retry_after", `{"status":429,"retry_after":"0"}`, []int{429, 200}, `{"code":"rate_limit_exceeded","message":"Too many requests."}`, "0", false},
		{"500 twice", `{"status":500,"times":2}`, []int{500, 500, 200}, `{"message":"Internal Server Error"}`, "", false},
		{"custom body by path and method", `{"path":"/authorization/organization_memberships/","method":"post","status":503,"body":"{\"message\":\"down\"}"}`, []int{503, 200}, `{"message":"down"}`, "", false},
		{"other path does not match", `{"path":"/authorization/resources","status":500}`, []int{200}, allowed, "", false},
		{"malformed", `{"malformed":true}`, []int{200, 200}, "", "", false},
		{"latency only", `{"delay_ms":1}`, []int{200}, allowed, "", false},
		{"retry_after beyond int64", `{"status":429,"retry_after":"99999999999999999999"}`, []int{429, 200}, `{"code":"rate_limit_exceeded","message":"Too many requests."}`, "99999999999999999999", false},
		{"forever until cleared", `{"status":502,"times":-1}`, []int{502, 200}, `{"message":"Bad Gateway"}`, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t)
			status, got, _ := call(t, f, "POST", "/_fake/faults", tc.fault)
			if status != http.StatusNoContent || got != "" {
				t.Fatalf("POST /_fake/faults = %d %q, want 204 and no body", status, got)
			}
			var statuses []int
			for i := range tc.wantStatus {
				status, got, resp := call(t, f, "POST", check, body)
				statuses = append(statuses, status)
				if i > 0 {
					continue
				}
				switch {
				case tc.fault == `{"malformed":true}`:
					if got != `{"authorized": tr` {
						t.Errorf("malformed body = %q", got)
					}
				default:
					equalJSON(t, got, tc.wantBody)
				}
				if h := resp.Header.Get("Retry-After"); h != tc.wantHeader {
					t.Errorf("Retry-After = %q, want %q", h, tc.wantHeader)
				}
				if tc.clear {
					if status, got, _ := call(t, f, "DELETE", "/_fake/faults", ""); status != http.StatusNoContent || got != "" {
						t.Fatalf("DELETE /_fake/faults = %d %q, want 204", status, got)
					}
				}
			}
			if d := cmp.Diff(tc.wantStatus, statuses); d != "" {
				t.Errorf("statuses of the next calls (-want +got):\n%s", d)
			}
			if got := len(f.Calls()); got != len(tc.wantStatus) {
				t.Errorf("%d calls logged, want %d (control requests are not calls)", got, len(tc.wantStatus))
			}
		})
	}
}

// TestControlFaultErrors: a bad fault is refused with 422 naming the field,
// and nothing is injected.
func TestControlFaultErrors(t *testing.T) {
	t.Parallel()
	const path = "/_fake/faults"
	known := "known fields: path, method, times, status, body, retry_after, delay_ms, drop, malformed"
	const timesRule = `{"message":"times must be -1 (every request until DELETE /_fake/faults) or a count from 1 to 1000000 (0 or absent means 1)"}`
	runWire(t, []wireCase{
		{"not an object", "POST", path, `[1]`, 400, `{"code":"bad_request","message":"the request body must be a JSON object"}`},
		{"empty", "POST", path, `{}`, 422, `{"message":"a fault needs status, drop, malformed or delay_ms"}`},
		{"unknown key", "POST", path, `{"status":500,"retryAfter":"1"}`, 422, `{"message":"unknown field \"retryAfter\"; ` + known + `"}`},
		{"two unknown keys name the first in order", "POST", path, `{"zz":1,"Status":500}`, 422, `{"message":"unknown field \"Status\"; ` + known + `"}`},
		{"status not a number", "POST", path, `{"status":"500"}`, 422, `{"message":"status must be a whole number"}`},
		{"status out of range", "POST", path, `{"status":600}`, 422, `{"message":"status must be an HTTP status code from 200 to 599"}`},
		{"status too low", "POST", path, `{"status":99}`, 422, `{"message":"status must be an HTTP status code from 200 to 599"}`},
		{"times fractional", "POST", path, `{"status":500,"times":1.5}`, 422, `{"message":"times must be a whole number"}`},
		{"times below -1", "POST", path, `{"status":500,"times":-2}`, 422, timesRule},
		{"times above the cap", "POST", path, `{"status":500,"times":1000001}`, 422, timesRule},
		{"times max int64", "POST", path, `{"status":500,"times":9223372036854775807}`, 422, timesRule},
		{"times beyond int64", "POST", path, `{"status":500,"times":9223372036854775808}`, 422, `{"message":"times must be a whole number"}`},
		{"times min int64", "POST", path, `{"status":500,"times":-9223372036854775808}`, 422, timesRule},
		{"status max int64", "POST", path, `{"status":9223372036854775807}`, 422, `{"message":"status must be an HTTP status code from 200 to 599"}`},
		{"status wraps to 500 in 32 bits", "POST", path, `{"status":4294967796}`, 422, `{"message":"status must be an HTTP status code from 200 to 599"}`},
		{"status zero", "POST", path, `{"status":0,"drop":true}`, 422, `{"message":"status must be an HTTP status code from 200 to 599"}`},
		{"status exponent", "POST", path, `{"status":5e2}`, 422, `{"message":"status must be a whole number"}`},
		{"path not a string", "POST", path, `{"status":500,"path":3}`, 422, `{"message":"path must be a string"}`},
		{"path relative", "POST", path, `{"status":500,"path":"authorization/"}`, 422, `{"message":"path must start with /, e.g. \"/authorization/\" (empty matches every API path)"}`},
		{"method unknown", "POST", path, `{"status":500,"method":"FETCH"}`, 422, `{"message":"method must be one of GET, POST, PUT, PATCH, DELETE (empty matches any)"}`},
		{"retry_after not seconds", "POST", path, `{"status":429,"retry_after":"soon"}`, 422, `{"message":"retry_after must be a whole number of seconds or an HTTP date, e.g. \"1\" or \"Wed, 21 Oct 2026 07:28:00 GMT\""}`},
		{"retry_after negative", "POST", path, `{"status":429,"retry_after":"-1"}`, 422, `{"message":"retry_after must be a whole number of seconds or an HTTP date, e.g. \"1\" or \"Wed, 21 Oct 2026 07:28:00 GMT\""}`},
		{"retry_after of 31 digits", "POST", path, `{"status":429,"retry_after":"` + strings.Repeat("9", 31) + `"}`, 422, `{"message":"retry_after must be a whole number of seconds or an HTTP date, e.g. \"1\" or \"Wed, 21 Oct 2026 07:28:00 GMT\""}`},
		{"retry_after with a sign", "POST", path, `{"status":429,"retry_after":"+5"}`, 422, `{"message":"retry_after must be a whole number of seconds or an HTTP date, e.g. \"1\" or \"Wed, 21 Oct 2026 07:28:00 GMT\""}`},
		{"retry_after a number", "POST", path, `{"status":429,"retry_after":1}`, 422, `{"message":"retry_after must be a string"}`},
		{"retry_after without status", "POST", path, `{"drop":true,"retry_after":"1"}`, 422, `{"message":"retry_after needs status"}`},
		{"body without status", "POST", path, `{"delay_ms":5,"body":"x"}`, 422, `{"message":"body needs status or malformed"}`},
		{"delay_ms negative", "POST", path, `{"delay_ms":-1}`, 422, `{"message":"delay_ms must be from 0 to 60000"}`},
		{"delay_ms too long", "POST", path, `{"delay_ms":60001}`, 422, `{"message":"delay_ms must be from 0 to 60000"}`},
		// 9223372036854775807 ms as a Duration wraps to -1 ms: the range is
		// checked before the conversion.
		{"delay_ms max int64", "POST", path, `{"delay_ms":9223372036854775807}`, 422, `{"message":"delay_ms must be from 0 to 60000"}`},
		{"delay_ms wraps to 1 ms in ns", "POST", path, `{"delay_ms":18446744073710}`, 422, `{"message":"delay_ms must be from 0 to 60000"}`},
		{"delay_ms min int64", "POST", path, `{"delay_ms":-9223372036854775808}`, 422, `{"message":"delay_ms must be from 0 to 60000"}`},
		{"delay_ms beyond int64", "POST", path, `{"delay_ms":1e30}`, 422, `{"message":"delay_ms must be a whole number"}`},
		{"delay_ms fractional", "POST", path, `{"delay_ms":0.5}`, 422, `{"message":"delay_ms must be a whole number"}`},
		{"drop not a bool", "POST", path, `{"drop":"yes"}`, 422, `{"message":"drop must be true or false"}`},
		{"malformed not a bool", "POST", path, `{"malformed":1}`, 422, `{"message":"malformed must be true or false"}`},
		{"status and drop", "POST", path, `{"status":500,"drop":true}`, 422, `{"message":"status, drop and malformed exclude each other: give one"}`},
		{"wrong method", "GET", path, ``, 405, `{"message":"Method GET is not allowed on '/_fake/faults'; allowed: POST, DELETE."}`},
	}, nil)

	// A refused fault injects nothing.
	f := newTestFake(t)
	if status, _, _ := call(t, f, "POST", path, `{"status":500,"times":-1,"bogus":true}`); status != 422 {
		t.Fatalf("bad fault: status %d, want 422", status)
	}
	if status, body, _ := call(t, f, "GET", "/authorization/resources/authz_resource_eng", ""); status != 200 {
		t.Errorf("after a refused fault the API answers %d %s, want 200", status, body)
	}
}

func TestControlClock(t *testing.T) {
	t.Parallel()
	const path = "/_fake/clock"
	clockRange := func(what string) string {
		return `{"message":"` + what + ` from 1970-01-01T00:00:00Z to 9998-01-01T00:00:00Z"}`
	}
	runWire(t, []wireCase{
		{"set", "POST", path, `{"set":"2027-03-01T08:30:00Z"}`, 200, `{"now":"2027-03-01T08:30:00Z"}`},
		{"set with an offset is answered in UTC", "POST", path, `{"set":"2027-03-01T10:30:00+02:00"}`, 200, `{"now":"2027-03-01T08:30:00Z"}`},
		{"advance", "POST", path, `{"advance":"10m"}`, 200, `{"now":"2026-01-15T12:10:00Z"}`},
		{"advance backward", "POST", path, `{"advance":"-1h30m"}`, 200, `{"now":"2026-01-15T10:30:00Z"}`},
		{"both", "POST", path, `{"set":"2027-03-01T08:30:00Z","advance":"1m"}`, 422, `{"message":"give exactly one of set (an RFC 3339 time) and advance (a duration such as \"10m\")"}`},
		{"neither", "POST", path, `{}`, 422, `{"message":"give exactly one of set (an RFC 3339 time) and advance (a duration such as \"10m\")"}`},
		{"bad set", "POST", path, `{"set":"2027-03-01 08:30"}`, 422, `{"message":"set must be an RFC 3339 time, e.g. \"2026-01-15T12:00:00Z\""}`},
		{"bad advance", "POST", path, `{"advance":"10 minutes"}`, 422, `{"message":"advance must be a duration such as \"90s\", \"10m\" or \"-1h\""}`},
		{"advance not a string", "POST", path, `{"advance":600}`, 422, `{"message":"advance must be a string"}`},
		{"unknown key", "POST", path, `{"advance":"1m","now":"x"}`, 422, `{"message":"unknown field \"now\"; known fields: set, advance"}`},
		{"set at the earliest", "POST", path, `{"set":"1970-01-01T00:00:00Z"}`, 200, `{"now":"1970-01-01T00:00:00Z"}`},
		{"set at the latest", "POST", path, `{"set":"9998-01-01T00:00:00Z"}`, 200, `{"now":"9998-01-01T00:00:00Z"}`},
		{"set before 1970", "POST", path, `{"set":"1969-12-31T23:59:59Z"}`, 422, clockRange("set must be a time")},
		{"set year 0", "POST", path, `{"set":"0000-01-01T00:00:00Z"}`, 422, clockRange("set must be a time")},
		{"set after the latest", "POST", path, `{"set":"9999-12-31T23:59:59Z"}`, 422, clockRange("set must be a time")},
		{"advance beyond a Duration", "POST", path, `{"advance":"9223372036854775807ms"}`, 422, `{"message":"advance must be a duration such as \"90s\", \"10m\" or \"-1h\""}`},
		{"advance before 1970", "POST", path, `{"advance":"-500000h"}`, 422, clockRange("advance must keep the clock")},
		{"advance the longest Duration", "POST", path, `{"advance":"2562047h"}`, 200, `{"now":"2318-04-27T11:00:00Z"}`},
	}, nil)

	// The bounds hold over a sequence of moves too, on a frozen clock and
	// on a running one (whose offset from the wall clock must not wrap),
	// and a refused move leaves the clock where it was.
	for _, tc := range []struct {
		name  string
		opts  []Option
		moves []string
		want  []int
	}{
		{"frozen clock up to the latest", []Option{WithClock(epoch)},
			[]string{`{"set":"9997-12-31T23:00:00Z"}`, `{"advance":"1h"}`, `{"advance":"1ns"}`, `{"advance":"-1ns"}`},
			[]int{200, 200, 422, 200}},
		{"running clock whose offset would wrap", nil,
			[]string{`{"advance":"2562047h"}`, `{"advance":"2562047h"}`, `{"advance":"-1h"}`},
			[]int{200, 422, 200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := New(t, tc.opts...)
			var got []int
			for _, m := range tc.moves {
				before := f.Now()
				status, body, _ := call(t, f, "POST", path, m)
				got = append(got, status)
				if status != 200 && f.Now().Sub(before) > time.Minute {
					t.Errorf("refused %s (%s) moved the clock from %v to %v", m, body, before, f.Now())
				}
				if now := f.Now(); now.Before(minClock) || now.After(maxClock.Add(time.Minute)) {
					t.Errorf("after %s the clock is %v, outside the range", m, now)
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("statuses (-want +got):\n%s", d)
			}
		})
	}

	// The clock moved over HTTP is the fake's clock: session tokens and
	// timestamps follow it.
	f := newTestFake(t)
	call(t, f, "POST", path, `{"advance":"2h"}`)
	if got, want := f.Now(), epoch.Add(2*time.Hour); !got.Equal(want) {
		t.Errorf("Now() after advance = %v, want %v", got, want)
	}
}

// TestControlAPIKey: with WithAPIKey the control endpoints demand the key;
// POST /_fake/access_tokens stays public.
func TestControlAPIKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, body string
		withKey, withoutKey      int
	}{
		{"inject a fault", "POST", "/_fake/faults", `{"status":500}`, 204, 401},
		{"clear faults", "DELETE", "/_fake/faults", ``, 204, 401},
		{"move the clock", "POST", "/_fake/clock", `{"advance":"1m"}`, 200, 401},
		{"mint a token", "POST", "/_fake/access_tokens", `{"organization_membership_id":"om_alice"}`, 200, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFake(t, WithAPIKey("sk_secret"))
			req, err := http.NewRequestWithContext(t.Context(), tc.method, f.URL()+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer sk_wrong")
			resp, err := testClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.withoutKey {
				t.Errorf("wrong key: status %d, want %d", resp.StatusCode, tc.withoutKey)
			}
			if !f.Now().Equal(epoch) {
				t.Errorf("a refused request moved the clock to %v", f.Now())
			}
			if status, body, _ := call(t, f, "GET", "/authorization/resources/authz_resource_eng", ""); status != 200 {
				t.Errorf("after a refused control request the API answers %d %s", status, body)
			}
			if status, body, _ := call(t, f, tc.method, tc.path, tc.body); status != tc.withKey {
				t.Errorf("with the key: %d %s, want %d", status, body, tc.withKey)
			}
		})
	}
}

// TestControlFaultsAreBounded: POST /_fake/faults keeps at most
// maxPendingFaults waiting (each may carry a body of a MiB); one more is
// 422 until DELETE /_fake/faults clears them.
func TestControlFaultsAreBounded(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	post := func() (int, string) {
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, httptest.NewRequest("POST", "/_fake/faults", strings.NewReader(`{"status":500,"times":-1,"path":"/nowhere"}`)))
		return rec.Code, rec.Body.String()
	}
	for i := range maxPendingFaults {
		if status, body := post(); status != http.StatusNoContent {
			t.Fatalf("fault %d: %d %s", i+1, status, body)
		}
	}
	status, body := post()
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("fault %d: %d %s, want 422", maxPendingFaults+1, status, body)
	}
	equalJSON(t, body, `{"message":"1000 faults are already waiting; DELETE /_fake/faults clears them"}`)
	if status, _, _ := call(t, f, "DELETE", "/_fake/faults", ""); status != http.StatusNoContent {
		t.Fatalf("DELETE: %d", status)
	}
	if status, body := post(); status != http.StatusNoContent {
		t.Errorf("after DELETE: %d %s, want 204", status, body)
	}
}
