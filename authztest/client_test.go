package authztest_test

// These tests run the production authz.Client and token.Verifier against
// the fake, as a user's tests would.

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/token"
)

// fastRetries keeps retried calls quick in tests.
var fastRetries = authz.WithRetry(authz.RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxRetryAfter: time.Second})

// alice sets up the docs' example and returns the fake, the IDs of web
// (under eng, where Alice is workspace-admin) and crm (under sales), and
// Alice's verified claims.
func alice(t *testing.T, opts ...authztest.Option) (f *authztest.Fake, web, crm string, claims *token.Claims) {
	t.Helper()
	f = authztest.New(t, append([]authztest.Option{authztest.WithClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))}, opts...)...)
	f.AddResourceType("workspace")
	f.AddResourceType("project", "workspace")
	f.AddPermission("workspace:view", "workspace")
	f.AddPermission("project:edit", "project")
	f.AddRole("member", "organization", "workspace:view")
	f.AddRole("workspace-admin", "workspace", "workspace:view", "project:edit")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "member")
	eng := f.AddResource(authztest.Resource{ExternalID: "eng", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
	sales := f.AddResource(authztest.Resource{ExternalID: "sales", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})
	web = f.AddResource(authztest.Resource{ExternalID: "web", ResourceTypeSlug: "project", OrganizationID: "org_acme", ParentResourceID: eng})
	crm = f.AddResource(authztest.Resource{ExternalID: "crm", ResourceTypeSlug: "project", OrganizationID: "org_acme", ParentResourceID: sales})
	f.Assign("om_alice", "workspace-admin", eng)
	claims, err := f.Verifier().Verify(t.Context(), f.Session("om_alice"))
	if err != nil {
		t.Fatal(err)
	}
	return f, web, crm, claims
}

func TestClientAgainstFake(t *testing.T) {
	t.Parallel()
	f, web, crm, claims := alice(t)
	c := f.Client()
	ctx := t.Context()
	for _, tc := range []struct {
		resource authz.ResourceRef
		want     authz.Decision
	}{
		{authz.ResourceID(web), authz.Decision{Allowed: true, Source: authz.SourceAPI}},
		{authz.ExternalResource("project", "web"), authz.Decision{Allowed: true, Source: authz.SourceAPI}},
		{authz.ResourceID(crm), authz.Decision{Allowed: false, Source: authz.SourceAPI}},
	} {
		d, err := c.Check(ctx, claims, "project:edit", tc.resource)
		if err != nil || d != tc.want {
			t.Errorf("Check(%+v) = %+v, %v; want %+v", tc.resource, d, err, tc.want)
		}
	}
	// An unknown resource is a deny that says so (the API answered 404),
	// never a grant.
	d, err := c.Check(ctx, claims, "project:edit", authz.ResourceID("authz_resource_nope"))
	if err != nil || d != (authz.Decision{Source: authz.SourceAPI, NotFound: true}) {
		t.Errorf("unknown resource: %+v, %v; want denied: not found", d, err)
	}
}

func TestConcurrentIdenticalChecksCostOneCall(t *testing.T) {
	t.Parallel()
	f, web, _, claims := alice(t)
	c := f.Client()
	// Hold the one call long enough for every caller to join it, on a
	// loaded machine too.
	f.InjectFault(authztest.Fault{Delay: 2 * time.Second})
	f.ResetCalls()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 200 {
		wg.Go(func() {
			d, err := c.Check(t.Context(), claims, "project:edit", authz.ResourceID(web))
			if err != nil || !d.Allowed {
				errs <- fmt.Errorf("%+v, %v", d, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(f.Calls()); n != 1 {
		t.Errorf("200 identical concurrent checks made %d calls, want 1", n)
	}
}

func TestRevocationThroughClientDeniesNextCheck(t *testing.T) {
	t.Parallel()
	f, web, _, claims := alice(t)
	c := f.Client()
	ctx := t.Context()
	eng := authz.ExternalResource("workspace", "eng")
	if err := c.RemoveRole(ctx, "om_alice", "workspace-admin", eng); err != nil {
		t.Fatal(err)
	}
	d, err := c.Check(ctx, claims, "project:edit", authz.ResourceID(web))
	if err != nil || d.Allowed {
		t.Errorf("after revocation: %+v, %v", d, err)
	}
}

func TestFaultsNeverAllow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault authztest.Fault
		ctx   time.Duration // caller deadline; 0 = none
		want  error
	}{
		{"500", authztest.Fault{Status: 500, Times: -1}, 0, authz.ErrServer},
		{"429 with Retry-After", authztest.Fault{Status: 429, RetryAfter: "0", Times: -1}, 0, authz.ErrRateLimited},
		{"malformed body", authztest.Fault{Malformed: true, Times: -1}, 0, authz.ErrMalformedResponse},
		{"dropped connection", authztest.Fault{Drop: true, Times: -1}, 0, nil},
		{"timeout", authztest.Fault{Delay: time.Minute, Times: -1}, 100 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, web, _, claims := alice(t)
			c := f.Client(fastRetries)
			f.InjectFault(tc.fault)
			ctx := t.Context()
			if tc.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctx)
				defer cancel()
			}
			d, err := c.Check(ctx, claims, "project:edit", authz.ResourceID(web))
			if err == nil || d.Allowed {
				t.Fatalf("Check = %+v, %v; want an error and no grant", d, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			f.ClearFaults()
		})
	}
}

func TestIterateResourcesThroughClient(t *testing.T) {
	t.Parallel()
	f := authztest.New(t)
	f.AddResourceType("workspace")
	f.AddOrganization("org_big", "Big")
	want := map[string]bool{}
	for i := range 1050 {
		want[f.AddResource(authztest.Resource{ExternalID: fmt.Sprintf("ws-%d", i), ResourceTypeSlug: "workspace", OrganizationID: "org_big"})] = true
	}
	c := f.Client()
	seen := map[string]bool{}
	for r, err := range c.ListResources(t.Context(), authz.ListResourcesOptions{OrganizationID: "org_big", ResourceTypeSlug: "workspace", ListOptions: authz.ListOptions{Limit: 100}}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[r.ID] || !want[r.ID] {
			t.Fatalf("unexpected or repeated %s", r.ID)
		}
		seen[r.ID] = true
	}
	if len(seen) != 1050 {
		t.Errorf("saw %d resources, want 1050", len(seen))
	}
	if n := len(f.Calls()); n != 11 {
		t.Errorf("%d requests, want 11", n)
	}
}

func TestVerifierOnFakeClock(t *testing.T) {
	t.Parallel()
	f := authztest.New(t, authztest.WithClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)))
	f.AddOrganization("org_acme", "Acme")
	f.AddRole("member", "organization")
	f.AddMembership("om_alice", "user_alice", "org_acme", "member")
	v := f.Verifier()
	raw := f.Session("om_alice")
	for range 3 {
		claims, err := v.Verify(t.Context(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if claims.OrganizationMembershipID != "om_alice" || claims.Subject != "user_alice" || !claims.HasRole("member") {
			t.Errorf("claims = %+v", claims)
		}
	}
	if n := f.JWKSFetches(); n != 1 {
		t.Errorf("%d JWKS fetches for one key, want 1", n)
	}
	f.Advance(6 * time.Minute)
	if _, err := v.Verify(t.Context(), raw); !errors.Is(err, token.ErrExpired) {
		t.Errorf("after expiry: %v, want ErrExpired", err)
	}
	claims, err := v.Verify(t.Context(), f.Session("om_alice", authztest.SessionWithoutMembership()))
	if err != nil || claims.OrganizationMembershipID != "" {
		t.Errorf("token without membership: %+v, %v", claims, err)
	}
}

func TestVerifierFollowsKeyRotation(t *testing.T) {
	t.Parallel()
	f := authztest.New(t)
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "")
	v := f.Verifier()
	if _, err := v.Verify(t.Context(), f.Session("om_alice")); err != nil {
		t.Fatal(err)
	}
	f.RotateKey()
	// Within the verifier's refetch cooldown the new kid is unknown; once
	// the fake's clock has passed it, the verifier fetches the new key.
	if _, err := v.Verify(t.Context(), f.Session("om_alice")); !errors.Is(err, token.ErrUnknownKey) {
		t.Errorf("within the cooldown: %v, want ErrUnknownKey", err)
	}
	f.Advance(token.DefaultRefreshCooldown + time.Second)
	if _, err := v.Verify(t.Context(), f.Session("om_alice")); err != nil {
		t.Fatalf("a token signed with the rotated key: %v", err)
	}
	if n := f.JWKSFetches(); n != 2 {
		t.Errorf("%d JWKS fetches, want 2 (one refetch for the new kid)", n)
	}
}

// TestClientRetriesFast: Fake.Client retries as production does (so a
// single fault is absorbed) but milliseconds apart, and a fault for every
// attempt fails the call at once rather than after seconds of backoff.
func TestClientRetriesFast(t *testing.T) {
	t.Parallel()
	maxAttempts := authztest.RetryPolicy().MaxRetries + 1
	tests := []struct {
		name      string
		fault     authztest.Fault
		opts      []authz.Option
		wantErr   error // nil: allowed
		wantCalls int
	}{
		{"one 500 is absorbed by a retry", authztest.Fault{Status: 500}, nil, nil, 2},
		{"500 on every attempt fails closed", authztest.Fault{Status: 500, Times: -1}, nil, authz.ErrServer, maxAttempts},
		{"500 for MaxRetries+1 attempts fails closed", authztest.Fault{Status: 503, Times: maxAttempts}, nil, authz.ErrServer, maxAttempts},
		{"500 for MaxRetries attempts is survived", authztest.Fault{Status: 502, Times: maxAttempts - 1}, nil, nil, maxAttempts},
		{"Retry-After of a second is not waited for", authztest.Fault{Status: 429, RetryAfter: "1", Times: -1}, nil, authz.ErrRateLimited, 1},
		{"the user's policy wins", authztest.Fault{Status: 500}, []authz.Option{authz.WithRetry(authz.RetryPolicy{})}, authz.ErrServer, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, web, _, claims := alice(t)
			c := f.Client(tc.opts...)
			f.InjectFault(tc.fault)
			f.ResetCalls()
			start := time.Now()
			d, err := c.Check(t.Context(), claims, "project:edit", authz.ResourceID(web))
			elapsed := time.Since(start)
			if tc.wantErr == nil && (err != nil || !d.Allowed) {
				t.Errorf("Check = %+v, %v; want allowed", d, err)
			}
			if tc.wantErr != nil && (!errors.Is(err, tc.wantErr) || d.Allowed) {
				t.Errorf("Check = %+v, %v; want not allowed and %v", d, err, tc.wantErr)
			}
			if n := len(f.Calls()); n != tc.wantCalls {
				t.Errorf("%d calls, want %d", n, tc.wantCalls)
			}
			// The production policy waits at least 0.25+0.375+0.56 s for
			// three retries; the test policy a few milliseconds.
			if elapsed > time.Second {
				t.Errorf("the check took %v: the client backed off as in production", elapsed)
			}
		})
	}
}

// Two fakes stand for two environments (client_staging, client_prod). They
// share one RSA key to keep tests fast, but a token minted by one is
// rejected by the other's verifier — as an unknown key, the way a
// production verifier rejects a token of another WorkOS environment — and
// each fake's own tokens still verify.
func TestFakesRejectEachOthersTokens(t *testing.T) {
	t.Parallel()
	newEnv := func(clientID string) *authztest.Fake {
		f := authztest.New(t, authztest.WithClientID(clientID))
		f.AddOrganization("org_acme", "Acme")
		f.AddMembership("om_alice", "user_alice", "org_acme", "")
		return f
	}
	staging, prod := newEnv("client_staging"), newEnv("client_prod")
	if !staging.PublicKey().Equal(prod.PublicKey()) {
		t.Error("the fakes of one process no longer share their key: each fake generates one, which is slow")
	}
	if staging.KeyID() == prod.KeyID() {
		t.Fatalf("both fakes sign under kid %s", prod.KeyID())
	}

	tests := []struct {
		name    string
		verify  *authztest.Fake
		minted  *authztest.Fake
		wantErr error
	}{
		{"staging token, prod verifier", prod, staging, token.ErrUnknownKey},
		{"prod token, staging verifier", staging, prod, token.ErrUnknownKey},
		{"prod token, prod verifier", prod, prod, nil},
		{"staging token, staging verifier", staging, staging, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.verify.Verifier().Verify(t.Context(), tt.minted.Session("om_alice"))
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}

	// The same with a static key set built from the other fake's JWKS.
	ks := token.NewStaticKeySet(map[string]crypto.PublicKey{prod.KeyID(): prod.PublicKey()})
	v, err := token.NewVerifier("", token.WithKeySet(ks), token.WithTimeFunc(prod.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(t.Context(), staging.Session("om_alice")); !errors.Is(err, token.ErrUnknownKey) {
		t.Errorf("staging token against prod's static keys: %v, want ErrUnknownKey", err)
	}
}
