package authztest

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fgakit/fgakit/authz"
)

// connDeadline bounds every wait of the server tests: a server that keeps a
// connection open this long has not applied its limit.
const connDeadline = 10 * time.Second

// TestServerLimits: a client that is slow to send its headers or its body,
// that keeps a connection idle, or that sends oversized headers is cut off
// by the limits of the fake's server, under New and NewServer. The limits
// here are short; the defaults are seconds.
func TestServerLimits(t *testing.T) {
	t.Parallel()
	short := ServerLimits{
		ReadHeaderTimeout: 100 * time.Millisecond,
		ReadTimeout:       300 * time.Millisecond,
		IdleTimeout:       100 * time.Millisecond,
		MaxHeaderBytes:    1 << 10,
	}
	tests := []struct {
		name   string
		server bool // NewServer instead of New
		send   string
		// wantStatus is the status line the fake answers with before it
		// closes the connection ("" for none).
		wantStatus string
	}{
		{"one header line, then silence", false, "GET /authorization/resources HTTP/1.1\r\nHost: fake\r\n", ""},
		{"one header line, then silence (NewServer)", true, "GET /authorization/resources HTTP/1.1\r\nHost: fake\r\n", ""},
		{"half a request line", false, "GET /authoriz", "HTTP/1.1 400 "},
		{"a body that never comes", false, "POST /authorization/resources HTTP/1.1\r\nHost: fake\r\nContent-Length: 100\r\n\r\n{\"name\":", "HTTP/1.1 400 "},
		{"an idle kept-alive connection", false, "GET /sso/jwks/client_test HTTP/1.1\r\nHost: fake\r\n\r\n", "HTTP/1.1 200 "},
		{"oversized headers", false, "GET /authorization/resources HTTP/1.1\r\nHost: fake\r\nX-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n", "HTTP/1.1 431 "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var f *Fake
			if tc.server {
				var err error
				if f, err = NewServer("127.0.0.1:0", WithServerLimits(short)); err != nil {
					t.Fatal(err)
				}
				defer f.Close()
			} else {
				f = New(t, WithServerLimits(short))
			}
			conn, err := net.Dial("tcp", strings.TrimPrefix(f.URL(), "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.send); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(connDeadline))
			got, err := io.ReadAll(conn) // until the fake closes the connection
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the fake held the connection for %v (read %q)", connDeadline, got)
			}
			status, _, _ := strings.Cut(string(got), "\r\n")
			if tc.wantStatus == "" && len(got) > 0 || !strings.HasPrefix(status+" ", tc.wantStatus) {
				t.Errorf("answer %q, want status line %q", status, tc.wantStatus)
			}
		})
	}
}

// TestServerLimitsDefaults: without WithServerLimits the fake's server has
// DefaultServerLimits, and a zero field of WithServerLimits keeps its
// default.
func TestServerLimitsDefaults(t *testing.T) {
	t.Parallel()
	limits := func(f *Fake) ServerLimits {
		c := f.srv.Config
		return ServerLimits{c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout, c.MaxHeaderBytes}
	}
	if d := cmp.Diff(DefaultServerLimits(), limits(New(t))); d != "" {
		t.Errorf("default limits (-want +got):\n%s", d)
	}
	want := DefaultServerLimits()
	want.IdleTimeout = time.Second
	if d := cmp.Diff(want, limits(New(t, WithServerLimits(ServerLimits{IdleTimeout: time.Second})))); d != "" {
		t.Errorf("one limit changed (-want +got):\n%s", d)
	}
	if d := DefaultServerLimits(); d.ReadHeaderTimeout <= 0 || d.ReadTimeout <= 0 || d.IdleTimeout <= 0 || d.MaxHeaderBytes <= 0 || d.WriteTimeout <= maxFaultDelay {
		t.Errorf("DefaultServerLimits() = %+v: every limit must be set, the write timeout longer than an injected delay", d)
	}
}

// TestChecksProceedWhileMinting: a token minted over HTTP is signed outside
// the lock checks take: with a mint held inside signing, a check, a JWKS
// fetch and a setup call complete; the mint completes once released.
func TestChecksProceedWhileMinting(t *testing.T) {
	t.Parallel()
	f := newTestFake(t)
	entered, release := make(chan struct{}), make(chan struct{})
	f.mu.Lock()
	f.signHook = func() {
		entered <- struct{}{}
		<-release
	}
	f.mu.Unlock()
	minted := make(chan int, 1)
	go func() {
		status, _, err := postNoT(f, "/_fake/access_tokens", `{"organization_membership_id":"om_alice"}`)
		if err != nil {
			status = -1
		}
		minted <- status
	}()
	select {
	case <-entered:
	case <-time.After(connDeadline):
		t.Fatal("the mint never reached signing")
	}

	ctx, cancel := context.WithTimeout(t.Context(), connDeadline)
	defer cancel()
	d, err := f.Client(authz.WithRetry(authz.RetryPolicy{})).API().Check(ctx, "om_alice", "project:edit", authz.ResourceID("authz_resource_web"))
	if err != nil || !d.Allowed {
		t.Errorf("check while a mint is signing: %+v, %v; want allowed", d, err)
	}
	if status, body, _ := call(t, f, "GET", "/sso/jwks/client_test", ""); status != 200 {
		t.Errorf("JWKS while a mint is signing: %d %s", status, body)
	}
	f.AddResource(Resource{ExternalID: "ops", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})

	close(release)
	select {
	case status := <-minted:
		if status != 200 {
			t.Errorf("the held mint answered %d, want 200", status)
		}
	case <-time.After(connDeadline):
		t.Fatal("the released mint never answered")
	}
}

// postNoT posts body to path without a *testing.T (for goroutines).
func postNoT(f *Fake, path, body string) (int, string, error) {
	resp, err := testClient.Post(f.URL()+path, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
