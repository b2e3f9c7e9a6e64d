package authztest

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCallLogIsBounded: the log keeps the most recent calls up to its size
// and each body up to its limit (marked truncated), keeps method, path,
// query, status and request ID of every call it keeps, and never keeps a
// request's large buffer alive — rejected requests (wrong API key) included.
func TestCallLogIsBounded(t *testing.T) {
	t.Parallel()
	type sent struct {
		path, body string
		key        bool // with the right API key
	}
	// logged is what a test asserts on: every field but the request ID.
	type logged struct {
		Method, Path, Query string
		Body                string
		BodyTruncated       bool
		Status              int
	}
	big := strings.Repeat("x", 1<<20) // 1 MiB, the largest body the fake reads
	tests := []struct {
		name string
		opts []Option
		send []sent
		want []logged
	}{
		{"the most recent calls, bodies cut", []Option{WithCallLog(3, 8)}, []sent{
			{"/authorization/resources/authz_resource_1?n=1", "", true},
			{"/authorization/resources/authz_resource_2?n=2", `{"a":1}`, true},
			{"/authorization/resources/authz_resource_3?n=3", `{"abc":"defgh"}`, true},
			{"/authorization/resources/authz_resource_4?n=4", `12345678`, false},
			{"/authorization/resources/authz_resource_5?n=5", `123456789`, false},
		}, []logged{
			{"GET", "/authorization/resources/authz_resource_3", "n=3", `{"abc":"`, true, 404},
			{"GET", "/authorization/resources/authz_resource_4", "n=4", `12345678`, false, 401},
			{"GET", "/authorization/resources/authz_resource_5", "n=5", `12345678`, true, 401},
		}},
		{"no log", []Option{WithCallLog(0, 0)}, []sent{
			{"/authorization/resources/authz_resource_1", "x", true},
		}, nil},
		{"calls without bodies", []Option{WithCallLog(2, 0)}, []sent{
			{"/authorization/resources/authz_resource_1", "x", true},
			{"/authorization/resources/authz_resource_2", "", false},
		}, []logged{
			{"GET", "/authorization/resources/authz_resource_1", "", "", true, 404},
			{"GET", "/authorization/resources/authz_resource_2", "", "", false, 401},
		}},
		{"default: a MiB body is kept to 4 KiB, refused or not", nil, []sent{
			{"/authorization/resources/authz_resource_1", big, false},
			{"/authorization/resources/authz_resource_1", big, true},
		}, []logged{
			{"GET", "/authorization/resources/authz_resource_1", "", big[:DefaultCallBodyLimit], true, 401},
			{"GET", "/authorization/resources/authz_resource_1", "", big[:DefaultCallBodyLimit], true, 404},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := newFake(nil, append([]Option{WithClock(epoch), WithAPIKey("sk_test_right")}, tc.opts...))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.send {
				req := httptest.NewRequest("GET", s.path, strings.NewReader(s.body))
				if s.key {
					req.Header.Set("Authorization", "Bearer sk_test_right")
				}
				f.ServeHTTP(httptest.NewRecorder(), req)
			}
			var got []logged
			for _, c := range f.Calls() {
				got = append(got, logged{c.Method, c.Path, c.Query, string(c.Body), c.BodyTruncated, c.Status})
				if c.RequestID == "" {
					t.Errorf("call %s without a request ID", c.Path)
				}
				if cap(c.Body) > DefaultCallBodyLimit {
					t.Errorf("call %s keeps a body buffer of %d bytes", c.Path, cap(c.Body))
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
		})
	}
}

// TestCallLogBoundUnderLoad: 200 requests of 1 MiB with a wrong key (the
// reported case: the log grew to 260 MB) leave a log of at most
// DefaultCallBodyLimit bytes per call, and a log of size n keeps exactly
// the last n of many calls, in order, also after ResetCalls.
func TestCallLogBoundUnderLoad(t *testing.T) {
	t.Parallel()
	f, err := newFake(nil, []Option{WithAPIKey("sk_test_right"), WithCallLog(50, DefaultCallBodyLimit)})
	if err != nil {
		t.Fatal(err)
	}
	send := func(i int, body string) {
		req := httptest.NewRequest("POST", fmt.Sprintf("/authorization/resources?i=%d", i), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sk_test_wrong")
		f.ServeHTTP(httptest.NewRecorder(), req)
	}
	big := strings.Repeat("y", 1<<20)
	for i := range 200 {
		send(i, big)
	}
	total := 0
	var queries []string
	for _, c := range f.Calls() {
		total += cap(c.Body)
		queries = append(queries, c.Query)
	}
	if total > 50*DefaultCallBodyLimit {
		t.Errorf("the log holds %d bytes of bodies, want at most %d", total, 50*DefaultCallBodyLimit)
	}
	var want []string
	for i := 150; i < 200; i++ {
		want = append(want, fmt.Sprintf("i=%d", i))
	}
	if d := cmp.Diff(want, queries); d != "" {
		t.Errorf("calls kept (-want +got):\n%s", d)
	}
	f.ResetCalls()
	send(1000, "")
	send(1001, "")
	queries = nil
	for _, c := range f.Calls() {
		queries = append(queries, c.Query)
	}
	if d := cmp.Diff([]string{"i=1000", "i=1001"}, queries); d != "" {
		t.Errorf("calls after ResetCalls (-want +got):\n%s", d)
	}
}

func TestWithCallLogNegative(t *testing.T) {
	t.Parallel()
	for _, o := range []Option{WithCallLog(-1, 10), WithCallLog(10, -1)} {
		if _, err := newFake(nil, []Option{o}); err == nil || !strings.Contains(err.Error(), "must not be negative") {
			t.Errorf("error %v, want one saying the bound must not be negative", err)
		}
	}
}

// TestCallLogBoundsURLs: the server lets a request line of up to its
// header limit (64 KiB) through, and the log keeps every call's path and
// query: a long one is cut at callURLLimit and copied, so 10,000 requests
// with a 60 KiB query (a wrong key is enough) do not hold 600 MB.
func TestCallLogBoundsURLs(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("q", 60<<10)
	tests := []struct {
		name string
		key  bool
	}{
		{"refused for its key", false},
		{"with the key", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := newFake(nil, []Option{WithClock(epoch), WithAPIKey("sk_test_right")})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/authorization/resources/"+long+"?x="+long, nil)
			if tc.key {
				req.Header.Set("Authorization", "Bearer sk_test_right")
			}
			f.ServeHTTP(httptest.NewRecorder(), req)
			calls := f.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d calls logged, want 1", len(calls))
			}
			c := calls[0]
			if len(c.Path) > callURLLimit || len(c.Query) > callURLLimit {
				t.Errorf("logged path of %d bytes and query of %d bytes, want at most %d each", len(c.Path), len(c.Query), callURLLimit)
			}
			if want := "/authorization/resources/qqq"; !strings.HasPrefix(c.Path, want) {
				t.Errorf("path %.40q…, want it to start with %q", c.Path, want)
			}
			if want := "x=qqq"; !strings.HasPrefix(c.Query, want) {
				t.Errorf("query %.40q…, want it to start with %q", c.Query, want)
			}
		})
	}
}
