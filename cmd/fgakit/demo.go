package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// demoFixture is the model of the demo, in the fixture format of
// authztest: organization Acme → workspace Engineering → project Web; Alice
// is a member whose organization role grants workspace:view, and
// workspace-admin on Engineering; Bob is a member without resource roles.
// Globex, a second organization, owns workspace Research.
//
//go:embed demo.json
var demoFixture []byte

// demoConcurrency is how many identical checks step 6 runs at once.
const demoConcurrency = 100

// demoStart is the fake's clock when the demo starts: frozen, so that the
// demo's tokens and events have the same times on every run. Alice signs
// in a minute later and is demoted a minute after that (step 11).
var demoStart = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// demoWebhookSecret signs the fake's webhook deliveries to the demo app.
const demoWebhookSecret = "whsec_demo"

// demo runs the documented example against an embedded fake and prints, for
// each step, the question, the decision, which layer answered and the API
// calls it cost. The output is deterministic: no timings, no generated IDs.
// Exit 0 when every decision is the documented one, 1 when one differs, 2
// when a step could not run.
func (e *env) demo(ctx context.Context, args []string) int {
	const cmd = "fgakit demo"
	fs := newFlagSet(cmd, "fgakit demo", "")
	rest, err := e.parseArgs(fs, args)
	if err != nil {
		return e.exitFor(cmd, err)
	}
	if len(rest) > 0 {
		return e.fail(cmd, fmt.Errorf("unexpected argument %q (run '%s -h' for usage)", rest[0], cmd))
	}
	d, err := newDemo(e.stdout)
	if err != nil {
		return e.fail(cmd, err)
	}
	defer d.close()
	if err := d.run(ctx); err != nil {
		return e.fail(cmd, err)
	}
	if d.surprises > 0 {
		fmt.Fprintf(e.stderr, "%s: %d decision(s) differ from the documented example\n", cmd, d.surprises)
		return exitNo
	}
	return exitOK
}

// demoRun holds the fake and the client of one demo run.
type demoRun struct {
	w         io.Writer
	fake      *authztest.Fake
	client    *authz.Client
	verifier  *token.Verifier
	state     *events.State // what the app learnt from WorkOS events
	hook      *events.Webhook
	hookSrv   *httptest.Server // the app's webhook endpoint
	surprises int              // decisions that differ from the documented ones
	jwksSeen  int              // JWKS fetches counted so far
	apiCalls  int              // API calls counted so far
	questions int              // authorization questions asked so far
	// indent starts the lines under a step's number: as wide as "N. ", so
	// that they line up with the question.
	indent string
}

func newDemo(w io.Writer) (*demoRun, error) {
	fx, err := authztest.ParseFixture(bytes.NewReader(demoFixture))
	if err != nil {
		return nil, fmt.Errorf("embedded fixture: %w", err)
	}
	f, err := authztest.NewServer("127.0.0.1:0", authztest.WithFixture(fx), authztest.WithClock(demoStart))
	if err != nil {
		return nil, err
	}
	// The app consumes WorkOS events from signed webhooks: a State on the
	// fake's clock (WorkOS's clock, the clock of the tokens' iat), fed by
	// an events.Webhook the fake delivers to, and read by the Client's
	// token layer and the Verifier.
	state, err := events.NewState(events.WithTimeFunc(f.Now))
	if err != nil {
		f.Close()
		return nil, err
	}
	hook, err := events.NewWebhook(state, demoWebhookSecret)
	if err != nil {
		f.Close()
		return nil, err
	}
	srv := httptest.NewServer(hook)
	f.AddWebhook(srv.URL, demoWebhookSecret, events.Types...)
	f.Advance(time.Minute) // Alice signs in after the app started
	d := &demoRun{w: w, fake: f, state: state, hook: hook, hookSrv: srv, indent: "   ",
		client: f.Client(authz.WithFreshness(state)), verifier: f.Verifier(token.WithRevocationCheck(state.Revoked))}
	return d, nil
}

func (d *demoRun) close() {
	d.client.Close()
	d.verifier.Close()
	d.fake.Close()
	d.hookSrv.Close()
}

// cost counts the calls the fake received since the last takeCost: API
// calls, and JWKS fetches apart (they are not API calls).
type cost struct{ api, jwks int }

func (d *demoRun) takeCost() cost {
	jwks := d.fake.JWKSFetches()
	c := cost{api: len(d.fake.Calls()), jwks: jwks - d.jwksSeen}
	d.jwksSeen = jwks
	d.apiCalls += c.api
	d.fake.ResetCalls()
	return c
}

func (c cost) String() string {
	s := plural(c.api, "API call")
	if c.jwks > 0 {
		s += fmt.Sprintf(" (%s)", plural(c.jwks, "JWKS fetch"))
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "h") {
		return fmt.Sprintf("%d %ses", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func (d *demoRun) printf(format string, args ...any) { fmt.Fprintf(d.w, format, args...) }

// expect prints a decision and notes when it is not the documented one.
func (d *demoRun) expect(got, want authz.Decision) {
	d.printf("%s→ %s, answered by %s%s\n", d.indent, got, got.Source, staleNote(got))
	if got != want {
		d.surprises++
		d.printf("%s!! the documented answer is %s, answered by %s%s\n", d.indent, want, want.Source, staleNote(want))
	}
}

// staleNote says when the token layer declined a token a change made stale.
func staleNote(d authz.Decision) string {
	if d.TokenStale {
		return " (the token was stale)"
	}
	return ""
}

// refused asks a question whose reference names another organization than
// the session's, and prints the deny nothing was asked for.
func (d *demoRun) refused(ctx context.Context, c *token.Claims, permission string, r authz.ResourceRef) error {
	d.questions++
	got, err := d.client.Check(ctx, c, permission, r)
	switch {
	case errors.Is(err, authz.ErrOrganizationMismatch):
		d.printf("%s→ denied: organization mismatch, nothing asked\n", d.indent)
	case err != nil:
		return err
	default:
		d.printf("%s→ %s, answered by %s\n", d.indent, got, got.Source)
		d.surprises++
		d.printf("%s!! the documented answer is denied: organization mismatch, nothing asked\n", d.indent)
	}
	return nil
}

var (
	engineering = authz.ExternalResource("workspace", "eng")
	web         = authz.ExternalResource("project", "web")
	research    = authz.ResourceID("authz_resource_research").InOrganization("org_globex")
)

// demoProjects is the app's own table of Engineering's projects: external
// ID → organization. legacy is a row the app has and WorkOS does not.
var demoProjects = []string{"web", "api", "docs", "infra", "legacy"}

func (d *demoRun) run(ctx context.Context) error {
	d.printf(`fgakit demo: organization Acme → workspace Engineering → project Web

Alice (om_alice) is a member of Acme. Her organization role, member, grants
workspace:view organization-wide, so her session token carries it. She is
also workspace-admin on Engineering, which grants project:edit on the
projects below it (Web, API, Docs, Infra). Bob (om_bob) is a member with no
resource role. Globex, another organization, owns workspace Research.

`)
	d.takeCost() // the fake's own setup is not part of the demo
	d.apiCalls = 0
	allowedBy := func(s authz.Source) authz.Decision { return authz.Decision{Allowed: true, Source: s} }
	deniedByAPI := authz.Decision{Source: authz.SourceAPI}

	// 1. The session.
	d.printf("1. Verify Alice's session token with the fake's JWKS\n")
	alice, err := d.verifier.Verify(ctx, d.fake.Session("om_alice"))
	if err != nil {
		return fmt.Errorf("step 1: %w", err)
	}
	d.printf("   → verified: %s in %s, membership %s\n", alice.Subject, alice.OrganizationID, alice.OrganizationMembershipID)
	d.printf("     organization role %s, permissions %v\n", alice.Role, alice.Permissions)
	d.printf("   cost: %s\n\n", d.takeCost())
	bob, err := d.verifier.Verify(ctx, d.fake.Session("om_bob"))
	if err != nil {
		return fmt.Errorf("step 1: %w", err)
	}
	d.takeCost()

	// 2. Organization-wide permission: the token answers.
	d.printf("2. Can Alice view workspace Engineering? (workspace:view on workspace:eng,\n")
	d.printf("   which the app's own records place in org_acme)\n")
	if err := d.check(ctx, alice, "workspace:view", engineering.InOrganization("org_acme"), allowedBy(authz.SourceToken)); err != nil {
		return fmt.Errorf("step 2: %w", err)
	}
	d.printf("   the token grants workspace:view across Acme, and the resource is named\n")
	d.printf("   in Acme (InOrganization): no API call\n")
	d.printf("   cost: %s\n\n", d.takeCost())

	// 3. The same question without InOrganization: the API answers.
	d.printf("3. The same question, workspace:eng named without its organization\n")
	if err := d.check(ctx, alice, "workspace:view", engineering, allowedBy(authz.SourceAPI)); err != nil {
		return fmt.Errorf("step 3: %w", err)
	}
	d.printf("   the token grants workspace:view, yet the API was asked: an external ID\n")
	d.printf("   alone may be another organization's (Globex may have an eng too), and\n")
	d.printf("   the token holds only for Acme; the API looks eng up in Alice's own\n")
	d.printf("   organization. Name the organization from your records to save the call.\n")
	d.printf("   cost: %s\n\n", d.takeCost())

	// 4. Resource-scoped role: the API answers.
	d.printf("4. Can Alice edit project Web? (project:edit on project:web)\n")
	if err := d.check(ctx, alice, "project:edit", web, allowedBy(authz.SourceAPI)); err != nil {
		return fmt.Errorf("step 4: %w", err)
	}
	d.printf("   resource roles are never in the token; the API finds workspace-admin on\n")
	d.printf("   Engineering, the parent of Web\n")
	d.printf("   cost: %s\n\n", d.takeCost())

	// 5. Bob.
	d.printf("5. Can Bob edit project Web?\n")
	if err := d.check(ctx, bob, "project:edit", web, deniedByAPI); err != nil {
		return fmt.Errorf("step 5: %w", err)
	}
	d.printf("   cost: %s\n\n", d.takeCost())

	// 6. Many identical checks at once share one call.
	d.printf("6. %d concurrent requests ask at once: can Alice edit project Web?\n", demoConcurrency)
	if err := d.concurrent(ctx, alice); err != nil {
		return fmt.Errorf("step 6: %w", err)
	}
	d.printf("   cost: %s\n\n", d.takeCost())

	// 7. A list filtered with one discovery listing.
	d.printf("7. Which of Engineering's projects may Alice edit? The app's table lists\n")
	d.printf("   %s; legacy is a row WorkOS does not know\n", strings.Join(demoProjects, ", "))
	if err := d.filter(ctx, alice); err != nil {
		return fmt.Errorf("step 7: %w", err)
	}
	d.printf("   ChildrenOf(Engineering): one discovery listing of the projects she may\n")
	d.printf("   edit instead of a check per project; legacy, absent from it, is denied\n")
	d.printf("   cost: %s\n\n", d.takeCost())

	// 8. The middleware.
	d.printf("8. The HTTP middleware guards GET /projects/{id} with project:edit\n")
	if err := d.middleware(ctx); err != nil {
		return fmt.Errorf("step 8: %w", err)
	}
	d.printf("   the resource function looks the project up in the app's table: an\n")
	d.printf("   unknown one is answered 404 without an API call\n")
	d.printf("   cost: %s\n\n", d.takeCost())

	// 9. Revocation is seen by the very next check.
	d.printf("9. Revoke Alice's workspace-admin role on Engineering, then ask again:\n")
	d.printf("   can Alice edit project Web?\n")
	if err := d.revoke(ctx); err != nil {
		return fmt.Errorf("step 9: %w", err)
	}
	d.printf("   revoked: %s\n", d.takeCost())
	if err := d.check(ctx, alice, "project:edit", web, deniedByAPI); err != nil {
		return fmt.Errorf("step 9: %w", err)
	}
	d.printf("   current by default: no cache kept the old answer\n")
	d.printf("   cost: %s\n\n", d.takeCost())

	// 10. A resource named in another organization: refused, nothing asked.
	d.indent = "    " // under "10. "
	d.printf("10. Can Alice view workspace Research, which belongs to Globex?\n")
	d.printf("    (workspace:view on authz_resource_research in org_globex)\n")
	if err := d.refused(ctx, alice, "workspace:view", research); err != nil {
		return fmt.Errorf("step 10: %w", err)
	}
	d.printf("    the reference names Globex and her session is Acme's: a call that names\n")
	d.printf("    a resource's organization never acts in another one, so no layer\n")
	d.printf("    answered and nothing was sent. The middleware answers 403 and fgakit\n")
	d.printf("    check exits 1: a deny.\n")
	d.printf("    cost: %s\n\n", d.takeCost())

	// 11. The same resource named without its organization: the API's 404.
	d.printf("11. The same question, authz_resource_research named without its\n")
	d.printf("    organization\n")
	if err := d.check(ctx, alice, "workspace:view", authz.ResourceID(research.ID), authz.Decision{Source: authz.SourceAPI, NotFound: true}); err != nil {
		return fmt.Errorf("step 11: %w", err)
	}
	d.printf("    the API looks the ID up in Alice's organization and answers 404, \"not\n")
	d.printf("    found\": the resource, the membership or the permission does not exist in\n")
	d.printf("    the membership's organization, which is how another organization's\n")
	d.printf("    resource looks. A deny too: fgakit check exits 1.\n")
	d.printf("    cost: %s\n\n", d.takeCost())

	// 12. A demotion reaches the token layer through a webhook.
	d.printf("12. An admin demotes Alice from member to guest (a role without\n")
	d.printf("    workspace:view); WorkOS tells the app with a signed webhook. Can Alice,\n")
	d.printf("    with her token from step 1, still view workspace Engineering?\n")
	if err := d.demote(ctx); err != nil {
		return fmt.Errorf("step 12: %w", err)
	}
	if err := d.check(ctx, alice, "workspace:view", engineering.InOrganization("org_acme"),
		authz.Decision{Source: authz.SourceAPI, TokenStale: true}); err != nil {
		return fmt.Errorf("step 12: %w", err)
	}
	d.printf("    her token still lists workspace:view, but it was issued before the\n")
	d.printf("    change, so the token layer declined it (in step 2 it answered) and\n")
	d.printf("    the API answered with her current role.\n")
	d.printf("    cost: %s\n\n", d.takeCost())

	d.printf("In all: %d questions for %s, plus 2 to revoke a role and demote Alice.\n", d.questions, plural(d.apiCalls-2, "API call"))
	d.printf("The same model as a server: go run ./cmd/fgakit serve --fixture cmd/fgakit/demo.json\n")
	return nil
}

// filter asks which of the app's projects Alice may edit, with one
// discovery listing under Engineering.
func (d *demoRun) filter(ctx context.Context, alice *token.Claims) error {
	d.questions += len(demoProjects)
	ref := func(p string) authz.ResourceRef {
		return authz.ExternalResource("project", p).InOrganization("org_acme")
	}
	editable, err := authz.Filter(ctx, d.client, alice, "project:edit", demoProjects, ref,
		authz.ChildrenOf(engineering.InOrganization("org_acme")))
	if err != nil {
		return err
	}
	d.printf("   → %s\n", strings.Join(editable, ", "))
	if want := demoProjects[:4]; strings.Join(editable, ",") != strings.Join(want, ",") {
		d.surprises++
		d.printf("   !! the documented answer is %s\n", strings.Join(want, ", "))
	}
	return nil
}

// middleware sends three requests through a Middleware: Alice and Bob on
// Web, and Alice on a project the app does not know.
func (d *demoRun) middleware(ctx context.Context) error {
	known := map[string]bool{}
	for _, p := range demoProjects[:4] {
		known[p] = true
	}
	project := func(r *http.Request) (authz.ResourceRef, error) {
		id := r.PathValue("id")
		if !known[id] {
			return authz.ResourceRef{}, authz.ErrNotFound // not in the app's table
		}
		return authz.ExternalResource("project", id).InOrganization("org_acme"), nil
	}
	mw := d.client.Middleware(d.verifier)
	mux := http.NewServeMux()
	mux.Handle("GET /projects/{id}", mw.RequireResource("project:edit", project)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "project %s", r.PathValue("id"))
	})))
	for _, tc := range []struct {
		who, om, path string
		want          int
	}{
		{"Alice", "om_alice", "/projects/web", http.StatusOK},
		{"Bob", "om_bob", "/projects/web", http.StatusForbidden},
		{"Alice", "om_alice", "/projects/nope", http.StatusNotFound},
	} {
		d.questions++
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+d.fake.Session(tc.om))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		d.printf("   GET %-15s as %-5s → %d %s\n", tc.path, tc.who, rec.Code, http.StatusText(rec.Code))
		if rec.Code != tc.want {
			d.surprises++
			d.printf("   !! the documented answer is %d\n", tc.want)
		}
	}
	return nil
}

func (d *demoRun) check(ctx context.Context, c *token.Claims, permission string, r authz.ResourceRef, want authz.Decision) error {
	d.questions++
	got, err := d.client.Check(ctx, c, permission, r)
	if err != nil {
		return err
	}
	d.expect(got, want)
	return nil
}

// concurrent runs demoConcurrency identical checks released at the same
// moment and prints how they were answered.
func (d *demoRun) concurrent(ctx context.Context, alice *token.Claims) error {
	// The first check call waits a moment before the fake answers it, as
	// over a real network, so every request surely joins the one in flight.
	d.fake.InjectFault(authztest.Fault{
		Path:  "/authorization/organization_memberships/om_alice/check",
		Delay: 100 * time.Millisecond,
	})
	defer d.fake.ClearFaults()
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		results = make([]authz.Decision, demoConcurrency)
		errs    = make([]error, demoConcurrency)
	)
	for i := range demoConcurrency {
		wg.Go(func() {
			<-start
			results[i], errs[i] = d.client.Check(ctx, alice, "project:edit", web)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.questions += demoConcurrency
	allowed := 0
	bySource := map[authz.Source]int{}
	for _, r := range results {
		if r.Allowed {
			allowed++
		}
		bySource[r.Source]++
	}
	d.printf("   → %d allowed, %d denied: %d answered by api, %d shared that answer\n",
		allowed, demoConcurrency-allowed, bySource[authz.SourceAPI], bySource[authz.SourceShared])
	if allowed != demoConcurrency || bySource[authz.SourceAPI] != 1 || bySource[authz.SourceShared] != demoConcurrency-1 {
		d.surprises++
		d.printf("   !! the documented answer is %d allowed: 1 answered by api, %d shared\n", demoConcurrency, demoConcurrency-1)
	}
	return nil
}

// revoke removes Alice's workspace-admin role on Engineering through the
// client's management API (DELETE …/role_assignments with a JSON body).
func (d *demoRun) revoke(ctx context.Context) error {
	return d.client.RemoveRole(ctx, "om_alice", "workspace-admin", engineering)
}

// demote changes Alice's organization role to guest through the client's
// management API (PUT /user_management/organization_memberships/om_alice),
// has the fake deliver the organization_membership.updated event it
// emitted to the app's webhook, and prints what the webhook did with it.
func (d *demoRun) demote(ctx context.Context) error {
	d.fake.Advance(time.Minute) // a minute after Alice signed in
	if _, err := d.client.UpdateMembership(ctx, "om_alice", authz.UpdateMembershipParams{RoleSlug: "guest"}); err != nil {
		return err
	}
	d.printf("%sdemoted: %s\n", d.indent, d.takeCost())
	if err := d.fake.DeliverWebhooks(ctx); err != nil {
		return err
	}
	for _, dl := range d.fake.WebhookDeliveries() {
		d.printf("%swebhook %s → %d %s\n", d.indent, dl.Event, dl.Status, http.StatusText(dl.Status))
	}
	st := d.hook.Stats()
	d.printf("%sverified and applied: %d, refused: %d\n", d.indent, st.Accepted, st.Forged+st.Expired+st.Malformed+st.Oversized)
	if st != (events.WebhookStats{Accepted: 1}) {
		d.surprises++
		d.printf("%s!! the documented outcome is 1 event verified and applied\n", d.indent)
	}
	return nil
}
