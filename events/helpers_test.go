package events_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/events"
	"github.com/fgakit/fgakit/token"
)

// t0 is when every test's fake clock starts.
var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

const (
	org        = "org_acme"
	om         = "om_alice"
	user       = "user_alice"
	permission = "workspace:view"
	secret     = "whsec_test"
)

// env is one test's world: the fake with Alice an admin of Acme, a State
// on the fake's clock, a Client and a Verifier wired to it, and the
// Engineering workspace (Alice's admin role on the organization grants
// workspace:view on it).
type env struct {
	fake     *authztest.Fake
	state    *events.State
	client   *authz.Client
	verifier *token.Verifier
	eng      authz.ResourceRef
}

func setup(t *testing.T, opts ...events.StateOption) *env {
	t.Helper()
	f := authztest.New(t, authztest.WithClock(t0))
	f.AddResourceType("workspace", "organization")
	f.AddPermission(permission, "workspace")
	f.AddRole("admin", "organization", permission)
	f.AddRole("viewer", "organization")
	f.AddOrganization(org, "Acme")
	f.AddMembership(om, user, org, "admin")
	eng := f.AddResource(authztest.Resource{ExternalID: "eng", Name: "Engineering", ResourceTypeSlug: "workspace", OrganizationID: org})
	s, err := events.NewState(append([]events.StateOption{events.WithTimeFunc(f.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &env{
		fake:     f,
		state:    s,
		client:   f.Client(authz.WithFreshness(s)),
		verifier: f.Verifier(token.WithRevocationCheck(s.Revoked)),
		eng:      authz.ResourceID(eng).InOrganization(org),
	}
}

// session mints and verifies a token for Alice now.
func (e *env) session(t *testing.T) *token.Claims {
	t.Helper()
	c, err := e.verifier.Verify(t.Context(), e.fake.Session(om))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// event returns an event of type typ with data, stamped with the fake's
// clock, as WorkOS sends it.
func (e *env) event(t *testing.T, id, typ string, data map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"object": "event", "id": id, "event": typ, "data": data,
		"created_at": e.fake.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"context":    map[string]any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// apply feeds body to the State, directly or as a signed webhook post.
func (e *env) apply(t *testing.T, via string, body []byte) {
	t.Helper()
	switch via {
	case "state":
		ev, err := events.ParseEvent(body)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.state.Apply(ev); err != nil {
			t.Fatal(err)
		}
	case "webhook":
		h, err := events.NewWebhook(e.state, secret)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		if code := post(t, srv.URL, body, events.Sign(secret, e.fake.Now(), body)); code != http.StatusOK {
			t.Fatalf("webhook answered %d", code)
		}
	default:
		t.Fatalf("via %q", via)
	}
}

// post sends a webhook delivery and returns the status.
func post(t *testing.T, url string, body []byte, sig string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(events.SignatureHeader, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
