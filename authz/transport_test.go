package authz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fgakit/fgakit/token"
	"github.com/google/go-cmp/cmp"
)

// testKey is the API key of every test client; tests assert it never shows
// up in an error.
const testKey = "sk_test_S3CRET_never_print_me"

// basePath mounts the test server under a path prefix, so a client that
// drops the base URL's path fails the tests (go-github habit).
const basePath = "/api-v1"

// fastRetry keeps retry tests in the millisecond range.
var fastRetry = RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxRetryAfter: time.Minute}

// setup starts a test server whose API paths are served by mux and returns
// a client pointed at it (with fastRetry, then opts).
func setup(t *testing.T, opts ...Option) (*Client, *http.ServeMux) {
	t.Helper()
	mux := http.NewServeMux()
	root := http.NewServeMux()
	root.Handle(basePath+"/", http.StripPrefix(basePath, mux))
	srv := httptest.NewServer(root)
	t.Cleanup(srv.Close)
	c, err := New(testKey, append([]Option{WithBaseURL(srv.URL + basePath), WithRetry(fastRetry)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, mux
}

// assertNoKey fails the test if err's text holds the API key.
func assertNoKey(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testKey) {
		t.Errorf("error text contains the API key: %q", err.Error())
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		opts []Option
	}{
		{"empty key", "", nil},
		{"key with newline", testKey + "\nX-Evil: 1", nil},
		{"key with space", "sk_test abc", nil},
		{"nil option", testKey, []Option{nil}},
		{"base URL not a URL", testKey, []Option{WithBaseURL("::")}},
		{"base URL scheme", testKey, []Option{WithBaseURL("ftp://api.workos.com")}},
		{"base URL no host", testKey, []Option{WithBaseURL("http://")}},
		{"base URL user info", testKey, []Option{WithBaseURL("https://user:" + testKey + "@api.workos.com")}},
		{"base URL query", testKey, []Option{WithBaseURL("https://api.workos.com/?x=1")}},
		{"base URL fragment", testKey, []Option{WithBaseURL("https://api.workos.com/#x")}},
		{"nil http client", testKey, []Option{WithHTTPClient(nil)}},
		{"negative retries", testKey, []Option{WithRetry(RetryPolicy{MaxRetries: -1})}},
		{"negative backoff", testKey, []Option{WithRetry(RetryPolicy{MinBackoff: -1})}},
		{"max backoff below min", testKey, []Option{WithRetry(RetryPolicy{MinBackoff: time.Second, MaxBackoff: time.Millisecond})}},
		{"zero call timeout", testKey, []Option{WithCallTimeout(0)}},
		{"nil observer", testKey, []Option{WithObserver(nil)}},
		{"empty user agent", testKey, []Option{WithUserAgent("")}},
		{"user agent with CRLF", testKey, []Option{WithUserAgent("app\r\nX: y")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.key, tt.opts...)
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("New() = %v, %v; want ErrInvalidInput", c, err)
			}
			if c != nil {
				t.Errorf("New returned a client with an error")
			}
			assertNoKey(t, err)
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	c, err := New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.cfg.baseURL != DefaultBaseURL {
		t.Errorf("base URL = %q, want %q", c.cfg.baseURL, DefaultBaseURL)
	}
	if diff := cmp.Diff(DefaultRetryPolicy(), c.cfg.retry); diff != "" {
		t.Errorf("retry policy (-want +got):\n%s", diff)
	}
}

func TestRequestHeadersAndBody(t *testing.T) {
	t.Parallel()
	type seen struct {
		Method, Path, Query, Auth, UA, ContentType, Accept, Body string
		HasIdemKey                                               bool
	}
	tests := []struct {
		name string
		req  request
		want seen
	}{
		{
			name: "GET with query, no body",
			req:  request{method: http.MethodGet, path: "/authorization/resources/authz%2Fres%201", query: map[string][]string{"limit": {"100"}, "order": {"desc"}}},
			want: seen{Method: "GET", Path: "/authorization/resources/authz%2Fres%201", Query: "limit=100&order=desc", Auth: "Bearer " + testKey, UA: "fgakit/" + version, Accept: "application/json"},
		},
		{
			name: "POST with JSON body",
			req:  request{method: http.MethodPost, path: "/authorization/roles", body: map[string]string{"slug": "admin"}},
			want: seen{Method: "POST", Path: "/authorization/roles", Auth: "Bearer " + testKey, UA: "fgakit/" + version, ContentType: "application/json", Accept: "application/json", Body: `{"slug":"admin"}`},
		},
		{
			name: "idempotent POST carries a key",
			req:  request{method: http.MethodPost, path: "/authorization/resources", body: struct{}{}, idempotent: true},
			want: seen{Method: "POST", Path: "/authorization/resources", Auth: "Bearer " + testKey, UA: "fgakit/" + version, ContentType: "application/json", Accept: "application/json", Body: `{}`, HasIdemKey: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			var got seen
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got = seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("User-Agent"),
					r.Header.Get("Content-Type"), r.Header.Get("Accept"), string(b), strings.HasPrefix(r.Header.Get("Idempotency-Key"), "fgakit-")}
				w.WriteHeader(http.StatusNoContent)
			})
			if err := c.do(t.Context(), tt.req, nil); err != nil {
				t.Fatalf("do: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUserAgentOption(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithUserAgent("myapp/1.2"))
	var ua string
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { ua = r.Header.Get("User-Agent") })
	if err := c.do(t.Context(), request{method: "GET", path: "/x"}, nil); err != nil {
		t.Fatal(err)
	}
	if want := "myapp/1.2 fgakit/" + version; ua != want {
		t.Errorf("User-Agent = %q, want %q", ua, want)
	}
}

func TestAPIErrorMapping(t *testing.T) {
	t.Parallel()
	sentinels := []error{ErrBadRequest, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrValidation, ErrRateLimited, ErrServer}
	long := strings.Repeat("x", 300)
	tests := []struct {
		name     string
		status   int
		header   map[string]string
		body     string
		sentinel error
		want     APIError
	}{
		{"400 code and message", 400, nil, `{"code":"bad_request","message":"Bad parameters."}`, ErrBadRequest,
			APIError{StatusCode: 400, Code: "bad_request", Message: "Bad parameters.", RequestID: "req_1"}},
		{"401 empty body", 401, nil, ``, ErrUnauthorized,
			APIError{StatusCode: 401, Message: "Unauthorized", RequestID: "req_1"}},
		{"403 message only", 403, nil, `{"message":"Forbidden for this key"}`, ErrForbidden,
			APIError{StatusCode: 403, Message: "Forbidden for this key", RequestID: "req_1"}},
		{"404 HTML body", 404, nil, "<html>\n<body>Not   Found</body></html>", ErrNotFound,
			APIError{StatusCode: 404, Message: "<html> <body>Not Found</body></html>", RequestID: "req_1"}},
		{"409 conflict", 409, nil, `{"code":"resource_has_dependents","message":"Resource has children."}`, ErrConflict,
			APIError{StatusCode: 409, Code: "resource_has_dependents", Message: "Resource has children.", RequestID: "req_1"}},
		{"422 field errors", 422, nil, `{"message":"Validation failed.","errors":[{"field":"permission_slug","code":"required"}]}`, ErrValidation,
			APIError{StatusCode: 422, Message: "Validation failed.", RequestID: "req_1", Errors: []FieldError{{Field: "permission_slug", Code: "required"}}}},
		{"422 errors of the wrong type", 422, nil, `{"message":"Validation failed.","errors":"nope"}`, ErrValidation,
			APIError{StatusCode: 422, Message: "Validation failed.", RequestID: "req_1"}},
		{"429 with Retry-After", 429, map[string]string{"Retry-After": "120"}, `{"code":"rate_limit_exceeded","message":"Too many requests."}`, ErrRateLimited,
			APIError{StatusCode: 429, Code: "rate_limit_exceeded", Message: "Too many requests.", RequestID: "req_1", RetryAfter: 120 * time.Second}},
		{"500 empty body", 500, nil, ``, ErrServer,
			APIError{StatusCode: 500, Message: "Internal Server Error", RequestID: "req_1"}},
		{"500 long text truncated", 500, nil, long, ErrServer,
			APIError{StatusCode: 500, Message: long[:200] + "…", RequestID: "req_1"}},
		{"503 JSON null", 503, nil, `null`, ErrServer,
			APIError{StatusCode: 503, Message: "Service Unavailable", RequestID: "req_1"}},
		{"400 oauth style", 400, nil, `{"error":"invalid_grant","error_description":"Bad grant."}`, ErrBadRequest,
			APIError{StatusCode: 400, Code: "invalid_grant", Message: "Bad grant.", RequestID: "req_1"}},
		{"418 other status", 418, nil, `{"message":"teapot"}`, nil,
			APIError{StatusCode: 418, Message: "teapot", RequestID: "req_1"}},
		{"message echoing the key", 400, nil, `{"message":"bad key ` + testKey + `"}`, ErrBadRequest,
			APIError{StatusCode: 400, Message: "bad key [REDACTED]", RequestID: "req_1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t, WithRetry(RetryPolicy{}))
			var calls atomic.Int32
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("X-Request-ID", "req_1")
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			var d Decision
			var err error
			if tt.status == http.StatusNotFound { // a check's 404 is a deny (Decision.NotFound): ask another call
				_, err = c.GetResource(t.Context(), ResourceID("authz_resource_1"))
			} else {
				d, err = c.API().Check(t.Context(), "om_1", "project:edit", ResourceID("authz_resource_1"))
			}
			if d.Allowed {
				t.Errorf("Decision allowed on an error answer")
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if diff := cmp.Diff(tt.want, *ae); diff != "" {
				t.Errorf("APIError (-want +got):\n%s", diff)
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == tt.sentinel; got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
				}
			}
			if errors.Is(err, listError{"x"}) { // a non-comparable target must not panic
				t.Errorf("errors.Is(err, listError) = true")
			}
			assertNoKey(t, err)
			if n := calls.Load(); n != 1 {
				t.Errorf("server saw %d calls, want 1 (retries off)", n)
			}
		})
	}
}

// listError is an error of a non-comparable type.
type listError []string

func (e listError) Error() string { return strings.Join(e, "; ") }

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	const maxDur = time.Duration(1<<63 - 1)
	tests := []struct {
		name, header string
		want         time.Duration
		ok           bool // false: ignored, as if absent
	}{
		{"empty", "", 0, false},
		{"seconds", "7", 7 * time.Second, true},
		{"zero: retry at once", "0", 0, true},
		{"leading zeros", "007", 7 * time.Second, true},
		{"spaces", " 3 ", 3 * time.Second, true},
		{"negative", "-1", 0, false},
		{"plus sign", "+5", 0, false},
		{"fraction", "1.5", 0, false},
		{"garbage", "soon", 0, false},
		{"digits and garbage", "12abc", 0, false},
		{"HTTP date ahead", now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{"HTTP date now", now.Format(http.TimeFormat), 0, true},
		{"HTTP date past: retry at once", now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"RFC 850 date", now.Add(2 * time.Minute).Format("Monday, 02-Jan-06 15:04:05 GMT"), 2 * time.Minute, true},
		{"ANSI C date", now.Add(time.Hour).Format(time.ANSIC), time.Hour, true},
		{"date far ahead", "Fri, 31 Dec 9999 23:59:59 GMT", maxDur, true},
		{"date with a bad zone", "Thu, 26 Nov 2026 12:00:30 CET", 0, false},
		{"overflowing seconds", "99999999999999999999", maxDur, true},
		{"seconds past a Duration", "9999999999999", maxDur, true},
		{"largest uint64", "18446744073709551615", maxDur, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseRetryAfter(tt.header, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestRetryAfterLimits: a Retry-After beyond MaxRetryAfter (overflowing
// ones included) is "longer than we will wait": one attempt, ErrRateLimited
// with RetryAfter over the cap. Retry-After: 0 (or a past date) retries at
// once, even with an hour of backoff.
func TestRetryAfterLimits(t *testing.T) {
	t.Parallel()
	slow := RetryPolicy{MaxRetries: 3, MinBackoff: time.Hour, MaxBackoff: time.Hour, MaxRetryAfter: time.Minute}
	tests := []struct {
		name       string
		retryAfter string
		wantCalls  int
		wantErr    bool
	}{
		{"overflowing seconds", "99999999999999999999", 1, true},
		{"over the cap", "61", 1, true},
		{"date far ahead", "Fri, 31 Dec 9999 23:59:59 GMT", 1, true},
		{"zero", "0", 2, false},
		{"past date", "Mon, 01 Jan 2001 00:00:00 GMT", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t, WithRetry(slow))
			seq := &statusSequence{statuses: []int{429, 200}, headers: map[string]string{"Retry-After": tt.retryAfter}}
			mux.Handle("/", seq)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // an hour of backoff would pass it at once
			defer cancel()
			d, err := c.API().Check(ctx, "om_1", "p", ResourceID("r"))
			if n := seq.attempts(); n != tt.wantCalls {
				t.Errorf("attempts = %d, want %d", n, tt.wantCalls)
			}
			if !tt.wantErr {
				if err != nil || !d.Allowed {
					t.Fatalf("Check = %+v, %v; want allowed after an immediate retry", d, err)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) || !errors.Is(err, ErrRateLimited) || ae.RetryAfter <= slow.MaxRetryAfter || d.Allowed {
				t.Fatalf("Check = %+v, %v; want ErrRateLimited with RetryAfter over %s", d, err, slow.MaxRetryAfter)
			}
			if !strings.Contains(err.Error(), "longer than MaxRetryAfter") {
				t.Errorf("error %q does not say why it was not retried", err)
			}
		})
	}
}

// statusSequence answers the given statuses in turn (the last one repeats)
// and counts the attempts; it records each Idempotency-Key.
type statusSequence struct {
	mu       sync.Mutex
	statuses []int
	headers  map[string]string
	body     string
	n        int
	keys     []string
}

func (s *statusSequence) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st := s.statuses[min(s.n, len(s.statuses)-1)]
	s.n++
	s.keys = append(s.keys, r.Header.Get("Idempotency-Key"))
	s.mu.Unlock()
	for k, v := range s.headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(st)
	if st == 200 {
		io.WriteString(w, `{"authorized":true}`)
	} else {
		io.WriteString(w, s.body)
	}
}

func (s *statusSequence) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		statuses     []int
		headers      map[string]string
		policy       RetryPolicy
		wantAttempts int
		wantErr      error // nil: success
	}{
		{"503 then 502 then 200", []int{503, 502, 200}, nil, fastRetry, 3, nil},
		{"408 then 200", []int{408, 200}, nil, fastRetry, 2, nil},
		{"429 Retry-After 0 then 200", []int{429, 200}, map[string]string{"Retry-After": "0"}, fastRetry, 2, nil},
		{"500 until retries run out", []int{500}, nil, fastRetry, 4, ErrServer},
		{"retries off", []int{500}, nil, RetryPolicy{}, 1, ErrServer},
		{"400 is not retried", []int{400, 200}, nil, fastRetry, 1, ErrBadRequest},
		{"404 is not retried", []int{404, 200}, nil, fastRetry, 1, ErrNotFound},
		{"501 is not retried", []int{501, 200}, nil, fastRetry, 1, ErrServer},
		{"503 Retry-After HTTP date in the past then 200", []int{503, 200}, map[string]string{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, fastRetry, 2, nil},
		{"503 Retry-After HTTP date beyond the cap", []int{503, 200}, map[string]string{"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"}, fastRetry, 1, ErrServer},
		{"Retry-After above the cap is not waited for", []int{429, 200}, map[string]string{"Retry-After": "5"},
			RetryPolicy{MaxRetries: 3, MaxRetryAfter: time.Second}, 1, ErrRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var observed []Attempt
			var mu sync.Mutex
			c, mux := setup(t, WithRetry(tt.policy), WithObserver(func(a Attempt) {
				mu.Lock()
				defer mu.Unlock()
				a.Duration, a.Err, a.BaseURL = 0, nil, "" // the base URL is the test server's
				observed = append(observed, a)
			}))
			seq := &statusSequence{statuses: tt.statuses, headers: tt.headers}
			mux.Handle("/", seq)
			err := c.do(t.Context(), request{method: http.MethodPost, path: "/authorization/resources", body: struct{}{}, idempotent: true}, nil)
			if tt.wantErr == nil && err != nil || !errors.Is(err, tt.wantErr) {
				t.Fatalf("do() = %v, want %v", err, tt.wantErr)
			}
			if got := seq.attempts(); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
			// One Idempotency-Key, the same on every retry.
			for _, k := range seq.keys {
				if k != seq.keys[0] || !strings.HasPrefix(k, "fgakit-") || len(k) != len("fgakit-")+32 {
					t.Errorf("Idempotency-Keys = %q, want one fgakit-<32 hex> key repeated", seq.keys)
					break
				}
			}
			var want []Attempt
			for i := range tt.wantAttempts {
				want = append(want, Attempt{Method: "POST", Route: "/authorization/resources", Attempt: i + 1, StatusCode: tt.statuses[min(i, len(tt.statuses)-1)]})
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(want, observed); diff != "" {
				t.Errorf("observed attempts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIdempotencyKeysDifferPerCall(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	seq := &statusSequence{statuses: []int{204}}
	mux.Handle("/", seq)
	for range 2 {
		if err := c.do(t.Context(), request{method: "POST", path: "/r", idempotent: true}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if seq.keys[0] == seq.keys[1] {
		t.Errorf("two calls share the Idempotency-Key %q", seq.keys[0])
	}
}

func TestRetryAfterPastDeadlineStopsAtOnce(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	seq := &statusSequence{statuses: []int{429}, headers: map[string]string{"Retry-After": "30"}, body: `{"code":"rate_limit_exceeded","message":"Too many requests."}`}
	mux.Handle("/", seq)
	// A deadline long enough for the first attempt even on a loaded
	// machine, and far shorter than the 30 s the server asks to wait.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	d, err := c.API().Check(ctx, "om_1", "p", ResourceID("r"))
	if d.Allowed {
		t.Error("allowed on error")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if got := seq.attempts(); got != 1 {
		t.Errorf("attempts = %d, want 1 (a 30 s wait cannot fit in a 5 s deadline)", got)
	}
}

func TestRetriesStopAtCallerDeadline(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithRetry(RetryPolicy{MaxRetries: 1000, MinBackoff: 5 * time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRetryAfter: time.Minute}), WithRetryBudget(RetryBudget{}))
	seq := &statusSequence{statuses: []int{503}}
	mux.Handle("/", seq)
	// Long enough for a first attempt on a loaded machine (the error
	// carries its ErrServer), far shorter than 1000 retries 5 ms apart.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	err := c.do(ctx, request{method: "GET", path: "/x"}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if !errors.Is(err, ErrServer) {
		t.Errorf("err = %v, want it to carry the last attempt's ErrServer", err)
	}
	if n := seq.attempts(); n < 1 || n >= 1000 {
		t.Errorf("attempts = %d, want retries cut short by the deadline", n)
	}
}

func TestCallerCancelStopsRetries(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	var calls atomic.Int32
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		cancel()
		<-r.Context().Done()
	})
	err := c.do(ctx, request{method: "GET", path: "/x"}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNetworkErrorsAreRetriedAndNeverHoldTheKey(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	leaky := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, fmt.Errorf("proxy refused %s with %s", r.URL, r.Header.Get("Authorization"))
	})
	c, err := New(testKey, WithHTTPClient(&http.Client{Transport: leaky}), WithRetry(fastRetry), WithBaseURL("http://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, err := c.API().Check(t.Context(), "om_1", "p", ResourceID("r"))
	if err == nil || d.Allowed {
		t.Fatalf("Check = %+v, %v; want an error, not allowed", d, err)
	}
	assertNoKey(t, err)
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("err = %q, want the redacted transport error", err)
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v; a redacted (cut) network error must still match ErrUnavailable", err)
	}
	if n := calls.Load(); n != 4 {
		t.Errorf("attempts = %d, want 4 (network errors are retried)", n)
	}
}

// TestNetworkFailuresMatchErrUnavailable: every way of getting no HTTP
// answer is ErrUnavailable — a typed "could not decide", never a grant —
// with the network error still in the chain and no key in the text.
func TestNetworkFailuresMatchErrUnavailable(t *testing.T) {
	t.Parallel()
	// hang holds the request until the client gives up (the server notices
	// a gone client only once the body is read).
	hang := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
	tests := []struct {
		name    string
		handler http.Handler // nil: nothing listens
		opts    []Option
		wantNet bool // errors.As finds a *url.Error
		alsoIs  error
	}{
		{name: "connection refused", wantNet: true},
		{name: "connection dropped before the answer", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}), wantNet: true},
		{name: "connection dropped in the body", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"author")
			buf.Flush()
			conn.Close()
		})},
		{name: "attempt timeout of the HTTP client", handler: hang,
			opts: []Option{WithHTTPClient(&http.Client{Timeout: 20 * time.Millisecond})}, wantNet: true},
		{name: "merged call timeout", handler: hang,
			opts: []Option{WithCallTimeout(20 * time.Millisecond)}, alsoIs: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tt.handler)
			if tt.handler == nil {
				srv.Close()
			} else {
				t.Cleanup(srv.Close)
			}
			c, err := New(testKey, append([]Option{WithBaseURL(srv.URL), WithRetry(RetryPolicy{})}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			d, err := c.API().Check(t.Context(), "om_1", "p", ResourceID("r"))
			if d.Allowed || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Check = %+v, %v; want ErrUnavailable", d, err)
			}
			if tt.alsoIs != nil && !errors.Is(err, tt.alsoIs) {
				t.Errorf("err = %v; want it to match %v too", err, tt.alsoIs)
			}
			var ue *url.Error
			if tt.wantNet && !errors.As(err, &ue) {
				t.Errorf("err = %v; want the *url.Error in the chain", err)
			}
			if !strings.Contains(err.Error(), checkRoute) {
				t.Errorf("err = %q; want it to name the route %s", err, checkRoute)
			}
			for _, sentinel := range []error{ErrServer, ErrMalformedResponse, ErrClosed, ErrNotFound} {
				if errors.Is(err, sentinel) {
					t.Errorf("err = %v also matches %v", err, sentinel)
				}
			}
			assertNoKey(t, err)
		})
	}
}

func TestOversizedBodies(t *testing.T) {
	t.Parallel()
	big := `{"authorized":true,"pad":"` + strings.Repeat("a", maxResponseBody) + `"}`
	tests := []struct {
		name   string
		status int
		want   error
	}{
		{"2xx over the cap", 200, ErrResponseTooLarge},
		{"error over the cap", 500, ErrServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t, WithRetry(RetryPolicy{}))
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, big)
			})
			d, err := c.API().Check(t.Context(), "om_1", "p", ResourceID("r"))
			if d.Allowed || !errors.Is(err, tt.want) {
				t.Fatalf("Check = %+v, %v; want not allowed, %v", d, err, tt.want)
			}
			if len(err.Error()) > 500 {
				t.Errorf("error text is %d bytes; the body must not be echoed", len(err.Error()))
			}
		})
	}
}

func TestDecodeIntoOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		wantErr    error
	}{
		{"object", `{"id":"r1"}`, nil},
		{"wrong type", `{"id":5}`, ErrMalformedResponse},
		{"not JSON", `<html>`, ErrMalformedResponse},
		{"empty", ``, ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tt.body) })
			var out struct {
				ID string `json:"id"`
			}
			err := c.do(t.Context(), request{method: "GET", path: "/x"}, &out)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("do() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestDeriveRoute(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"/authorization/organization_memberships/om_1/check":                                  "/authorization/organization_memberships/{om}/check",
		"/authorization/organizations/org_1/resources/project/web%2F1":                        "/authorization/organizations/{organization_id}/resources/{resource_type_slug}/{external_id}",
		"/authorization/organizations/org_1/resources/project/web/role_assignments":           "/authorization/organizations/{organization_id}/resources/{resource_type_slug}/{external_id}/role_assignments",
		"/authorization/roles/admin/permissions":                                              "/authorization/roles/{role_slug}/permissions",
		"/authorization/organizations/org_1/roles/admin/permissions/doc:view":                 "/authorization/organizations/{organization_id}/roles/{role_slug}/permissions/{permission_slug}",
		"/authorization/organization_memberships/om_1/resources/authz_resource_1/permissions": "/authorization/organization_memberships/{om}/resources/{resource_id}/permissions",
		"/authorization/organization_memberships/om_1/resources/project/web/permissions":      "/authorization/organization_memberships/{om}/resources/{resource_type_slug}/{external_id}/permissions",
		"/authorization/resources/authz_resource_1":                                           "/authorization/resources/{resource_id}",
		"/authorization/groups/group_1/role_assignments/gra_1":                                "/authorization/groups/{group_id}/role_assignments/{role_assignment_id}",
		"/sso/jwks/client_1":               "/sso/jwks/{client_id}",
		"/authorization/resources":         "/authorization/resources",
		"/x/a/b/c":                         "/{id}/{id}/{id}/{id}",
		"/user_management/sessions/revoke": "/user_management/sessions/revoke",
		"/user_management/jwt_template":    "/user_management/jwt_template",
		"/user_management/organization_memberships/om_1/deactivate": "/user_management/organization_memberships/{om}/deactivate",
		"/user_management/organization_memberships/om_1/reactivate": "/user_management/organization_memberships/{om}/reactivate",
	}
	for in, want := range tests {
		if got := deriveRoute(in); got != want {
			t.Errorf("deriveRoute(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCallsAfterCloseFail(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { calls.Add(1) })
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := c.do(t.Context(), request{method: "GET", path: "/x"}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("do after Close = %v, want ErrClosed", err)
	}
	d, err := c.API().Check(t.Context(), "om_1", "p", ResourceID("r"))
	if d.Allowed || !errors.Is(err, ErrClosed) {
		t.Errorf("Check after Close = %+v, %v; want ErrClosed", d, err)
	}
	// Also where the token alone would grant the permission.
	claims := &token.Claims{OrganizationID: "org_1", OrganizationMembershipID: "om_1", Permissions: []string{"p"}}
	r := ExternalResource("project", "web")
	if d, err := c.Check(t.Context(), claims, "p", r); d.Allowed || !errors.Is(err, ErrClosed) {
		t.Errorf("Client.Check after Close = %+v, %v; want ErrClosed", d, err)
	}
	if ds, err := c.CheckMany(t.Context(), claims, "p", []ResourceRef{r, ResourceID("r")}); ds[0].Allowed || ds[1].Allowed || !errors.Is(err, ErrClosed) {
		t.Errorf("CheckMany after Close = %+v, %v; want ErrClosed", ds, err)
	}
	if got, err := Filter(t.Context(), c, claims, "p", []ResourceRef{r}, func(r ResourceRef) ResourceRef { return r }); len(got) != 0 || !errors.Is(err, ErrClosed) {
		t.Errorf("Filter after Close = %+v, %v; want ErrClosed", got, err)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("server saw %d calls after Close", n)
	}
}

// TestBackoffTimingInFakeTime runs the default retry policy in a synctest
// bubble (fake time, no sleeps): the waits between attempts follow
// 500 ms × 1.5ⁿ with jitter in [0.5, 1.5), and Retry-After replaces them.
func TestBackoffTimingInFakeTime(t *testing.T) {
	t.Parallel()
	type answer struct {
		status     int
		retryAfter string
	}
	tests := []struct {
		name    string
		answers []answer
		// wantWaits are [min, max) bounds of each wait between attempts.
		wantWaits [][2]time.Duration
	}{
		{"jittered exponential backoff", []answer{{503, ""}, {502, ""}, {500, ""}, {200, ""}}, [][2]time.Duration{
			{375 * time.Millisecond, 1125 * time.Millisecond},   // 500ms×1.5¹
			{562 * time.Millisecond, 1688 * time.Millisecond},   // 500ms×1.5²
			{843 * time.Millisecond, 2532 * time.Millisecond}}}, // 500ms×1.5³
		{"Retry-After seconds", []answer{{429, "2"}, {200, ""}}, [][2]time.Duration{{2 * time.Second, 2*time.Second + 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var times []time.Time
				rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
					a := tt.answers[len(times)]
					times = append(times, time.Now())
					h := http.Header{}
					if a.retryAfter != "" {
						h.Set("Retry-After", a.retryAfter)
					}
					return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(strings.NewReader(`{"authorized":true}`))}, nil
				})
				c, err := New(testKey, WithHTTPClient(&http.Client{Transport: rt}))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := c.do(t.Context(), request{method: "GET", path: "/x"}, nil); err != nil {
					t.Fatalf("do: %v", err)
				}
				if len(times) != len(tt.answers) {
					t.Fatalf("%d attempts, want %d", len(times), len(tt.answers))
				}
				for i, b := range tt.wantWaits {
					if w := times[i+1].Sub(times[i]); w < b[0] || w >= b[1] {
						t.Errorf("wait %d = %v, want in [%v, %v)", i+1, w, b[0], b[1])
					}
				}
			})
		})
	}
}

func TestRetryAfterPastDeadlineInFakeTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var attempts int
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			attempts++
			return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"30"}}, Body: io.NopCloser(strings.NewReader(`{}`))}, nil
		})
		c, err := New(testKey, WithHTTPClient(&http.Client{Transport: rt}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err = c.do(ctx, request{method: "GET", path: "/x"}, nil)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrRateLimited) {
			t.Errorf("err = %v, want DeadlineExceeded and ErrRateLimited", err)
		}
		if attempts != 1 || time.Since(start) != 0 {
			t.Errorf("%d attempts after %v; want 1 attempt and no wait", attempts, time.Since(start))
		}
	})
}
