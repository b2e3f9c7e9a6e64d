package otelfgakit_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/otelfgakit"
	"github.com/fgakit/fgakit/token"
)

// Instrument a Client and see a check answered by the token and one
// answered by the API as spans and metrics. A program sets its providers
// once (otel.SetTracerProvider, otel.SetMeterProvider) and calls
// otelfgakit.Instrument() without options; here they are in-memory.
func ExampleInstrument() {
	// A fake WorkOS in which Alice may view project p1.
	f, err := authztest.NewServer("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	f.AddResourceType("project", "organization")
	f.AddPermission("project:view", "project")
	f.AddRole("member", "organization")
	f.AddRole("project-viewer", "project", "project:view")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "member")
	f.Assign("om_alice", "project-viewer", f.AddResource(authztest.Resource{ExternalID: "p1", ResourceTypeSlug: "project", OrganizationID: "org_acme"}))

	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	client, err := authz.New(f.APIKey(), authz.WithBaseURL(f.URL()),
		otelfgakit.Instrument(otelfgakit.WithTracerProvider(tp), otelfgakit.WithMeterProvider(mp)))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx := context.Background()
	alice := &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_alice", Permissions: []string{"settings:view"}}
	admin := &token.Claims{OrganizationID: "org_acme", OrganizationMembershipID: "om_admin", Permissions: []string{"project:view"}}
	p1 := authz.ExternalResource("project", "p1")
	if _, err := client.Check(ctx, admin, "project:view", p1.InOrganization("org_acme")); err != nil { // the token answers
		log.Fatal(err)
	}
	if _, err := client.Check(ctx, alice, "project:view", p1); err != nil { // the API answers
		log.Fatal(err)
	}

	for _, s := range spans.Ended() {
		attrs := attribute.NewSet(s.Attributes()...)
		src, _ := attrs.Value("fgakit.decision.source")
		out, _ := attrs.Value("fgakit.decision.outcome")
		status, _ := attrs.Value("http.response.status_code")
		fmt.Printf("span %q (%s) source=%s outcome=%s status=%s\n", s.Name(), s.SpanKind(), src.String(), out.String(), status.String())
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				src, _ := p.Attributes.Value("fgakit.decision.source")
				lines = append(lines, fmt.Sprintf("%s{source=%s} %d", m.Name, src.String(), p.Value))
			}
		case metricdata.Histogram[float64]:
			for _, p := range d.DataPoints {
				route, _ := p.Attributes.Value("url.template")
				lines = append(lines, fmt.Sprintf("%s{url.template=%s} count %d", m.Name, route.String(), p.Count))
			}
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// span "authz.Check" (internal) source=token outcome=allowed status=
	// span "POST /authorization/organization_memberships/{om}/check" (client) source= outcome= status=200
	// span "authz.api_check" (internal) source= outcome= status=
	// span "authz.Check" (internal) source=api outcome=allowed status=
	// fgakit.authz.decisions{source=api} 1
	// fgakit.authz.decisions{source=token} 1
	// http.client.request.duration{url.template=/authorization/organization_memberships/{om}/check} count 1
}
