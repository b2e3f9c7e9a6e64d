package events_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// An admin demotes Alice; the organization_membership.updated event
// arrives as a signed webhook. Alice's token, issued before, still lists
// the permission, but the token layer no longer answers for it: the API
// does, and denies. Then her session is revoked, and her token is refused.
func ExampleState() {
	start := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	f, err := authztest.NewServer("127.0.0.1:0", authztest.WithClock(start))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	f.AddResourceType("workspace", "organization")
	f.AddPermission("workspace:view", "workspace")
	f.AddRole("admin", "organization", "workspace:view")
	f.AddRole("viewer", "organization")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "admin")
	eng := authz.ResourceID(f.AddResource(authztest.Resource{ExternalID: "eng", ResourceTypeSlug: "workspace", OrganizationID: "org_acme"})).InOrganization("org_acme")

	// The wiring: one State, fed by webhooks (and/or a Poller), read by
	// the Client and the Verifier.
	state, _ := events.NewState(events.WithTimeFunc(f.Now))
	hook, _ := events.NewWebhook(state, "whsec_example")
	client := f.Client(authz.WithFreshness(state))
	defer client.Close()
	verifier := f.Verifier(token.WithRevocationCheck(state.Revoked))
	defer verifier.Close()

	ctx := context.Background()
	f.Advance(10 * time.Second)
	raw := f.Session("om_alice")
	claims, _ := verifier.Verify(ctx, raw)
	d, _ := client.Check(ctx, claims, "workspace:view", eng)
	fmt.Printf("before: allowed=%v source=%v\n", d.Allowed, d.Source)

	deliver := func(typ, data string) {
		body := fmt.Sprintf(`{"object":"event","id":"event_%s","event":%q,"data":%s,"created_at":%q}`,
			typ, typ, data, f.Now().Format(time.RFC3339Nano))
		req := httptest.NewRequest(http.MethodPost, "/webhooks/workos", strings.NewReader(body))
		req.Header.Set(events.SignatureHeader, events.Sign("whsec_example", f.Now(), []byte(body)))
		rec := httptest.NewRecorder()
		hook.ServeHTTP(rec, req)
		fmt.Println("webhook:", rec.Code)
	}

	f.Advance(time.Minute)
	f.SetMembershipRoles("om_alice", "viewer")
	deliver("organization_membership.updated", `{"object":"organization_membership","id":"om_alice","user_id":"user_alice","organization_id":"org_acme","status":"active","role":{"slug":"viewer"}}`)
	d, _ = client.Check(ctx, claims, "workspace:view", eng)
	fmt.Printf("after demotion: allowed=%v source=%v stale=%v\n", d.Allowed, d.Source, d.TokenStale)

	deliver("session.revoked", fmt.Sprintf(`{"object":"session","id":%q,"user_id":"user_alice","status":"revoked"}`, claims.SessionID))
	_, err = verifier.Verify(ctx, raw)
	fmt.Println("revoked session:", errors.Is(err, token.ErrSessionRevoked))
	// Output:
	// before: allowed=true source=token
	// webhook: 200
	// after demotion: allowed=false source=api stale=true
	// webhook: 200
	// revoked session: true
}

// Sign makes the WorkOS-Signature header of a payload, for your own tests;
// VerifySignature checks one as the Webhook handler does.
func ExampleSign() {
	body := []byte(`{"object":"event","id":"event_1","event":"session.revoked","data":{"id":"session_1"},"created_at":"2026-01-15T12:00:00.000Z"}`)
	at := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	header := events.Sign("whsec_test", at, body)
	fmt.Println(header[:16])
	fmt.Println(events.VerifySignature(header, body, "whsec_test", at.Add(time.Minute), events.DefaultTolerance))
	err := events.VerifySignature(header, body, "whsec_other", at, events.DefaultTolerance)
	fmt.Println(errors.Is(err, events.ErrSignature))
	err = events.VerifySignature(header, body, "whsec_test", at.Add(time.Hour), events.DefaultTolerance)
	fmt.Println(errors.Is(err, events.ErrTimestamp))
	// Output:
	// t=1768478400000,
	// <nil>
	// true
	// true
}
