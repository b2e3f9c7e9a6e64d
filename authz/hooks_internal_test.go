package authz

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fgakit/fgakit/token"
	"github.com/google/go-cmp/cmp"
)

// The MergedCall hook reports, once per API call, how many checks waited
// on it: all n merged checks, in one report.
func TestHooksMergedCallCountsEveryCaller(t *testing.T) {
	t.Parallel()
	const n = 50
	var joined waiters
	var mu sync.Mutex
	var reports []int
	c, mux := setup(t, joined.option(n), WithHooks(Hooks{MergedCall: func(_ context.Context, callers int) {
		mu.Lock()
		reports = append(reports, callers)
		mu.Unlock()
	}}))
	h := newHeldServer()
	mux.Handle("/", h)

	var done sync.WaitGroup
	for range n {
		done.Go(func() {
			if _, err := c.API().Check(t.Context(), "om_1", "project:edit", ResourceID("authz_resource_1")); err != nil {
				t.Error(err)
			}
		})
	}
	joined.wg.Wait()
	close(h.release)
	done.Wait()
	// A check alone is a call of one.
	joined.wg.Add(1)
	if _, err := c.API().Check(t.Context(), "om_1", "project:edit", ResourceID("authz_resource_2")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{n, 1}, reports); diff != "" {
		t.Errorf("merged callers per call (-want +got):\n%s", diff)
	}
}

// Every hook of a call gets the context Start returned: what Start puts
// there (a span) reaches the attempts, retries and rate-limit waits —
// also those of a merged call, which runs detached from the caller's
// cancellation.
func TestHooksContextReachesEveryHook(t *testing.T) {
	t.Parallel()
	type key struct{}
	var mu sync.Mutex
	got := map[string]any{} // hook name → the value of key in its ctx
	record := func(name string, ctx context.Context) {
		mu.Lock()
		defer mu.Unlock()
		got[name] = ctx.Value(key{})
	}
	var fails atomic.Int32
	fails.Store(1)
	c, mux := setup(t, WithRateLimit(6000, 10), WithHooks(Hooks{
		Start: func(ctx context.Context, call Call) (context.Context, func(CallResult)) {
			return context.WithValue(ctx, key{}, call.Op.String()), nil
		},
		Decision:      func(ctx context.Context, _ DecisionEvent) { record("Decision", ctx) },
		Attempt:       func(ctx context.Context, _ Attempt) { record("Attempt", ctx) },
		Retry:         func(ctx context.Context, _ RetryEvent) { record("Retry", ctx) },
		RateLimitWait: func(ctx context.Context, _ RateLimitWaitEvent) { record("RateLimitWait", ctx) },
		MergedCall:    func(ctx context.Context, _ int) { record("MergedCall", ctx) },
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if fails.Add(-1) >= 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"authorized":false}`)
	})
	claims := &token.Claims{OrganizationID: "org_1", OrganizationMembershipID: "om_1"}
	d, err := c.Check(t.Context(), claims, "project:edit", ResourceID("authz_resource_1"))
	if err != nil || d.Allowed {
		t.Fatalf("Check = %+v, %v; want a deny", d, err)
	}
	want := map[string]any{"Decision": "Check", "Attempt": "Check", "Retry": "Check", "RateLimitWait": "Check", "MergedCall": "Check"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("value of Start's ctx seen by each hook (-want +got):\n%s", diff)
	}
}

// Retry and RateLimitWait events carry the route template and the attempt
// that failed; Attempt reports the base URL.
func TestHooksRetryAndAttemptEvents(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var retries []RetryEvent
	var attempts []Attempt
	var waits []RateLimitWaitEvent
	var fails atomic.Int32
	fails.Store(2)
	c, mux := setup(t, WithRateLimit(6000, 10), WithHooks(Hooks{
		Attempt: func(_ context.Context, a Attempt) {
			mu.Lock()
			attempts = append(attempts, a)
			mu.Unlock()
		},
		Retry: func(_ context.Context, e RetryEvent) {
			mu.Lock()
			retries = append(retries, e)
			mu.Unlock()
		},
		RateLimitWait: func(_ context.Context, e RateLimitWaitEvent) {
			mu.Lock()
			waits = append(waits, e)
			mu.Unlock()
		},
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if fails.Add(-1) >= 0 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		io.WriteString(w, `{"authorized":true}`)
	})
	if _, err := c.API().Check(t.Context(), "om_1", "project:edit", ResourceID("authz_resource_1")); err != nil {
		t.Fatal(err)
	}
	type retry struct {
		Method, Route string
		Attempt       int
		Is502         bool
	}
	var gotRetries []retry
	for _, e := range retries {
		var ae *APIError
		gotRetries = append(gotRetries, retry{e.Method, e.Route, e.Attempt, asAPIError(e.Err, &ae) && ae.StatusCode == 502})
	}
	wantRetries := []retry{{"POST", checkRoute, 1, true}, {"POST", checkRoute, 2, true}}
	if diff := cmp.Diff(wantRetries, gotRetries); diff != "" {
		t.Errorf("retries (-want +got):\n%s", diff)
	}
	type attempt struct {
		Attempt, Status int
		BaseURLSet      bool
	}
	var gotAttempts []attempt
	for _, a := range attempts {
		gotAttempts = append(gotAttempts, attempt{a.Attempt, a.StatusCode, a.BaseURL == c.cfg.baseURL && a.BaseURL != ""})
	}
	if diff := cmp.Diff([]attempt{{1, 502, true}, {2, 502, true}, {3, 200, true}}, gotAttempts); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if len(waits) != 3 {
		t.Errorf("%d rate-limit waits, want one per attempt (3)", len(waits))
	}
	for _, w := range waits {
		if w.Route != checkRoute || w.Err != nil {
			t.Errorf("rate-limit wait %+v, want route %s and no error", w, checkRoute)
		}
	}
}

func asAPIError(err error, target **APIError) bool {
	ae, ok := err.(*APIError)
	*target = ae
	return ok
}

// WithHooks may be given several times, with WithObserver too: every hook
// runs, in order, and each Start gets the previous one's context.
func TestWithHooksComposes(t *testing.T) {
	t.Parallel()
	type key struct{}
	var mu sync.Mutex
	var order []string
	log := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	start := func(name string) func(context.Context, Call) (context.Context, func(CallResult)) {
		return func(ctx context.Context, _ Call) (context.Context, func(CallResult)) {
			prev, _ := ctx.Value(key{}).(string)
			log("start " + name + " after " + prev)
			return context.WithValue(ctx, key{}, name), func(CallResult) { log("end " + name) }
		}
	}
	c, mux := setup(t,
		WithHooks(Hooks{Start: start("a"), Attempt: func(context.Context, Attempt) { log("attempt a") }}),
		WithObserver(func(Attempt) { log("observer") }),
		WithHooks(Hooks{Start: start("b"), Decision: func(ctx context.Context, _ DecisionEvent) { log("decision in " + ctx.Value(key{}).(string)) }}),
	)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"authorized":true}`) })
	if _, err := c.API().Check(t.Context(), "om_1", "p", ResourceID("r")); err != nil {
		t.Fatal(err)
	}
	want := []string{"start a after ", "start b after a", "attempt a", "observer", "decision in b", "end b", "end a"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
