package otelfgakit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/token"
)

// A decision the token layer declined as stale is counted in
// fgakit.authz.token.stale, by operation, besides being a decision.
func TestTokenStaleCounted(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	h := newHooks(WithMeterProvider(mp)).hooks()
	ctx := t.Context()
	h.Decision(ctx, authz.DecisionEvent{Op: authz.OpCheck, Permission: "p", Decision: authz.Decision{Allowed: false, Source: authz.SourceAPI, TokenStale: true}})
	h.Decision(ctx, authz.DecisionEvent{Op: authz.OpCheckMany, Permission: "p", Decision: authz.Decision{Allowed: true, Source: authz.SourceAPI, TokenStale: true}})
	h.Decision(ctx, authz.DecisionEvent{Op: authz.OpCheck, Permission: "p", Decision: authz.Decision{Allowed: true, Source: authz.SourceToken}})

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got[m.Name] = map[string]int64{}
			for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
				got[m.Name][p.Attributes.Encoded(attribute.DefaultEncoder())] = p.Value
			}
		}
	}
	want := map[string]map[string]int64{
		"fgakit.authz.token.stale": {"fgakit.operation=Check": 1, "fgakit.operation=CheckMany": 1},
		"fgakit.authz.decisions": {
			"fgakit.decision.outcome=denied,fgakit.decision.source=api,fgakit.operation=Check":      1,
			"fgakit.decision.outcome=allowed,fgakit.decision.source=api,fgakit.operation=CheckMany": 1,
			"fgakit.decision.outcome=allowed,fgakit.decision.source=token,fgakit.operation=Check":   1,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

// The span of a call in which the token was declined as stale says so.
func TestTokenStaleOnSpan(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	h := newHooks(WithTracerProvider(tp)).hooks()
	for _, stale := range []bool{true, false} {
		ctx, end := h.Start(t.Context(), authz.Call{Op: authz.OpCheck, Permission: "p", Items: 1})
		d := authz.Decision{Allowed: true, Source: authz.SourceAPI, TokenStale: stale}
		h.Decision(ctx, authz.DecisionEvent{Op: authz.OpCheck, Permission: "p", Decision: d})
		end(authz.CallResult{Decision: d})
	}
	var got []bool
	for _, s := range spans.Ended() {
		set := attribute.NewSet(s.Attributes()...)
		v, _ := set.Value("fgakit.token.stale")
		got = append(got, v.AsBool())
	}
	if diff := cmp.Diff([]bool{true, false}, got); diff != "" {
		t.Errorf("fgakit.token.stale of the spans (-want +got):\n%s", diff)
	}
}

// error.type takes its values from a fixed set; a context error wins over
// the failure it interrupted.
func TestErrorType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{&authz.APIError{StatusCode: 404}, "404"},
		{fmt.Errorf("wrapped: %w", &authz.APIError{StatusCode: 429}), "429"},
		{fmt.Errorf("authz: POST /x: %w (last attempt: %w)", context.DeadlineExceeded, &authz.APIError{StatusCode: 503}), "deadline_exceeded"},
		{fmt.Errorf("x: %w", context.Canceled), "canceled"},
		{authz.ErrClosed, "closed"},
		// The client's own rate limiter refused a slot before the deadline:
		// not the API being slow, though it also matches DeadlineExceeded.
		{fmt.Errorf("authz: POST /x: %w", fmt.Errorf("%w (%w)", authz.ErrThrottled, context.DeadlineExceeded)), "throttled"},
		{fmt.Errorf("%w: refused", authz.ErrUnavailable), "unavailable"},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, "unavailable"},
		{authz.ErrMalformedResponse, "malformed_response"},
		{authz.ErrResponseTooLarge, "response_too_large"},
		{&authz.PanicError{Value: "boom"}, "panic"},
		{fmt.Errorf("%w: empty permission", authz.ErrInvalidInput), "invalid_input"},
		{authz.ErrOrganizationMismatch, "organization_mismatch"},
		{fmt.Errorf("authz: cannot ask the API: %w", token.ErrNoMembership), "no_membership"},
		{errors.New("something else with an om_secret in it"), "_OTHER"},
	}
	for _, tt := range tests {
		if got := errorType(tt.err); got != tt.want {
			t.Errorf("errorType(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
