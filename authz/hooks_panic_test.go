package authz_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/token"
)

// panickyCache is a decision cache whose every lookup panics.
type panickyCache struct{}

func (panickyCache) Get(cache.Key) (bool, bool) { panic("cache down") }
func (panickyCache) Add(cache.Key, bool)        {}
func (panickyCache) ForgetMembership(string)    {}
func (panickyCache) Purge()                     {}

// A call that panics — in a hook after the answer, or in the check itself
// (here a decision cache) — still ends the call it started exactly once,
// with an error matching ErrPanic, as the panic unwinds to the caller: a
// span opened by Start is not left open, and nothing is reported allowed.
func TestHooksEndCallOnPanic(t *testing.T) {
	t.Parallel()
	f := hooksFake(t)
	orgWide := &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_alice", Permissions: []string{"project:view"}}
	alice := &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_alice"}
	p1 := authz.ExternalResource("project", "p1").InOrganization("org_acme")
	panicDecision := authz.Hooks{Decision: func(context.Context, authz.DecisionEvent) { panic("hook bug") }}
	for _, tc := range []struct {
		name string
		opts []authz.Option
		call func(*authz.Client) error
	}{
		{"Check, Decision hook panics", []authz.Option{authz.WithHooks(panicDecision)}, func(c *authz.Client) error {
			_, err := c.Check(t.Context(), orgWide, "project:view", p1)
			return err
		}},
		{"Check, cache panics", []authz.Option{authz.WithCache(panickyCache{})}, func(c *authz.Client) error {
			_, err := c.Check(t.Context(), alice, "project:view", p1)
			return err
		}},
		{"ResourceLayer.Check, cache panics", []authz.Option{authz.WithCache(panickyCache{})}, func(c *authz.Client) error {
			_, err := c.API().Check(t.Context(), "om_alice", "project:view", p1)
			return err
		}},
		{"CheckMany, Decision hook panics", []authz.Option{authz.WithHooks(panicDecision)}, func(c *authz.Client) error {
			_, err := c.CheckMany(t.Context(), orgWide, "project:view", []authz.ResourceRef{p1})
			return err
		}},
		{"Filter, cache panics", []authz.Option{authz.WithCache(panickyCache{})}, func(c *authz.Client) error {
			_, err := authz.Filter(t.Context(), c, alice, "project:view", []authz.ResourceRef{p1}, func(r authz.ResourceRef) authz.ResourceRef { return r })
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ends atomic.Int32
			var endErr atomic.Value
			var allowed atomic.Bool
			spans := authz.Hooks{Start: func(ctx context.Context, _ authz.Call) (context.Context, func(authz.CallResult)) {
				return ctx, func(r authz.CallResult) {
					ends.Add(1)
					if r.Err != nil {
						endErr.Store(r.Err)
					}
					if r.Decision.Allowed || len(r.Decisions) > 0 && r.Decisions[0].Allowed {
						allowed.Store(true)
					}
				}
			}}
			// The span hooks come first, as otelfgakit.Instrument() would
			// when given before the user's own hooks.
			c := f.Client(append([]authz.Option{authz.WithHooks(spans)}, tc.opts...)...)
			panicked := func() (p any) {
				defer func() { p = recover() }()
				tc.call(c)
				return nil
			}()
			if panicked == nil {
				t.Fatal("the call did not panic")
			}
			if n := ends.Load(); n != 1 {
				t.Errorf("end called %d times, want once", n)
			}
			if err, _ := endErr.Load().(error); !errors.Is(err, authz.ErrPanic) {
				t.Errorf("end got error %v, want one matching ErrPanic", err)
			}
			if allowed.Load() {
				t.Error("end was told allowed")
			}
		})
	}
}

// A hook that panics inside an API check — where the call runs on a
// goroutine of its own — neither crashes the process nor grants: the
// check, and each item of a batch, fails with ErrPanic.
func TestHooksPanicInAPICheckFailsClosed(t *testing.T) {
	t.Parallel()
	f := hooksFake(t)
	alice := &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_alice"}
	p1 := authz.ExternalResource("project", "p1") // alice may view p1
	for _, tc := range []struct {
		name  string
		hooks authz.Hooks
	}{
		{"Attempt", authz.Hooks{Attempt: func(context.Context, authz.Attempt) { panic("attempt hook") }}},
		{"MergedCall", authz.Hooks{MergedCall: func(context.Context, int) { panic("merged hook") }}},
		{"RateLimitWait", authz.Hooks{RateLimitWait: func(context.Context, authz.RateLimitWaitEvent) { panic("wait hook") }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := f.Client(authz.WithHooks(tc.hooks), authz.WithRateLimit(600000, 100))
			d, err := c.Check(t.Context(), alice, "project:view", p1)
			if !errors.Is(err, authz.ErrPanic) || d.Allowed {
				t.Errorf("Check = %+v, %v; want not allowed, ErrPanic", d, err)
			}
			ds, err := c.CheckMany(t.Context(), alice, "project:view", []authz.ResourceRef{p1, p1, authz.ExternalResource("project", "p2")})
			var be *authz.BatchError
			if !errors.As(err, &be) || len(be.Failures) != 3 || !errors.Is(be.Failures[0].Err, authz.ErrPanic) || !errors.Is(be.Failures[2].Err, authz.ErrPanic) {
				t.Errorf("CheckMany error %v, want every item failed with ErrPanic", err)
			}
			for i, d := range ds {
				if d.Allowed {
					t.Errorf("CheckMany item %d allowed", i)
				}
			}
		})
	}
}
