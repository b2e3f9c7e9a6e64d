package authz

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fgakit/fgakit/token"
)

// closingServer is an HTTP/1.1 server that keeps connections alive but
// closes a connection, without answering, when its closeOn-th request
// arrives — what a client sees when it sends on a pooled connection the
// server closed while it was idle. Its goroutines stop on t's cleanup.
type closingServer struct {
	ln       net.Listener
	closeOn  int
	requests atomic.Int64 // every request read, dropped ones included
	dropped  atomic.Int64
	mu       sync.Mutex
	conns    map[net.Conn]bool
	wg       sync.WaitGroup
}

func newClosingServer(tb testing.TB, closeOn int) *closingServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &closingServer{ln: ln, closeOn: closeOn, conns: map[net.Conn]bool{}}
	s.wg.Go(s.accept)
	tb.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *closingServer) URL() string { return "http://" + s.ln.Addr().String() }

func (s *closingServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Go(func() { s.serve(c) })
	}
}

func (s *closingServer) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	const answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 19\r\n\r\n{\"authorized\":true}"
	for n := 1; ; n++ {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		s.requests.Add(1)
		if n == s.closeOn {
			s.dropped.Add(1)
			return
		}
		if _, err := io.WriteString(c, answer); err != nil {
			return
		}
	}
}

// TestDeadKeepAliveConnectionResentAtOnce: against a server that closes
// every connection on its second request, each call after the first lands
// on a dead pooled connection. A request safe to send twice (a check, a
// read, a create with an Idempotency-Key) is sent again at once — with an
// hour of backoff, a real retry would pass the deadline — without counting
// against the retry budget, and with retries off too: the resend is no
// retry. A write without an Idempotency-Key is not resent: with retries off
// it fails.
func TestDeadKeepAliveConnectionResentAtOnce(t *testing.T) {
	t.Parallel()
	slow := RetryPolicy{MaxRetries: 3, MinBackoff: time.Hour, MaxBackoff: time.Hour, MaxRetryAfter: time.Minute}
	check := func(ctx context.Context, c *Client) error {
		d, err := c.API().Check(ctx, "om_1", "p", ResourceID("r"), Fresh())
		if err == nil && !d.Allowed {
			return errors.New("denied")
		}
		return err
	}
	send := func(req request) func(ctx context.Context, c *Client) error {
		return func(ctx context.Context, c *Client) error { return c.do(ctx, req, nil) }
	}
	off := WithRetry(RetryPolicy{})
	tests := []struct {
		name    string
		opts    []Option
		call    func(ctx context.Context, c *Client) error
		wantErr bool // for every other call after the first (on a fresh connection, the next one passes)
		// byNetHTTP: net/http resends it itself, unseen by the observer
		// (fgakit resends what it does not: checks).
		byNetHTTP bool
	}{
		{"retries on", []Option{WithRetry(slow)}, check, false, false},
		{"a spent retry budget does not matter", []Option{WithRetry(slow), WithRetryBudget(RetryBudget{MaxTokens: 1})}, check, false, false},
		{"retries off: resent all the same", []Option{off}, check, false, false},
		{"retries off: a read is resent", []Option{off}, send(request{method: "GET", path: "/x"}), false, true},
		{"retries off: a create with an Idempotency-Key is resent", []Option{off}, send(request{method: "POST", path: "/x", body: map[string]string{}, idempotent: true}), false, true},
		{"retries off: a POST without Idempotency-Key is not", []Option{off}, send(request{method: "POST", path: "/user_management/sessions/revoke", body: map[string]string{}}), true, false},
		{"retries off: a DELETE is not", []Option{off}, send(request{method: "DELETE", path: "/x"}), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newClosingServer(t, 2)
			var mu sync.Mutex
			var attempts []string
			obs := WithObserver(func(a Attempt) {
				mu.Lock()
				attempts = append(attempts, fmt.Sprintf("%d:%d", a.Attempt, a.StatusCode))
				mu.Unlock()
			})
			c, err := New(testKey, append([]Option{WithBaseURL(srv.URL()), obs}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			const calls = 6
			for i := range calls {
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				err := tt.call(ctx, c)
				cancel()
				switch {
				case i%2 == 1 && tt.wantErr:
					if !errors.Is(err, ErrUnavailable) {
						t.Fatalf("call %d = %v; want ErrUnavailable", i, err)
					}
				case err != nil:
					t.Fatalf("call %d = %v; want success", i, err)
				}
			}
			want := int64(1 + 2*(calls-1)) // one resend per dead connection
			if tt.wantErr {
				want = calls // each sent once
			}
			if got := srv.requests.Load(); got != want {
				t.Errorf("server read %d requests, want %d", got, want)
			}
			if !tt.wantErr && !tt.byNetHTTP {
				mu.Lock()
				if got := strings.Join(attempts[:3], " "); got != "1:200 1:0 2:200" {
					t.Errorf("attempts %q, want the dead connection's attempt then its resend", got)
				}
				mu.Unlock()
			}
		})
	}
}

// TestRetryBudget: during a permanent 503, a Client retries until its
// budget is half spent, then sends one request per call; answers earn
// retries back. Off, every call retries per its policy.
func TestRetryBudget(t *testing.T) {
	t.Parallel()
	type step struct {
		status       int
		wantAttempts int
	}
	tests := []struct {
		name   string
		budget *RetryBudget // nil: the default
		steps  []step
	}{
		{"small budget", &RetryBudget{MaxTokens: 10, TokenRatio: 0.1}, []step{{503, 4}, {503, 1}, {503, 1}, {429, 1}, {200, 1}}},
		{"answers refill", &RetryBudget{MaxTokens: 10, TokenRatio: 1}, []step{{503, 4}, {503, 1}, {200, 1}, {404, 1}, {503, 2}, {503, 1}}},
		{"default budget: a dozen outage calls", nil, []step{{503, 4}, {503, 4}, {503, 4}, {503, 4}, {503, 4}, {503, 4}, {503, 4}, {503, 4}, {503, 4}, {503, 4}, {503, 4}, {503, 4}, {503, 2}, {503, 1}, {503, 1}}},
		{"off", &RetryBudget{}, []step{{503, 4}, {503, 4}, {503, 4}, {503, 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := []Option{}
			if tt.budget != nil {
				opts = append(opts, WithRetryBudget(*tt.budget))
			}
			c, mux := setup(t, opts...)
			var status, n atomic.Int32
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.WriteHeader(int(status.Load()))
				io.WriteString(w, `{"authorized":true}`)
			})
			for i, s := range tt.steps {
				status.Store(int32(s.status))
				n.Store(0)
				d, err := c.API().Check(t.Context(), "om_1", "p", ResourceID("r"), Fresh())
				if got := int(n.Load()); got != s.wantAttempts {
					t.Errorf("step %d (%d): %d attempts, want %d", i, s.status, got, s.wantAttempts)
				}
				// 200 allows; 404 denies (not found) without an error; the rest fail.
				if (err == nil) != (s.status == 200 || s.status == 404) || d.Allowed != (s.status == 200) {
					t.Errorf("step %d (%d): %+v, %v", i, s.status, d, err)
				}
				if s.wantAttempts == 1 && s.status >= 500 && !strings.Contains(fmt.Sprint(err), "retry budget is spent") {
					t.Errorf("step %d: error %q does not say the budget is spent", i, err)
				}
			}
		})
	}
	for _, b := range []RetryBudget{{MaxTokens: -1}, {MaxTokens: 1, TokenRatio: -1}, {MaxTokens: 1, TokenRatio: 2}} {
		if _, err := New(testKey, WithRetryBudget(b)); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("WithRetryBudget(%+v) = %v, want ErrInvalidInput", b, err)
		}
	}
}

// TestFailedListingDoesNotFanOut: when the discovery listing of a batch
// fails because the API cannot answer, or rejects the API key (401, which
// every per-item check would meet too), every item fails with its error and
// no per-item check is sent; after another 4xx the items are checked one by
// one.
func TestFailedListingDoesNotFanOut(t *testing.T) {
	t.Parallel()
	claims := &token.Claims{OrganizationID: "org_1", OrganizationMembershipID: "om_1"}
	tests := []struct {
		name          string
		listing       int
		wantListings  int
		wantChecks    int
		wantSentinel  error
		wantFailures  int
		wantAllowedOf int
	}{
		{"503", 503, 4, 0, ErrServer, 100, 0},
		{"429", 429, 4, 0, ErrRateLimited, 100, 0},
		{"401", 401, 1, 0, ErrUnauthorized, 100, 0},
		{"403: per-item checks", 403, 1, 100, nil, 0, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			var listings, checks atomic.Int32
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/check") {
					checks.Add(1)
					io.WriteString(w, `{"authorized":true}`)
					return
				}
				listings.Add(1)
				w.WriteHeader(tt.listing)
			})
			items := make([]string, 100)
			for i := range items {
				items[i] = fmt.Sprintf("r%d", i)
			}
			got, err := Filter(t.Context(), c, claims, "project:view", items, func(s string) ResourceRef { return ResourceID(s) }, ChildrenOf(ResourceID("parent")))
			if int(listings.Load()) != tt.wantListings || int(checks.Load()) != tt.wantChecks {
				t.Errorf("%d listing requests and %d checks, want %d and %d", listings.Load(), checks.Load(), tt.wantListings, tt.wantChecks)
			}
			if len(got) != tt.wantAllowedOf {
				t.Errorf("%d items allowed, want %d", len(got), tt.wantAllowedOf)
			}
			var be *BatchError
			if tt.wantFailures == 0 {
				if err != nil {
					t.Errorf("err = %v", err)
				}
				return
			}
			if !errors.As(err, &be) || len(be.Failures) != tt.wantFailures || !errors.Is(err, tt.wantSentinel) {
				t.Errorf("err = %v, want a BatchError of %d items matching %v", err, tt.wantFailures, tt.wantSentinel)
			}
		})
	}
}
