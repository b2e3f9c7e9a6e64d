package authz

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fgakit/fgakit/token"
)

// stubFreshness calls every claims stale when stale is set, and records
// its watcher.
type stubFreshness struct {
	stale   atomic.Bool
	changed func(string)
	stopped atomic.Bool
}

func (s *stubFreshness) Stale(*token.Claims, string) bool { return s.stale.Load() }
func (s *stubFreshness) Watch(f func(string)) func() {
	s.changed = f
	return func() { s.stopped.Store(true) }
}

func TestWithFreshness(t *testing.T) {
	t.Parallel()
	if _, err := New(testKey, WithFreshness(nil)); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("WithFreshness(nil): %v", err)
	}
	f := &stubFreshness{}
	c, err := New(testKey, WithFreshness(f))
	if err != nil {
		t.Fatal(err)
	}
	claims := &token.Claims{OrganizationID: "org_1", Permissions: []string{"p"}}
	r := ResourceID("authz_resource_1").InOrganization("org_1")
	tl := c.Token()
	if !tl.HasPermission(claims, "p") || !tl.Allows(claims, "p", r) {
		t.Error("fresh claims are not trusted")
	}
	f.stale.Store(true)
	if tl.HasPermission(claims, "p") || tl.Allows(claims, "p", r) {
		t.Error("stale claims are trusted")
	}
	var zero TokenLayer
	if !zero.Allows(claims, "p", r) {
		t.Error("the zero TokenLayer consults a Freshness")
	}
	gen := c.gen.Load()
	f.changed("om_1")
	f.changed("")
	if c.gen.Load() != gen+2 {
		t.Error("a change did not bump the generation")
	}
	c.Close()
	if !f.stopped.Load() {
		t.Error("Close did not stop watching")
	}
}

// TestStaleTokenWithoutMembership: a token without the membership claim
// that the Freshness calls stale cannot be asked of the API; the check
// fails closed with token.ErrNoMembership, and says that the token was
// stale (Decision.TokenStale, and the error's text), so that a caller or a
// metric can tell a demotion from a missing JWT template.
func TestStaleTokenWithoutMembership(t *testing.T) {
	t.Parallel()
	f := &stubFreshness{}
	f.stale.Store(true)
	c, err := New(testKey, WithFreshness(f))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	claims := &token.Claims{OrganizationID: "org_1", Permissions: []string{"p"}}
	r := ResourceID("authz_resource_1").InOrganization("org_1")
	d, err := c.Check(t.Context(), claims, "p", r)
	if !errors.Is(err, token.ErrNoMembership) || d.Allowed || !d.TokenStale {
		t.Errorf("Check = %+v (TokenStale %v), %v; want not allowed, TokenStale, ErrNoMembership", d, d.TokenStale, err)
	}
	if err != nil && !strings.Contains(err.Error(), "stale") {
		t.Errorf("Check error %q does not say the token is stale", err)
	}
	_, err = c.CheckMany(t.Context(), claims, "p", []ResourceRef{r})
	if !errors.Is(err, token.ErrNoMembership) || !strings.Contains(err.Error(), "stale") {
		t.Errorf("CheckMany error %v, want ErrNoMembership saying the token is stale", err)
	}
	// Not stale and not granted by the token: the plain error.
	f.stale.Store(false)
	if d, err := c.Check(t.Context(), claims, "q", r); !errors.Is(err, token.ErrNoMembership) || d.TokenStale || strings.Contains(err.Error(), "stale") {
		t.Errorf("Check of a permission the token lacks = %+v, %v", d, err)
	}
}
