package authz

import (
	"errors"
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
