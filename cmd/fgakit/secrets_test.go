package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestCheckOutputHoldsNoKeyPiece: a server that echoes the Authorization
// header — cut anywhere by the client's echo limits, split by whitespace,
// in a body, a code or a request ID — never gets a piece of 8 or more bytes
// of the API key into fgakit check's output, plain or --json.
func TestCheckOutputHoldsNoKeyPiece(t *testing.T) {
	t.Parallel()
	echo := "Bearer " + secretKey
	var bodies []string
	for cut := 0; cut <= len(secretKey); cut += 5 {
		for _, pad := range []string{"x", " "} {
			for _, at := range []int{100, 200, 400, 800} {
				b := strings.Repeat(pad, at-len("Bearer ")-cut) + echo + " more"
				bodies = append(bodies, b, `{"message":"`+b+`"}`, `{"code":"`+b+`"}`)
			}
		}
		bodies = append(bodies, secretKey[:cut]+"\n"+secretKey[cut:])
	}
	for _, body := range bodies {
		for _, status := range []int{401, 403} { // not retried: one request each
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-ID", r.Header.Get("Authorization"))
				w.WriteHeader(status)
				io.WriteString(w, body)
			}))
			env := map[string]string{"WORKOS_API_KEY": secretKey, "WORKOS_BASE_URL": srv.URL}
			for _, extra := range [][]string{nil, {"--json"}} {
				args := append([]string{"check", "--permission", "p", "--resource-id", "r", "--membership", "om_1", "--timeout", "2s"}, extra...)
				r := runCLI(t, env, "", args...)
				if r.code != exitError {
					t.Errorf("exit %d, want %d", r.code, exitError)
				}
				for i := 0; i+8 <= len(secretKey); i++ {
					if p := secretKey[i : i+8]; strings.Contains(r.stdout+r.stderr, p) {
						t.Fatalf("output holds %q of the key:\nstdout %s\nstderr %s", p, r.stdout, r.stderr)
					}
				}
			}
			srv.Close()
		}
	}
}

// TestMintFollowsNoRedirect: token mint sends WORKOS_API_KEY to the
// server it is given only: a 3xx to another port of the same host (which
// net/http would follow with the Authorization header) receives nothing,
// and the token it offers is not printed.
func TestMintFollowsNoRedirect(t *testing.T) {
	t.Parallel()
	for _, status := range []int{301, 302, 303, 307, 308} {
		var reached atomic.Int32
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reached.Add(1)
			io.WriteString(w, `{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}`)
		}))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path, status)
		}))
		env := map[string]string{"WORKOS_API_KEY": secretKey, "WORKOS_BASE_URL": srv.URL}
		r := runCLI(t, env, "", "token", "mint", "--membership", "om_1")
		if r.code != exitError || r.stdout != "" || reached.Load() != 0 {
			t.Errorf("%d: exit %d, stdout %q, redirect target reached %d times; want exit %d, nothing printed, not reached",
				status, r.code, r.stdout, reached.Load(), exitError)
		}
		srv.Close()
		other.Close()
	}
}
