package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/token"
)

// newFake starts an in-process fake loaded with the demo's fixture that
// demands secretKey, and returns it with the environment the CLI needs.
func newFake(t *testing.T) (*authztest.Fake, map[string]string) {
	t.Helper()
	fx, err := authztest.ParseFixture(bytes.NewReader(demoFixture))
	if err != nil {
		t.Fatal(err)
	}
	f := authztest.New(t, authztest.WithFixture(fx), authztest.WithAPIKey(secretKey))
	return f, map[string]string{
		"WORKOS_API_KEY":   secretKey,
		"WORKOS_CLIENT_ID": f.ClientID(),
		"WORKOS_BASE_URL":  f.URL(),
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string // after --permission P, with the subject
		code      int
		stdout    string
		wantCalls int
	}{
		{"inherited role, by external ID", []string{"--permission", "project:edit", "--resource", "project:web", "--membership", "om_alice"}, exitOK, "allowed (api)\n", 1},
		{"inherited role, by resource ID", []string{"--permission", "project:edit", "--resource-id", "authz_resource_web", "--membership", "om_alice"}, exitOK, "allowed (api)\n", 1},
		{"no role", []string{"--permission", "project:edit", "--resource", "project:web", "--membership", "om_bob"}, exitNo, "denied (api)\n", 1},
		{"token grants org-wide, by external ID in its org", []string{"--permission", "workspace:view", "--resource", "workspace:eng", "--org", "org_acme", "--token", "alice"}, exitOK, "allowed (token)\n", 0},
		{"token grants, resource ID in its org", []string{"--permission", "workspace:view", "--resource-id", "authz_resource_eng", "--org", "org_acme", "--token", "alice"}, exitOK, "allowed (token)\n", 0},
		{"token without the permission asks the API", []string{"--permission", "project:edit", "--resource", "project:web", "--token", "alice"}, exitOK, "allowed (api)\n", 1},
		{"token, API denies", []string{"--permission", "project:edit", "--resource", "project:web", "--token", "bob"}, exitNo, "denied (api)\n", 1},
		{"token by resource ID without --org asks the API", []string{"--permission", "workspace:view", "--resource-id", "authz_resource_eng", "--token", "alice"}, exitOK, "allowed (api)\n", 1},
		{"token from stdin", []string{"--permission", "workspace:view", "--resource", "workspace:eng", "--org", "org_acme", "--token", "-"}, exitOK, "allowed (token)\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, env := newFake(t)
			args := append([]string{"check"}, tt.args...)
			stdin := f.Session("om_alice") + "\n" // for --token -
			for i, a := range args {              // "alice" and "bob" stand for their session tokens
				if i > 0 && args[i-1] == "--token" && a != "-" {
					args[i] = f.Session("om_" + a)
				}
			}
			r := runCLI(t, env, stdin, args...)
			if r.code != tt.code || r.stdout != tt.stdout || r.stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout %q", r.code, r.stdout, r.stderr, tt.code, tt.stdout)
			}
			if got := len(f.Calls()); got != tt.wantCalls {
				t.Errorf("the fake received %d API calls, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	f, env := newFake(t)
	tests := []struct {
		name string
		args []string
		code int
		want checkResult
	}{
		{
			name: "api allows",
			args: []string{"--permission", "project:edit", "--resource", "project:web", "--membership", "om_alice"},
			code: exitOK,
			want: checkResult{Allowed: true, Source: "api", Permission: "project:edit", Membership: "om_alice", ResourceTypeSlug: "project", ResourceExternalID: "web"},
		},
		{
			name: "token allows",
			args: []string{"--permission", "workspace:view", "--resource-id", "authz_resource_eng", "--org", "org_acme", "--token", f.Session("om_alice")},
			code: exitOK,
			want: checkResult{Allowed: true, Source: "token", Permission: "workspace:view", Membership: "om_alice", ResourceID: "authz_resource_eng", OrganizationID: "org_acme"},
		},
		{
			name: "api denies",
			args: []string{"--permission", "project:edit", "--resource-id", "authz_resource_web", "--membership", "om_bob"},
			code: exitNo,
			want: checkResult{Allowed: false, Source: "api", Permission: "project:edit", Membership: "om_bob", ResourceID: "authz_resource_web"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, env, "", append([]string{"check", "--json"}, tt.args...)...)
			if r.code != tt.code || !oneLineOn(r.stdout) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and one JSON line", r.code, r.stdout, r.stderr, tt.code)
			}
			var got checkResult
			dec := json.NewDecoder(strings.NewReader(r.stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("stdout %q: %v", r.stdout, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("--json (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckFailsClosed: when the API cannot answer, check never says
// allowed: exit 2, one line on stderr naming the failure.
func TestCheckFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault authztest.Fault
		want  string // in the stderr line
	}{
		{"500 on every attempt", authztest.Fault{Status: 500, Times: -1}, "500"},
		{"429 longer than the client waits", authztest.Fault{Status: 429, RetryAfter: "3600", Times: -1}, "429"},
		{"malformed body", authztest.Fault{Malformed: true, Times: -1}, "could not decide"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, env := newFake(t)
			f.InjectFault(tt.fault)
			for _, extra := range [][]string{nil, {"--json"}} {
				args := append([]string{"check", "--permission", "project:edit", "--resource", "project:web", "--membership", "om_alice",
					"--timeout", "300ms"}, extra...) // shorter than the first retry's backoff
				r := runCLI(t, env, "", args...)
				if r.code != exitError {
					t.Errorf("%v: exit %d, want %d; stdout %q", extra, r.code, exitError, r.stdout)
				}
				if !oneLineOn(r.stderr) || !strings.Contains(r.stderr, "could not decide") || !strings.Contains(r.stderr, tt.want) {
					t.Errorf("%v: stderr %q, want one line saying it could not decide (%s)", extra, r.stderr, tt.want)
				}
				if strings.Contains(r.stdout, "allowed\":true") || strings.HasPrefix(r.stdout, "allowed") {
					t.Errorf("%v: stdout %q says allowed", extra, r.stdout)
				}
			}
		})
	}
}

func TestCheckRejectedToken(t *testing.T) {
	t.Parallel()
	f, env := newFake(t)
	f.Advance(-time.Hour) // minted an hour ago: expired now
	expired := f.Session("om_alice")
	r := runCLI(t, env, "", "check", "--permission", "workspace:view", "--resource", "workspace:eng", "--token", expired)
	if r.code != exitNo || r.stdout != "denied: token rejected (nothing checked)\n" || !oneLineOn(r.stderr) || !strings.Contains(r.stderr, "expired") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, a deny, and one line saying the token expired", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, expired) {
		t.Errorf("stderr contains the token")
	}
	if n := len(f.Calls()); n != 0 {
		t.Errorf("a rejected token led to %d API calls", n)
	}
}

func TestTokenVerify(t *testing.T) {
	t.Parallel()
	f, env := newFake(t)
	good := f.Session("om_alice")
	want, err := f.Verifier().Verify(t.Context(), good)
	if err != nil {
		t.Fatal(err)
	}
	jwks := f.URL() + "/sso/jwks/" + f.ClientID()
	iss := f.URL() + "/user_management/" + f.ClientID()

	noClientID := map[string]string{"WORKOS_BASE_URL": f.URL()}
	okCases := []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
	}{
		{"argument, client ID from env", env, "", []string{good}},
		{"stdin", env, good + "\n", []string{"-"}},
		{"--client-id", noClientID, "", []string{"--client-id", f.ClientID(), good}},
		{"--jwks-url, flags after the token", env, "", []string{good, "--jwks-url", jwks}},
		{"--jwks-url without a client ID", noClientID, "", []string{"--jwks-url", jwks, good}},
		{"--issuer allowed", env, "", []string{"--issuer", "https://other.example", "--issuer", iss, good}},
	}
	for _, tt := range okCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tt.env, tt.stdin, append([]string{"token", "verify"}, tt.args...)...)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q; want 0", r.code, r.stderr)
			}
			var got token.Claims
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("stdout is not claims JSON: %v\n%s", err, r.stdout)
			}
			if diff := cmp.Diff(want, &got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
			if !strings.Contains(r.stdout, "\n  \"sub\": ") {
				t.Errorf("claims are not indented:\n%s", r.stdout)
			}
		})
	}

	f.Advance(-time.Hour)
	expired := f.Session("om_alice")
	f.Advance(time.Hour)
	noEnv := map[string]string{"WORKOS_BASE_URL": "http://127.0.0.1:1"}
	badCases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"expired", env, []string{expired}, exitNo, "token rejected: token: expired"},
		{"issuer not allowed", env, []string{"--issuer", "https://other.example", good}, exitNo, "issuer"},
		{"malformed", env, []string{"not-a-jwt"}, exitNo, "malformed"},
		{"tampered signature", env, []string{good[:len(good)-4] + "AAAA"}, exitNo, "token rejected"},
		{"keys unreachable", noEnv, []string{"--client-id", "client_demo", good}, exitError, "could not verify"},
	}
	for _, tt := range badCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tt.env, "", append([]string{"token", "verify"}, tt.args...)...)
			if r.code != tt.code || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want %d and nothing", r.code, r.stdout, tt.code)
			}
			if !oneLineOn(r.stderr) || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q, want one line containing %q", r.stderr, tt.want)
			}
			if strings.Contains(r.stderr, good) || strings.Contains(r.stderr, expired) {
				t.Errorf("stderr contains the token")
			}
		})
	}
}

// TestCheckOrgFlag: --org names the resource's organization for both
// reference forms: the token answers only for its own organization, never
// for another one.
func TestCheckOrgFlag(t *testing.T) {
	t.Parallel()
	refs := map[string][]string{
		"by resource ID": {"--resource-id", "authz_resource_eng"},
		"by external ID": {"--resource", "workspace:eng"},
	}
	for name, ref := range refs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, env := newFake(t)
			tok := f.Session("om_alice")
			args := append([]string{"check", "--json", "--permission", "workspace:view", "--token", tok}, ref...)

			own := runCLI(t, env, "", append(args, "--org", "org_acme")...)
			var got checkResult
			if err := json.Unmarshal([]byte(own.stdout), &got); err != nil || own.code != exitOK || !got.Allowed || got.Source != "token" || got.OrganizationID != "org_acme" {
				t.Errorf("--org org_acme: exit %d, %+v (%v); want allowed by the token, organization_id org_acme", own.code, got, err)
			}
			if n := len(f.Calls()); n != 0 {
				t.Errorf("--org org_acme: %d API calls, want 0", n)
			}

			f.ResetCalls()
			other := runCLI(t, env, "", append(args, "--org", "org_globex")...)
			got = checkResult{}
			if err := json.Unmarshal([]byte(other.stdout), &got); err != nil || other.code != exitNo || got.Allowed || got.Source != "none" ||
				got.Reason != "organization_mismatch" || got.OrganizationID != "org_globex" || got.Error != "" {
				t.Errorf("--org org_globex: exit %d, %+v (%v), stderr %q; want a deny (1), reason organization_mismatch, organization_id org_globex", other.code, got, err, other.stderr)
			}
			if n := len(f.Calls()); n != 0 {
				t.Errorf("--org org_globex: %d API calls, want 0", n)
			}
		})
	}

	// Without --org, the token cannot know the resource's organization, so
	// even a permission the token grants is asked of the API (one call).
	f, env := newFake(t)
	tok := f.Session("om_alice")
	r := runCLI(t, env, "", "check", "--permission", "workspace:view", "--resource", "workspace:eng", "--token", tok)
	if want := "allowed (api)\n"; r.code != exitOK || r.stdout != want {
		t.Errorf("without --org: exit %d, stdout %q, stderr %q; want %q: the token does not answer for an unnamed organization", r.code, r.stdout, r.stderr, want)
	}
	if n := len(f.Calls()); n != 1 {
		t.Errorf("without --org: %d API calls, want 1", n)
	}

	// With --membership, --org must be the membership's organization,
	// for both reference forms: TestCheckDeniedWithoutAsking.
	m := runCLI(t, env, "", "check", "--permission", "workspace:view", "--resource", "workspace:eng", "--org", "org_acme", "--membership", "om_alice")
	if m.code != exitOK {
		t.Errorf("--membership, --resource, --org of its organization: exit %d, stderr %q; want 0", m.code, m.stderr)
	}
}

// TestCheckDeniedWithoutAsking: where the middleware answers 403 without a
// check — --org naming another organization than the session's or the
// membership's, a session without a membership — check says "denied", with
// the reason, and exits 1 (a deny), not 2 ("could not decide").
func TestCheckDeniedWithoutAsking(t *testing.T) {
	t.Parallel()
	mismatch := "fgakit check: denied: organization mismatch: " + orgMismatchMeaning + " (the middleware answers 403)\n"
	noMembership := "fgakit check: denied: no membership: " + noMembershipMeaning + " (the middleware answers 403)\n"
	tests := []struct {
		name           string
		args           []string
		stdout, stderr string
		reason         string
		calls          []string
	}{
		{"token, ID in another org", []string{"--resource-id", "authz_resource_eng", "--org", "org_globex", "--token", "alice"},
			"denied: organization mismatch (nothing checked)\n", mismatch, "organization_mismatch", nil},
		{"token, external ID in another org", []string{"--resource", "workspace:eng", "--org", "org_globex", "--token", "alice"},
			"denied: organization mismatch (nothing checked)\n", mismatch, "organization_mismatch", nil},
		{"membership, ID in another org", []string{"--resource-id", "authz_resource_eng", "--org", "org_globex", "--membership", "om_alice"},
			"denied: organization mismatch (nothing checked)\n", mismatch, "organization_mismatch", []string{"GET /user_management/organization_memberships/om_alice"}},
		{"membership, external ID in another org", []string{"--resource", "workspace:eng", "--org", "org_globex", "--membership", "om_alice"},
			"denied: organization mismatch (nothing checked)\n", mismatch, "organization_mismatch", []string{"GET /user_management/organization_memberships/om_alice"}},
		{"token without membership", []string{"--resource", "project:web", "--token", "nomembership"},
			"denied: no membership (nothing checked)\n", noMembership, "no_membership", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, env := newFake(t)
			args := append([]string{"check", "--permission", "workspace:view"}, tt.args...)
			for i, a := range args {
				if i > 0 && args[i-1] == "--token" {
					if a == "nomembership" {
						args[i] = f.Session("om_alice", authztest.SessionWithoutMembership())
					} else {
						args[i] = f.Session("om_" + a)
					}
				}
			}
			r := runCLI(t, env, "", args...)
			if r.code != exitNo || r.stdout != tt.stdout || r.stderr != tt.stderr {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1, %q, %q", r.code, r.stdout, r.stderr, tt.stdout, tt.stderr)
			}
			var calls []string
			for _, c := range f.Calls() {
				calls = append(calls, c.Method+" "+c.Path)
			}
			if diff := cmp.Diff(tt.calls, calls); diff != "" {
				t.Errorf("API calls (-want +got):\n%s", diff)
			}
			j := runCLI(t, env, "", append([]string{"check", "--json"}, args[1:]...)...)
			var got checkResult
			if err := json.Unmarshal([]byte(j.stdout), &got); err != nil || j.code != exitNo || got.Allowed || got.Source != "none" || got.Reason != tt.reason || got.Error != "" {
				t.Errorf("--json: exit %d, %+v (%v); want 1, source none, reason %s, no error", j.code, got, err, tt.reason)
			}
		})
	}
}

// TestCheckNotFound: a resource the API does not know is "denied: not
// found", exit 1 (a deny), the same words on stdout, stderr and in --json.
func TestCheckNotFound(t *testing.T) {
	t.Parallel()
	f, env := newFake(t)
	for _, args := range [][]string{
		{"--resource-id", "authz_resource_research", "--membership", "om_alice"}, // Globex's
		{"--resource", "workspace:nope", "--membership", "om_alice"},
		{"--resource", "workspace:nope", "--token", f.Session("om_alice")},
		{"--resource", "workspace:eng", "--org", "org_acme", "--membership", "om_nobody"}, // learning its organization: 404
	} {
		t.Run(strings.Join(args[:2], " ")+" "+args[len(args)-1][:min(len(args[len(args)-1]), 10)], func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, env, "", append([]string{"check", "--permission", "workspace:view"}, args...)...)
			want := "fgakit check: denied: not found: " + notFoundMeaning + " (the API answered 404)\n"
			if r.code != exitNo || r.stdout != "denied: not found (api)\n" || r.stderr != want {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1, %q, %q", r.code, r.stdout, r.stderr, "denied: not found (api)\n", want)
			}
			j := runCLI(t, env, "", append([]string{"check", "--json", "--permission", "workspace:view"}, args...)...)
			var got checkResult
			if err := json.Unmarshal([]byte(j.stdout), &got); err != nil || j.code != exitNo || got.Allowed || !got.NotFound || got.Source != "api" || got.Error != "" {
				t.Errorf("--json: exit %d, %+v (%v); want 1, not_found true, source api", j.code, got, err)
			}
		})
	}
}

// TestCheckUndecidedWording: what the API refused is "not allowed (could not
// decide: the API answered …)", exit 2, with a hint for a bad key that
// never prints it.
func TestCheckUndecidedWording(t *testing.T) {
	t.Parallel()
	f, _ := newFake(t)
	badKey := map[string]string{"WORKOS_API_KEY": "sk_test_not_the_right_key", "WORKOS_BASE_URL": f.URL()}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // the whole stderr line starts so
		hint string
	}{
		{"wrong API key", badKey, []string{"--resource", "workspace:eng", "--membership", "om_alice"},
			"fgakit check: not allowed (could not decide: the API answered 401", "check WORKOS_API_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tt.env, "", append([]string{"check", "--permission", "workspace:view"}, tt.args...)...)
			if r.code != exitError || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", r.code, r.stdout)
			}
			if !oneLineOn(r.stderr) || !strings.HasPrefix(r.stderr, tt.want) || !strings.Contains(r.stderr, tt.hint) || !strings.HasSuffix(r.stderr, ")\n") {
				t.Errorf("stderr %q; want one line starting %q, with %q", r.stderr, tt.want, tt.hint)
			}
			j := runCLI(t, tt.env, "", append([]string{"check", "--json", "--permission", "workspace:view"}, tt.args...)...)
			var got checkResult
			if err := json.Unmarshal([]byte(j.stdout), &got); err != nil || j.code != exitError || got.Allowed ||
				!strings.HasPrefix(got.Error, "the API answered") || !strings.Contains(got.Error, tt.hint) {
				t.Errorf("--json: exit %d, %+v (%v); want 2, not allowed, error with the API status and %q", j.code, got, err, tt.hint)
			}
		})
	}
}

// TestTokenVerifySkippedKeys: a JWKS entry the verifier cannot use is
// reported on stderr, and the token signed by the good key still verifies.
func TestTokenVerifySkippedKeys(t *testing.T) {
	t.Parallel()
	f, env := newFake(t)
	good := f.Session("om_alice")
	resp, err := http.Get(f.URL() + "/sso/jwks/" + f.ClientID())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Keys []json.RawMessage }
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	doc.Keys = append(doc.Keys, json.RawMessage(`"not a key"`))
	body, _ := json.Marshal(map[string]any{"keys": doc.Keys})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
	t.Cleanup(srv.Close)

	r := runCLI(t, env, "", "token", "verify", "--jwks-url", srv.URL, good)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q; want 0", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "level=WARN") || !strings.Contains(r.stderr, "keys[1]") {
		t.Errorf("stderr %q, want a warning naming the skipped entry keys[1]", r.stderr)
	}
}
