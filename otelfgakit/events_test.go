package otelfgakit_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/otelfgakit"
)

// The span events fgakit.rate_limit.wait and fgakit.check.shared_call land
// on a span of the Instrument that recorded them, even when other hooks
// (here a second Instrument with its own provider) put their span in the
// context after it.
func TestEventsOnOwnSpanWithOtherHooks(t *testing.T) {
	t.Parallel()
	var recs [2]*tracetest.SpanRecorder
	var opts []authz.Option
	for i := range recs {
		recs[i] = tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recs[i]))
		opts = append(opts, otelfgakit.Instrument(otelfgakit.WithTracerProvider(tp)))
	}
	// One request slot per 10 ms: the checks after the first wait.
	e := newEnv(t, append(opts, authz.WithRateLimit(6000, 1))...)
	alice := e.claims(t, "om_alice")
	e.f.InjectFault(authztest.Fault{Path: "/authorization/organization_memberships/om_alice/check", Delay: 50 * time.Millisecond, Times: 1})
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 10 {
		wg.Go(func() {
			<-start
			if _, err := e.c.Check(t.Context(), alice, "project:view", authz.ExternalResource("project", "p1")); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	for _, id := range []string{"p2", "p3"} {
		if _, err := e.c.Check(t.Context(), alice, "project:view", authz.ExternalResource("project", id)); err != nil {
			t.Fatal(err)
		}
	}
	var counts [2]map[string]int
	for i, rec := range recs {
		counts[i] = map[string]int{}
		for _, s := range rec.Ended() {
			for _, ev := range s.Events() {
				counts[i][ev.Name]++
			}
		}
	}
	if counts[0]["fgakit.rate_limit.wait"] == 0 || counts[0]["fgakit.check.shared_call"] == 0 {
		t.Errorf("the first Instrument's spans have events %v, want rate-limit waits and a shared call", counts[0])
	}
	if diff := cmp.Diff(counts[0], counts[1]); diff != "" {
		t.Errorf("events by provider (-first +second):\n%s", diff)
	}
	// Each provider's attempt spans are children of its own API check
	// spans, and those of its own check spans.
	wantParent := map[string]string{"POST " + checkRoute: "authz.api_check", "authz.api_check": "authz.Check"}
	for i, rec := range recs {
		names := map[trace.SpanID]string{}
		for _, s := range rec.Ended() {
			names[s.SpanContext().SpanID()] = s.Name()
		}
		for _, s := range rec.Ended() {
			if want, ok := wantParent[s.Name()]; ok && names[s.Parent().SpanID()] != want {
				t.Errorf("provider %d: span %s has parent %q in this provider, want %s", i, s.Name(), names[s.Parent().SpanID()], want)
			}
		}
	}
}
