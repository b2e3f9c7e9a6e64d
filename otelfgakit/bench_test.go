package otelfgakit_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/otelfgakit"
	"github.com/fgakit/fgakit/token"
)

// Benchmarks of the instrumented check beside the bare one:
//
//	go test -run '^$' -bench . -benchmem -count 10 . | tee bench.txt
//	benchstat -col /impl bench.txt
//
// impl=bare has no instrumentation; impl=otel-noop is Instrument() with the
// OpenTelemetry API's no-op providers (what a program that installed no
// SDK pays); impl=otel-sdk records every span (sampled, sent through a
// BatchSpanProcessor to an exporter that drops them) and every metric
// (the SDK aggregates at record time; a ManualReader that is never
// collected stands in for a periodic exporter).

type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

func benchImpls(b *testing.B) []struct {
	name string
	opts []authz.Option
} {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(discardExporter{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { tp.Shutdown(context.Background()); mp.Shutdown(context.Background()) })
	return []struct {
		name string
		opts []authz.Option
	}{
		{"impl=bare", nil},
		{"impl=otel-noop", []authz.Option{otelfgakit.Instrument(otelfgakit.WithTracerProvider(tracenoop.NewTracerProvider()), otelfgakit.WithMeterProvider(metricnoop.NewMeterProvider()))}},
		{"impl=otel-sdk", []authz.Option{otelfgakit.Instrument(otelfgakit.WithTracerProvider(tp), otelfgakit.WithMeterProvider(mp))}},
	}
}

// BenchmarkCheckToken is Client.Check answered by the session token: no
// I/O, the path whose instrumentation cost shows most.
func BenchmarkCheckToken(b *testing.B) {
	claims := &token.Claims{OrganizationID: "org_1", OrganizationMembershipID: "om_1", Permissions: []string{"project:view", "project:edit"}}
	r := authz.ResourceID("authz_resource_1").InOrganization("org_1")
	for _, impl := range benchImpls(b) {
		b.Run(impl.name, func(b *testing.B) {
			c, err := authz.New("sk_test_bench", impl.opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if d, err := c.Check(ctx, claims, "project:edit", r); err != nil || d.Source != authz.SourceToken {
					b.Fatal(d, err)
				}
			}
		})
	}
}

// BenchmarkCheckAPI is Client.Check asked of the API: one HTTP round trip
// to a local server that answers {"authorized":true}.
func BenchmarkCheckAPI(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"authorized":true}`)
	}))
	b.Cleanup(srv.Close)
	claims := &token.Claims{OrganizationID: "org_1", OrganizationMembershipID: "om_1"}
	r := authz.ResourceID("authz_resource_1")
	for _, impl := range benchImpls(b) {
		b.Run(impl.name, func(b *testing.B) {
			c, err := authz.New("sk_test_bench", append([]authz.Option{authz.WithBaseURL(srv.URL)}, impl.opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if d, err := c.Check(ctx, claims, "project:edit", r); err != nil || d.Source != authz.SourceAPI {
					b.Fatal(d, err)
				}
			}
		})
	}
}
