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
