package authz

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Two APICheck hooks given with WithHooks both run: the first starts
// first, the second gets the context the first returned, and the ends run
// in reverse order with the call's error. A hook that returns no end, or
// a nil context, changes nothing.
func TestJoinedAPICheckHooks(t *testing.T) {
	t.Parallel()
	type tag struct{}
	errCall := errors.New("call failed")
	tests := []struct {
		name       string
		aEnd, bEnd bool
		want       []string
	}{
		{"both end", true, true, []string{"a start", "b start saw a", "b end: call failed", "a end: call failed"}},
		{"a has no end", false, true, []string{"a start", "b start saw a", "b end: call failed"}},
		{"b has no end", true, false, []string{"a start", "b start saw a", "a end: call failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var log []string
			a := func(ctx context.Context, _ Call) (context.Context, func(error)) {
				log = append(log, "a start")
				ctx = context.WithValue(ctx, tag{}, "a")
				if !tt.aEnd {
					return ctx, nil
				}
				return ctx, func(err error) { log = append(log, "a end: "+err.Error()) }
			}
			b := func(ctx context.Context, _ Call) (context.Context, func(error)) {
				log = append(log, "b start saw "+ctx.Value(tag{}).(string))
				if !tt.bEnd {
					return nil, nil // nil context: the one it was given is kept
				}
				return nil, func(err error) { log = append(log, "b end: "+err.Error()) }
			}
			h := joinHooks(Hooks{APICheck: a}, Hooks{APICheck: b})
			ctx, end := h.APICheck(t.Context(), Call{})
			if got := ctx.Value(tag{}); got != "a" {
				t.Errorf("context after both starts carries %v, want a's", got)
			}
			if end != nil {
				end(errCall)
			}
			if diff := cmp.Diff(tt.want, log); diff != "" {
				t.Errorf("hooks (-want +got):\n%s", diff)
			}
		})
	}
}
