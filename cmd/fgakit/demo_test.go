package main

import (
	"strings"
	"testing"
)

// The demo, fgakit check and the docs word a resource the API does not know
// alike: "denied: not found", with the same meaning, and the demo shows the
// discovery listing, the middleware and a reference without InOrganization.
func TestDemoWording(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "", "demo")
	if r.code != exitOK {
		t.Fatalf("demo exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	flat := strings.Join(strings.Fields(r.stdout), " ")
	for _, want := range []string{
		"→ denied: not found, answered by api",
		"→ denied: organization mismatch, nothing asked",
		"a call that names a resource's organization never acts in another one",
		notFoundMeaning,
		"fgakit check exits 1",
		"→ web, api, docs, infra",
		"ChildrenOf(Engineering): one discovery listing",
		"GET /projects/web as Bob → 403 Forbidden",
		"GET /projects/nope as Alice → 404 Not Found",
		"The same question, workspace:eng named without its organization → allowed, answered by api",
		"webhook organization_membership.updated → 200 OK",
		"verified and applied: 1, refused: 0",
		"→ denied, answered by api (the token was stale)",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(r.stdout, "could not decide") {
		t.Errorf("demo calls a 404 'could not decide':\n%s", r.stdout)
	}
}

// The demo's layout: the lines under a step's number start where its
// question starts ("10. " is one column wider than "9. "), and every
// explanation of more than one sentence ends with a full stop.
func TestDemoLayout(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "", "demo")
	if r.code != exitOK {
		t.Fatalf("demo exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	checkDemoLayout(t, r.stdout)
}

func checkDemoLayout(t *testing.T, out string) {
	t.Helper()
	indent := ""
	var para []string // the explanation lines of the current step
	checkPara := func() {
		text := strings.Join(para, " ")
		if strings.Count(text, ". ") > 0 && !strings.HasSuffix(text, ".") && !strings.HasSuffix(text, "?") {
			t.Errorf("an explanation of more than one sentence ends without a full stop: %q", text)
		}
		para = nil
	}
	for i, line := range strings.Split(out, "\n") {
		if n, _, ok := strings.Cut(line, ". "); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			indent = strings.Repeat(" ", len(n)+2)
			continue
		}
		if line == "" {
			checkPara()
			indent = ""
			continue
		}
		if indent == "" {
			continue
		}
		if !strings.HasPrefix(line, indent) || strings.HasPrefix(line, indent+" ") && !strings.HasPrefix(strings.TrimLeft(line, " "), "organization role") {
			t.Errorf("line %d %q does not start at column %d, under its step's question", i+1, line, len(indent)+1)
		}
		rest := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(rest, "→"), strings.HasPrefix(rest, "cost:"), strings.HasPrefix(rest, "GET "),
			strings.HasPrefix(rest, "revoked:"), strings.HasPrefix(rest, "("), strings.HasPrefix(rest, "organization role"),
			strings.HasPrefix(rest, "demoted:"), strings.HasPrefix(rest, "webhook "), strings.HasPrefix(rest, "verified and applied:"):
			checkPara()
		default:
			para = append(para, rest)
		}
	}
}
