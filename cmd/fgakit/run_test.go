package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authztest"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// secretKey is the API key every test puts in the environment: no output may
// ever contain it.
const secretKey = "sk_test_cli_secret_never_printed"

// result is what one in-process run of the CLI produced.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line in-process with the given environment.
func runCLI(t *testing.T, environ map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return environ[k] }
	code := run(t.Context(), args, strings.NewReader(stdin), &stdout, &stderr, getenv)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	for _, v := range environ {
		if strings.HasPrefix(v, "sk_") && (strings.Contains(r.stdout, v) || strings.Contains(r.stderr, v)) {
			t.Errorf("fgakit %s printed the API key:\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
		}
	}
	return r
}

// oneLineOn reports whether s is exactly one line (ending in a newline).
func oneLineOn(s string) bool { return strings.Count(s, "\n") == 1 && strings.HasSuffix(s, "\n") }

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyX2FsaWNlIn0.c2lnbmF0dXJl"
	full := map[string]string{
		"WORKOS_API_KEY":   secretKey,
		"WORKOS_CLIENT_ID": "client_demo",
		"WORKOS_BASE_URL":  "http://127.0.0.1:1", // never reached: every case fails before
	}
	noKey := map[string]string{"WORKOS_CLIENT_ID": "client_demo"}
	noClient := map[string]string{"WORKOS_API_KEY": secretKey}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // substring of the single stderr line
	}{
		{"unknown command", full, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"flag before command", full, []string{"--verbose", "check"}, "unknown flag --verbose"},
		{"unknown flag", full, []string{"check", "--bogus", "--permission", "p"}, "flag provided but not defined: -bogus"},
		{"flag without value", full, []string{"check", "--permission"}, "flag needs an argument: -permission"},
		{"missing permission", full, []string{"check", "--resource", "project:web", "--membership", "om_alice"}, "--permission is required"},
		{"both resource flags", full, []string{"check", "--permission", "p", "--resource-id", "authz_resource_web", "--resource", "project:web", "--membership", "om_alice"}, "either --resource-id or --resource, not both"},
		{"no resource", full, []string{"check", "--permission", "p", "--membership", "om_alice"}, "a resource is required"},
		{"bad resource", full, []string{"check", "--permission", "p", "--resource", "web", "--membership", "om_alice"}, `--resource "web" is not TYPE:EXTERNAL_ID`},
		{"both subjects", full, []string{"check", "--permission", "p", "--resource", "project:web", "--membership", "om_alice", "--token", tok}, "either --token or --membership, not both"},
		{"no subject", full, []string{"check", "--permission", "p", "--resource", "project:web"}, "a subject is required"},
		{"stray argument", full, []string{"check", "--permission", "p", "--resource", "project:web", "--membership", "om_alice", "extra"}, `unexpected argument "extra"`},
		{"missing api key", noKey, []string{"check", "--permission", "p", "--resource", "project:web", "--membership", "om_alice"}, "WORKOS_API_KEY is not set"},
		{"missing client id", noClient, []string{"check", "--permission", "p", "--resource", "project:web", "--token", tok}, "WORKOS_CLIENT_ID is not set"},
		{"token without subcommand", full, []string{"token"}, "missing subcommand: verify or mint"},
		{"token unknown subcommand", full, []string{"token", "decode"}, `unknown subcommand "decode"`},
		{"verify without token", full, []string{"token", "verify"}, "missing TOKEN argument"},
		{"verify two tokens", full, []string{"token", "verify", tok, tok}, "want one TOKEN argument, got 2"},
		{"verify both key sources", full, []string{"token", "verify", "--jwks-url", "http://127.0.0.1:1/jwks", "--client-id", "c", tok}, "either --jwks-url or --client-id, not both"},
		{"verify no key source", noClient, []string{"token", "verify", tok}, "no key source"},
		{"mint without membership", full, []string{"token", "mint"}, "--membership is required"},
		{"mint without server", noClient, []string{"token", "mint", "--membership", "om_alice"}, "no server"},
		{"mint bad duration", full, []string{"token", "mint", "--membership", "om_alice", "--expires-in", "soon"}, `invalid value "soon" for flag -expires-in`},
		{"mint unreachable", full, []string{"token", "mint", "--membership", "om_alice"}, "cannot reach http://127.0.0.1:1"},
		{"serve stray argument", full, []string{"serve", "now"}, `unexpected argument "now"`},
		{"serve missing fixture", full, []string{"serve", "--fixture", "testdata/does-not-exist.json"}, "does-not-exist.json"},
		{"demo stray argument", full, []string{"demo", "fast"}, `unexpected argument "fast"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tt.env, "", tt.args...)
			if r.code != exitError {
				t.Errorf("exit status %d, want %d", r.code, exitError)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			if !oneLineOn(r.stderr) || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr = %q, want one line containing %q", r.stderr, tt.want)
			}
			if strings.Contains(r.stderr, tok) {
				t.Errorf("stderr contains the token: %q", r.stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no arguments", nil, exitError, "fgakit serve"},
		{"help", []string{"help"}, exitOK, "fgakit check"},
		{"-h", []string{"-h"}, exitOK, "fgakit token verify"},
		{"help check", []string{"help", "check"}, exitOK, "-permission"},
		{"check -h", []string{"check", "-h"}, exitOK, "-resource-id"},
		{"serve --help", []string{"serve", "--help"}, exitOK, "-fixture"},
		{"token verify -h", []string{"token", "verify", "-h"}, exitOK, "-jwks-url"},
		{"token mint -h", []string{"token", "mint", "-h"}, exitOK, "-expires-in"},
		{"help token", []string{"help", "token"}, exitOK, "fgakit token mint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit status %d, want %d", r.code, tt.code)
			}
			// Help that was asked for goes to stdout; usage after a mistake
			// (no command at all) to stderr.
			out, other := r.stdout, r.stderr
			if tt.code != exitOK {
				out, other = r.stderr, r.stdout
			}
			if other != "" {
				t.Errorf("exit %d: the other stream got %q", tt.code, other)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("exit %d: the help does not mention %q:\n%s", tt.code, tt.want, out)
			}
		})
	}
}

func TestListenScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want string
	}{
		{"127.0.0.1:8080", listenLoopback},
		{"127.0.0.2:0", listenLoopback},
		{"[::1]:0", listenLoopback},
		{"localhost:8080", listenLoopback},
		{"0.0.0.0:8080", listenAll},
		{"[::]:0", listenAll},
		{":8080", listenAll},
		{"192.168.1.10:8080", listenNetwork},
		{"[fe80::1%eth0]:8080", listenNetwork},
		{"example.com:8080", listenNetwork},
	}
	for _, tt := range tests {
		if got := listenScope(tt.addr); got != tt.want {
			t.Errorf("listenScope(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// TestExposure: beyond loopback, serve says where it listens and warns
// that anyone there can use the fake; on loopback it says nothing.
func TestExposure(t *testing.T) {
	t.Parallel()
	if lines := exposure("127.0.0.1:0", "http://127.0.0.1:5000", false); lines != nil {
		t.Errorf("loopback: %q, want nothing", lines)
	}
	tests := []struct {
		name, addr, url string
		keyed           bool
		want            []string // substrings, in order, of the lines joined
	}{
		{"every interface", "0.0.0.0:0", "http://127.0.0.1:5000", false,
			[]string{"listening on every network interface (--addr 0.0.0.0:0); http://127.0.0.1:5000 is its loopback address",
				"WARNING: other machines can reach this fake", "accepts any API key", "/_fake/faults", "/_fake/clock", "POST /_fake/access_tokens"}},
		{"a LAN address with a key", "192.168.1.10:0", "http://192.168.1.10:5000", true,
			[]string{"listening on http://192.168.1.10:5000 (--addr 192.168.1.10:0), not a loopback address",
				"WARNING", "demands --api-key on API paths and on /_fake/faults and /_fake/clock", "POST /_fake/access_tokens"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := strings.Join(exposure(tt.addr, tt.url, tt.keyed), "\n")
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("lines do not say %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// serving is an in-process "fgakit serve".
type serving struct {
	url    string
	stderr *syncBuffer
}

// startServe runs "fgakit serve --addr 127.0.0.1:0 args..." in-process until
// the test ends, and returns the URL it printed as its first stdout line.
func startServe(t *testing.T, args ...string) serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), pw, stderr, func(string) string { return "" })
		pw.Close()
		done <- code
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("serve exited with %d after cancel, want 0; stderr:\n%s", code, stderr)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("serve did not stop within 5s of its context being cancelled")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading serve's first stdout line: %v; stderr:\n%s", err, stderr)
	}
	go io.Copy(io.Discard, pr) // nothing else is expected, but never block serve
	return serving{url: strings.TrimSuffix(line, "\n"), stderr: stderr}
}

func TestServe(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--fixture", "demo.json")
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") || strings.ContainsAny(s.url, " \t") {
		t.Fatalf("first stdout line = %q, want exactly http://127.0.0.1:PORT", s.url)
	}
	resp, err := http.Get(s.url + "/sso/jwks/client_demo")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
			Kty string `json:"kty"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /sso/jwks/client_demo: %s, decode error %v", resp.Status, err)
	}
	if len(jwks.Keys) == 0 || jwks.Keys[0].Kty != "RSA" || jwks.Keys[0].Kid == "" {
		t.Errorf("JWKS = %+v, want at least one RSA key with a kid", jwks)
	}
	if !strings.Contains(s.stderr.String(), "token mint") {
		t.Errorf("serve's stderr does not tell how to mint a token:\n%s", s.stderr)
	}
	if strings.Contains(s.stderr.String(), "WARNING") {
		t.Errorf("serve on 127.0.0.1 warns:\n%s", s.stderr)
	}
}

func TestServeAPIKey(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--fixture", "demo.json", "--api-key", secretKey)
	if strings.Contains(s.stderr.String(), secretKey) {
		t.Errorf("serve printed its API key:\n%s", s.stderr)
	}
	check := []string{"check", "--permission", "project:edit", "--resource", "project:web", "--membership", "om_alice"}
	tests := []struct {
		name string
		key  string
		code int
	}{
		{"right key", secretKey, exitOK},
		{"wrong key", "sk_test_wrong_key", exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, map[string]string{"WORKOS_API_KEY": tt.key, "WORKOS_BASE_URL": s.url}, "", check...)
			if r.code != tt.code {
				t.Errorf("exit status %d, want %d; stdout %q, stderr %q", r.code, tt.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestServeBadFixture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, fixture string
		want          string // in the one stderr line
	}{
		{"dangling organization", `{"organizations": [{"id": "org_acme", "name": "Acme"}],
	  "organization_memberships": [{"id": "om_ghost", "user_id": "user_ghost", "organization_id": "org_nowhere"}]}`,
			`organization_memberships[0] (id "om_ghost"): organization "org_nowhere" not found`},
		{"misspelt key", "{\"resources\": [\n  {\"external_id\": \"eng\", \"parrent_resource_id\": \"x\"}\n]}",
			`resources[0]: unknown field "parrent_resource_id" (line 2, column 26)`},
		{"syntax error", "{\"organizations\": [\n  {\"id\": \"org_acme\",}\n]}",
			`syntax error at line 2, column 21: invalid character '}'`},
		{"empty file", "", `the input is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "bad.json")
			if err := os.WriteFile(path, []byte(tt.fixture), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, nil, "", "serve", "--addr", "127.0.0.1:0", "--fixture", path)
			if r.code != exitError || r.stdout != "" {
				t.Errorf("exit status %d, stdout %q; want 2 and nothing", r.code, r.stdout)
			}
			want := "fgakit serve: fixture " + path + ": "
			if !oneLineOn(r.stderr) || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr = %q, want one line starting %q and naming %q", r.stderr, want, tt.want)
			}
		})
	}
}

func TestTokenMint(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--fixture", "demo.json")
	env := map[string]string{"WORKOS_BASE_URL": s.url, "WORKOS_CLIENT_ID": "client_demo"}
	mint := runCLI(t, env, "", "token", "mint", "--membership", "om_alice", "--expires-in", "2m")
	if mint.code != exitOK || !oneLineOn(mint.stdout) || strings.Count(mint.stdout, ".") != 2 {
		t.Fatalf("token mint: exit %d, stdout %q, stderr %q; want 0 and one JWT", mint.code, mint.stdout, mint.stderr)
	}
	tok := strings.TrimSpace(mint.stdout)

	verify := runCLI(t, env, tok+"\n", "token", "verify", "-")
	if verify.code != exitOK {
		t.Fatalf("token verify: exit %d, stderr %q", verify.code, verify.stderr)
	}
	var claims map[string]any
	if err := json.Unmarshal([]byte(verify.stdout), &claims); err != nil {
		t.Fatalf("token verify printed %q: %v", verify.stdout, err)
	}
	if claims["organization_membership_id"] != "om_alice" || claims["org_id"] != "org_acme" {
		t.Errorf("claims = %v, want Alice's membership in org_acme", claims)
	}

	unknown := runCLI(t, env, "", "token", "mint", "--membership", "om_nobody")
	if unknown.code != exitError || !oneLineOn(unknown.stderr) || !strings.Contains(unknown.stderr, "404") {
		t.Errorf("mint for an unknown membership: exit %d, stderr %q; want 2 and one line with the 404", unknown.code, unknown.stderr)
	}
}

func TestDemoGolden(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "", "demo")
	if r.code != exitOK {
		t.Errorf("demo exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	golden := filepath.Join("testdata", "demo.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/fgakit -run TestDemoGolden -update)", err)
	}
	if diff := cmp.Diff(string(want), r.stdout); diff != "" {
		t.Errorf("demo output differs from %s (-want +got):\n%s", golden, diff)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestServeSummaryControl: serve's summary tells how to inject faults and
// move the clock, and says the control endpoints need the key when one is set.
func TestServeSummaryControl(t *testing.T) {
	t.Parallel()
	f, err := authztest.NewServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		name  string
		keyed bool
		want  []string // substrings, in order
	}{
		{"no key", false, []string{"POST " + f.URL() + "/_fake/faults", "DELETE clears them", "POST " + f.URL() + "/_fake/clock"}},
		{"with a key", true, []string{"/_fake/faults and /_fake/clock control requests must carry the --api-key", "/_fake/faults", "/_fake/clock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			e := &env{stdout: io.Discard, stderr: &stderr}
			e.serveSummary(f, "", nil, tt.keyed)
			rest := stderr.String()
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("summary does not say %q (in order):\n%s", w, stderr.String())
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// TestServeControlKey: under serve --api-key, injecting a fault needs the
// key, and a fault injected with it answers the next check.
func TestServeControlKey(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--fixture", "demo.json", "--api-key", secretKey)
	post := func(key, body string) int {
		req, err := http.NewRequestWithContext(t.Context(), "POST", s.url+"/_fake/faults", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("", `{"status":403,"times":-1}`); got != http.StatusUnauthorized {
		t.Errorf("without the key: status %d, want 401", got)
	}
	check := []string{"check", "--permission", "project:edit", "--resource", "project:web", "--membership", "om_alice"}
	envs := map[string]string{"WORKOS_API_KEY": secretKey, "WORKOS_BASE_URL": s.url}
	if r := runCLI(t, envs, "", check...); r.code != exitOK {
		t.Fatalf("check after a refused fault: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := post(secretKey, `{"status":403,"times":-1}`); got != http.StatusNoContent {
		t.Fatalf("with the key: status %d, want 204", got)
	}
	if r := runCLI(t, envs, "", check...); r.code == exitOK {
		t.Errorf("check under an injected 403: exit %d, want an error; stdout %q", r.code, r.stdout)
	}
}
