package authz

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type ctxTag struct{}

// The APICheck hook brackets the API call behind merged checks: when the
// check that started it is cancelled while another still waits, the call
// goes on, its attempt and its MergedCall are reported with the context
// APICheck returned, and its end comes after the starter's, with no error.
func TestAPICheckHookOutlivesCancelledStarter(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var log []string
	add := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
	tagged := func(ctx context.Context) string {
		if ctx.Value(ctxTag{}) == "api" {
			return "api-ctx"
		}
		return "other-ctx"
	}
	var joins atomic.Int32
	joined := make(chan struct{}, 2)
	apiStarted := make(chan struct{})
	c, mux := setup(t, withOnWait(func() { joins.Add(1); joined <- struct{}{} }), WithHooks(Hooks{
		Start: func(ctx context.Context, call Call) (context.Context, func(CallResult)) {
			return ctx, func(r CallResult) { add("check end: " + resultOf(r)) }
		},
		APICheck: func(ctx context.Context, call Call) (context.Context, func(error)) {
			add("api start " + call.Permission)
			close(apiStarted)
			return context.WithValue(ctx, ctxTag{}, "api"), func(err error) { add("api end: " + errText(err)) }
		},
		Attempt:    func(ctx context.Context, _ Attempt) { add("attempt " + tagged(ctx)) },
		MergedCall: func(ctx context.Context, n int) { add("merged " + tagged(ctx)) },
	}))
	h := newHeldServer()
	mux.Handle("/", h)
	check := func(ctx context.Context) (Decision, error) {
		return c.Check(ctx, tokenClaims, "project:edit", ResourceID("authz_resource_1"))
	}
	starterCtx, cancel := context.WithCancel(t.Context())
	starterErr := make(chan error, 1)
	go func() { _, err := check(starterCtx); starterErr <- err }()
	<-joined
	waiter := make(chan Decision, 1)
	go func() {
		d, err := check(t.Context())
		if err != nil {
			t.Error(err)
		}
		waiter <- d
	}()
	<-joined
	<-apiStarted // the shared call has begun before its starter gives up
	cancel()
	if err := <-starterErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("starter: %v, want context.Canceled", err)
	}
	close(h.release)
	if d := <-waiter; d != (Decision{Allowed: true, Source: SourceShared}) {
		t.Fatalf("waiter: %+v, want allowed, shared", d)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"api start project:edit", "check end: error", "attempt api-ctx", "merged api-ctx", "api end: <nil>", "check end: allowed"}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}
}

func resultOf(r CallResult) string {
	switch {
	case r.Err != nil:
		return "error"
	case r.Decision.Allowed:
		return "allowed"
	}
	return "denied"
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
