package authz

import (
	"context"
	"testing"

	"github.com/fgakit/fgakit/token"
)

// tokenClaims grant project:edit organization-wide in org_1.
var tokenClaims = &token.Claims{OrganizationID: "org_1", OrganizationMembershipID: "om_1", Permissions: []string{"project:view", "project:edit"}}

// A Client without hooks answers a token-layer check without allocating:
// the hooks cost nothing when they are not set.
func TestCheckTokenLayerAllocationFreeWithoutHooks(t *testing.T) {
	c, err := New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	r := ResourceID("authz_resource_1").InOrganization("org_1")
	allocs := testing.AllocsPerRun(1000, func() {
		if d, err := c.Check(ctx, tokenClaims, "project:edit", r); err != nil || d.Source != SourceToken {
			t.Fatal(d, err)
		}
	})
	if allocs != 0 {
		t.Errorf("Check answered by the token allocates %v times, want 0", allocs)
	}
}

// BenchmarkCheckToken is Client.Check answered by the token layer, without
// hooks and with hooks that do nothing (the cost of the hook machinery
// itself; see the otelfgakit module for OpenTelemetry's).
func BenchmarkCheckToken(b *testing.B) {
	noop := Hooks{
		Start:    func(ctx context.Context, _ Call) (context.Context, func(CallResult)) { return ctx, func(CallResult) {} },
		Decision: func(context.Context, DecisionEvent) {},
	}
	for _, bc := range []struct {
		name string
		opts []Option
	}{{"impl=bare", nil}, {"impl=noop-hooks", []Option{WithHooks(noop)}}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := New(testKey, bc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx := b.Context()
			r := ResourceID("authz_resource_1").InOrganization("org_1")
			b.ReportAllocs()
			for b.Loop() {
				if d, err := c.Check(ctx, tokenClaims, "project:edit", r); err != nil || d.Source != SourceToken {
					b.Fatal(d, err)
				}
			}
		})
	}
}
