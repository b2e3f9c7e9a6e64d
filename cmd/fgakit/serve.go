package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/fgakit/fgakit/authztest"
)

const serveSynopsis = "fgakit serve [--addr 127.0.0.1:8080] [--fixture FILE] [--api-key KEY] [--client-id ID]"

// serve runs the fake until ctx is done (SIGINT or SIGTERM in main). Its
// first and only line on stdout is the base URL — for an address of every
// interface (0.0.0.0, [::], :PORT) the 127.0.0.1 URL, which reaches it from
// this machine — so a script can read it:
//
//	url=$(fgakit serve --addr 127.0.0.1:0 | head -1)
func (e *env) serve(ctx context.Context, args []string) int {
	const cmd = "fgakit serve"
	fs := newFlagSet(cmd, serveSynopsis, "")
	addr := fs.String("addr", "127.0.0.1:8080", "listen `address`; port 0 picks a free port. Keep it a loopback address: the fake accepts any key (unless --api-key is given) and mints tokens for anyone, and a non-loopback address is warned about")
	fixture := fs.String("fixture", "", "load the model from this JSON `FILE` (the authztest fixture format: go doc github.com/fgakit/fgakit/authztest.Fixture)")
	apiKey := fs.String("api-key", "", "answer 401 to requests without this bearer `KEY`: API paths and the control endpoints /_fake/faults and /_fake/clock (POST /_fake/access_tokens and the JWKS stay public)")
	clientID := fs.String("client-id", "", "AuthKit client `ID` the JWKS is served under (default the fixture's, else the fake's)")
	rest, err := e.parseArgs(fs, args)
	if err != nil {
		return e.exitFor(cmd, err)
	}
	if len(rest) > 0 {
		return e.fail(cmd, fmt.Errorf("unexpected argument %q (run '%s -h' for usage)", redact(rest[0], *apiKey), cmd))
	}

	var opts []authztest.Option
	var fx *authztest.Fixture
	if *fixture != "" {
		fx, err = authztest.LoadFixtureFile(*fixture)
		if err != nil {
			return e.fail(cmd, errors.New(cliMessage(err, *fixture)))
		}
		opts = append(opts, authztest.WithFixture(fx))
	}
	if *apiKey != "" {
		opts = append(opts, authztest.WithAPIKey(*apiKey))
	}
	if *clientID != "" {
		opts = append(opts, authztest.WithClientID(*clientID))
	}
	f, err := authztest.NewServer(*addr, opts...)
	if err != nil {
		return e.fail(cmd, errors.New(redact(cliMessage(err, *fixture), *apiKey)))
	}
	defer f.Close()

	// stderr first: once a caller has read the URL line, the summary (and
	// any warning) is already written.
	for _, line := range exposure(*addr, f.URL(), *apiKey != "") {
		fmt.Fprintf(e.stderr, "%s: %s\n", cmd, line)
	}
	e.serveSummary(f, *fixture, fx, *apiKey != "")
	fmt.Fprintln(e.stdout, f.URL())

	<-ctx.Done()
	fmt.Fprintf(e.stderr, "%s: stopping\n", cmd)
	return exitOK
}

// Where an --addr listens.
const (
	listenLoopback = "loopback" // this machine only
	listenAll      = "all"      // every interface: an unspecified host
	listenNetwork  = "network"  // a non-loopback address or a host name
)

// listenScope tells where addr ("host:port") listens. A host name other
// than localhost counts as the network: it may resolve to any interface.
func listenScope(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return listenNetwork
	}
	if host == "" {
		return listenAll
	}
	if strings.EqualFold(host, "localhost") {
		return listenLoopback
	}
	host, _, _ = strings.Cut(host, "%") // an IPv6 zone
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return listenNetwork
	case ip.IsUnspecified():
		return listenAll
	case ip.IsLoopback():
		return listenLoopback
	}
	return listenNetwork
}

// exposure returns the lines serve prints on stderr, before its summary,
// when the fake listens beyond this machine: where it listens, which URL
// reaches it, and a warning that it is a test double anyone there can use.
func exposure(addr, url string, keyed bool) []string {
	var lines []string
	switch listenScope(addr) {
	case listenLoopback:
		return nil
	case listenAll:
		lines = append(lines, fmt.Sprintf("listening on every network interface (--addr %s); %s is its loopback address, other machines use this machine's address", addr, url))
	default:
		lines = append(lines, fmt.Sprintf("listening on %s (--addr %s), not a loopback address", url, addr))
	}
	key := "accepts any API key (no --api-key was given), lets anyone inject faults (/_fake/faults) and move its clock (/_fake/clock)"
	if keyed {
		key = "demands --api-key on API paths and on /_fake/faults and /_fake/clock, but serves the JWKS to anyone"
	}
	return append(lines,
		"WARNING: other machines can reach this fake. It is a test double: it "+key+
			", and mints a session token for any membership at POST /_fake/access_tokens."+
			" Use --addr 127.0.0.1:PORT unless you mean to expose it.")
}

// serveSummary tells, on stderr, what the fake serves and how to use it.
func (e *env) serveSummary(f *authztest.Fake, path string, fx *authztest.Fixture, keyed bool) {
	w := e.stderr
	fmt.Fprintf(w, "fgakit serve: fake WorkOS Authorization API at %s\n", f.URL())
	if fx != nil {
		fmt.Fprintf(w, "  fixture %s: %s\n", path, fixtureSummary(fx))
	} else {
		fmt.Fprintln(w, "  no fixture: an empty model (see --fixture)")
	}
	if keyed {
		fmt.Fprintln(w, "  API requests and the /_fake/faults and /_fake/clock control requests must carry the --api-key as 'Authorization: Bearer KEY'")
	}
	fmt.Fprintf(w, "  JWKS:         %s/sso/jwks/%s\n", f.URL(), f.ClientID())
	fmt.Fprintf(w, "  mint a token: fgakit token mint --url %s --membership om_…\n", f.URL())
	fmt.Fprintf(w, "  faults:       POST %s/_fake/faults {\"status\":429,\"retry_after\":\"0\",\"times\":1}; DELETE clears them\n", f.URL())
	fmt.Fprintf(w, "  clock:        POST %s/_fake/clock {\"advance\":\"10m\"} or {\"set\":\"2026-01-15T12:00:00Z\"}\n", f.URL())
	fmt.Fprintf(w, "  events:       GET %s/events?events=organization_membership.updated,role.updated (every change emits one)\n", f.URL())
	fmt.Fprintf(w, "  webhooks:     POST %s/webhook_endpoints {\"endpoint_url\":\"http://127.0.0.1:…\",\"events\":[…]} → the signing secret\n", f.URL())
	fmt.Fprintf(w, "  check:        WORKOS_BASE_URL=%s WORKOS_API_KEY=… WORKOS_CLIENT_ID=%s fgakit check …\n", f.URL(), f.ClientID())
	fmt.Fprintln(w, "  stop with Ctrl-C")
}

// fixtureSummary counts what a fixture defines, e.g. "2 organizations,
// 2 memberships (om_alice, om_bob), 3 resources, 1 role assignment".
func fixtureSummary(fx *authztest.Fixture) string {
	oms := make([]string, 0, len(fx.OrganizationMemberships))
	for _, m := range fx.OrganizationMemberships {
		if m.ID != "" {
			oms = append(oms, m.ID)
		}
	}
	parts := []string{
		plural(len(fx.ResourceTypes), "resource type"),
		plural(len(fx.Permissions), "permission"),
		plural(len(fx.Roles), "role"),
		plural(len(fx.Organizations), "organization"),
		plural(len(fx.OrganizationMemberships), "membership"),
		plural(len(fx.Resources), "resource"),
		plural(len(fx.RoleAssignments), "role assignment"),
	}
	if len(fx.Groups) > 0 {
		parts = append(parts, plural(len(fx.Groups), "group"))
	}
	s := strings.Join(parts, ", ")
	if len(oms) > 0 && len(oms) <= 10 {
		s += "; memberships: " + strings.Join(oms, ", ")
	}
	return s
}

// cliMessage words an error of authztest for the command line: without the
// package prefix, and naming the fixture file once when the error is about
// the fixture, e.g.
//
//	fixture demo.json: resources[1] (external_id "web"): parent workspace "eng" not found
func cliMessage(err error, fixturePath string) string {
	msg := strings.TrimPrefix(err.Error(), "authztest: ")
	if rest, ok := strings.CutPrefix(msg, "fixture: "); ok && fixturePath != "" {
		rest = strings.TrimSuffix(rest, " (in "+fixturePath+")")
		return "fixture " + fixturePath + ": " + rest
	}
	return msg
}
