package otelfgakit_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/authztest"
	"github.com/fgakit/fgakit/cache"
	"github.com/fgakit/fgakit/otelfgakit"
	"github.com/fgakit/fgakit/token"
)

// env is a fake WorkOS with an instrumented client, a span recorder and a
// manual metric reader.
type env struct {
	f      *authztest.Fake
	c      *authz.Client
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tracer trace.Tracer
	// port is the fake's server.port.
	port string
}

// The fake's model: Alice is a member of Acme with no organization-wide
// permission and may view project p1 (a role on it), not p2.
func newEnv(t *testing.T, opts ...authz.Option) *env {
	t.Helper()
	f := authztest.New(t)
	f.AddResourceType("project", "organization")
	f.AddPermission("project:view", "project")
	f.AddRole("member", "organization")
	f.AddRole("admin", "organization", "project:view")
	f.AddRole("project-viewer", "project", "project:view")
	f.AddOrganization("org_acme", "Acme")
	f.AddMembership("om_alice", "user_alice", "org_acme", "member")
	f.AddMembership("om_admin", "user_admin", "org_acme", "admin")
	for _, p := range []string{"p1", "p2", "p3", "p4"} {
		f.AddResource(authztest.Resource{ExternalID: p, ResourceTypeSlug: "project", OrganizationID: "org_acme"})
	}
	f.Assign("om_alice", "project-viewer", f.ResourceID("org_acme", "project", "p1"))

	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { tp.Shutdown(context.Background()); mp.Shutdown(context.Background()) })
	inst := otelfgakit.Instrument(otelfgakit.WithTracerProvider(tp), otelfgakit.WithMeterProvider(mp))
	u, err := url.Parse(f.URL())
	if err != nil {
		t.Fatal(err)
	}
	return &env{f: f, c: f.Client(append([]authz.Option{inst}, opts...)...), spans: spans, reader: reader, tracer: tp.Tracer("test"), port: u.Port()}
}

// claims verifies a session of membership om with the fake's verifier.
func (e *env) claims(t *testing.T, om string) *token.Claims {
	t.Helper()
	c, err := e.f.Verifier().Verify(t.Context(), e.f.Session(om))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// span is what a test asserts of a span.
type span struct {
	Name   string
	Parent string // the parent span's name
	Kind   string
	Attrs  map[string]string
	Status string // "Error: <description>" or ""
}

// ended returns the ended spans, in the order they ended, with the
// volatile attributes (timings) left out.
func (e *env) ended() []span {
	all := e.spans.Ended()
	names := map[trace.SpanID]string{}
	for _, s := range all {
		names[s.SpanContext().SpanID()] = s.Name()
	}
	var out []span
	for _, s := range all {
		sp := span{Name: s.Name(), Parent: names[s.Parent().SpanID()], Kind: s.SpanKind().String(), Attrs: map[string]string{}}
		for _, kv := range s.Attributes() {
			sp.Attrs[string(kv.Key)] = kv.Value.String()
		}
		if s.Status().Code.String() == "Error" {
			sp.Status = "Error: " + s.Status().Description
		}
		out = append(out, sp)
	}
	return out
}

// metrics are the collected data points: counters' sums, and histograms'
// counts and sums, by metric name and then by encoded attributes
// ("k=v,k=v", sorted).
type metrics struct {
	sums    map[string]map[string]int64
	counts  map[string]map[string]uint64
	hsums   map[string]map[string]float64
	allAttr []attribute.KeyValue
}

func (e *env) collect(t *testing.T) metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	m := metrics{sums: map[string]map[string]int64{}, counts: map[string]map[string]uint64{}, hsums: map[string]map[string]float64{}}
	enc := attribute.DefaultEncoder()
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelfgakit.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, otelfgakit.ScopeName)
		}
		for _, md := range sm.Metrics {
			switch d := md.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if m.sums[md.Name] == nil {
						m.sums[md.Name] = map[string]int64{}
					}
					m.sums[md.Name][p.Attributes.Encoded(enc)] += p.Value
					m.allAttr = append(m.allAttr, p.Attributes.ToSlice()...)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					addHist(m, md.Name, p.Attributes, p.Count, p.Sum)
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					addHist(m, md.Name, p.Attributes, p.Count, float64(p.Sum))
				}
			default:
				t.Errorf("metric %s: unexpected data %T", md.Name, md.Data)
			}
		}
	}
	return m
}

func addHist(m metrics, name string, attrs attribute.Set, count uint64, sum float64) {
	k := attrs.Encoded(attribute.DefaultEncoder())
	if m.counts[name] == nil {
		m.counts[name] = map[string]uint64{}
		m.hsums[name] = map[string]float64{}
	}
	m.counts[name][k] += count
	m.hsums[name][k] += sum
	m.allAttr = append(m.allAttr, attrs.ToSlice()...)
}

const checkRoute = "/authorization/organization_memberships/{om}/check"

// attemptSpan is the span of a check call's attempt answered status, a
// child of parent.
func (e *env) attemptSpan(parent string, status string, extra map[string]string) span {
	s := span{Name: "POST " + checkRoute, Parent: parent, Kind: "client", Attrs: map[string]string{
		"http.request.method": "POST", "url.template": checkRoute, "server.address": "127.0.0.1", "server.port": e.port,
		"http.response.status_code": status,
	}}
	for k, v := range extra {
		s.Attrs[k] = v
	}
	if extra["error.type"] != "" {
		s.Status = "Error: " + extra["error.type"]
	}
	return s
}

// apiCheckSpan is the span of an API check call of project:view, a child
// of parent, failed with errType if not empty.
func (e *env) apiCheckSpan(parent, resourceType, errType string) span {
	s := span{Name: "authz.api_check", Parent: parent, Kind: "internal", Attrs: map[string]string{"fgakit.permission": "project:view"}}
	if resourceType != "" {
		s.Attrs["fgakit.resource.type"] = resourceType
	}
	if errType != "" {
		s.Attrs["error.type"] = errType
		s.Status = "Error: " + errType
	}
	return s
}

func decisionKey(op, source, outcome string) string {
	return "fgakit.decision.outcome=" + outcome + ",fgakit.decision.source=" + source + ",fgakit.operation=" + op
}

func durationKey(e *env, status, errType string) string {
	k := ""
	if errType != "" {
		k = "error.type=" + errType + ","
	}
	return k + "http.request.method=POST,http.response.status_code=" + status + ",server.address=127.0.0.1,server.port=" + e.port + ",url.template=" + checkRoute
}

// Each single check is a span under the caller's, with the source and the
// outcome; each HTTP attempt a client span under it, following the HTTP
// client conventions; and the decisions and request durations are counted.
func TestSingleCheckSpansAndMetrics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(e *env)
		om    string // whose session checks
		ref   authz.ResourceRef
		// wantSpans lists the spans below the caller's "request" span, in
		// the order they end.
		wantSpans     func(e *env) []span
		wantDecisions map[string]int64
		wantDurations func(e *env) map[string]uint64
		wantRetries   map[string]int64
	}{
		{
			name: "token layer",
			om:   "om_admin", ref: authz.ExternalResource("project", "p2").InOrganization("org_acme"),
			wantSpans: func(e *env) []span {
				return []span{{Name: "authz.Check", Parent: "request", Kind: "internal", Attrs: map[string]string{
					"fgakit.permission": "project:view", "fgakit.resource.type": "project",
					"fgakit.decision.source": "token", "fgakit.decision.outcome": "allowed"}}}
			},
			wantDecisions: map[string]int64{decisionKey("Check", "token", "allowed"): 1},
		},
		{
			name: "API allows",
			om:   "om_alice", ref: authz.ExternalResource("project", "p1"),
			wantSpans: func(e *env) []span {
				return []span{e.attemptSpan("authz.api_check", "200", nil), e.apiCheckSpan("authz.Check", "project", ""), {Name: "authz.Check", Parent: "request", Kind: "internal", Attrs: map[string]string{
					"fgakit.permission": "project:view", "fgakit.resource.type": "project",
					"fgakit.decision.source": "api", "fgakit.decision.outcome": "allowed"}}}
			},
			wantDecisions: map[string]int64{decisionKey("Check", "api", "allowed"): 1},
			wantDurations: func(e *env) map[string]uint64 { return map[string]uint64{durationKey(e, "200", ""): 1} },
		},
		{
			name: "API denies",
			om:   "om_alice", ref: authz.ExternalResource("project", "p2"),
			wantSpans: func(e *env) []span {
				return []span{e.attemptSpan("authz.api_check", "200", nil), e.apiCheckSpan("authz.Check", "project", ""), {Name: "authz.Check", Parent: "request", Kind: "internal", Attrs: map[string]string{
					"fgakit.permission": "project:view", "fgakit.resource.type": "project",
					"fgakit.decision.source": "api", "fgakit.decision.outcome": "denied"}}}
			},
			wantDecisions: map[string]int64{decisionKey("Check", "api", "denied"): 1},
			wantDurations: func(e *env) map[string]uint64 { return map[string]uint64{durationKey(e, "200", ""): 1} },
		},
		{
			name: "unknown resource: 404, a deny",
			om:   "om_alice", ref: authz.ResourceID("authz_resource_nope"),
			wantSpans: func(e *env) []span {
				return []span{e.attemptSpan("authz.api_check", "404", map[string]string{"error.type": "404"}), e.apiCheckSpan("authz.Check", "", ""),
					{Name: "authz.Check", Parent: "request", Kind: "internal", Attrs: map[string]string{
						"fgakit.permission":      "project:view",
						"fgakit.decision.source": "api", "fgakit.decision.outcome": "denied", "fgakit.decision.not_found": "true"}}}
			},
			wantDecisions: map[string]int64{"fgakit.decision.not_found=true," + decisionKey("Check", "api", "denied"): 1},
			wantDurations: func(e *env) map[string]uint64 { return map[string]uint64{durationKey(e, "404", "404"): 1} },
		},
		{
			name:  "an API error",
			setup: func(e *env) { e.f.InjectFault(authztest.Fault{Status: 400}) },
			om:    "om_alice", ref: authz.ExternalResource("project", "p1"),
			wantSpans: func(e *env) []span {
				return []span{e.attemptSpan("authz.api_check", "400", map[string]string{"error.type": "400"}), e.apiCheckSpan("authz.Check", "project", "400"),
					{Name: "authz.Check", Parent: "request", Kind: "internal", Status: "Error: 400", Attrs: map[string]string{
						"fgakit.permission": "project:view", "fgakit.resource.type": "project",
						"fgakit.decision.source": "none", "fgakit.decision.outcome": "error", "error.type": "400"}}}
			},
			wantDecisions: map[string]int64{"error.type=400," + decisionKey("Check", "none", "error"): 1},
			wantDurations: func(e *env) map[string]uint64 { return map[string]uint64{durationKey(e, "400", "400"): 1} },
		},
		{
			name:  "a 503 retried",
			setup: func(e *env) { e.f.FailNext(503) },
			om:    "om_alice", ref: authz.ExternalResource("project", "p1"),
			wantSpans: func(e *env) []span {
				return []span{
					e.attemptSpan("authz.api_check", "503", map[string]string{"error.type": "503"}),
					e.attemptSpan("authz.api_check", "200", map[string]string{"http.request.resend_count": "1"}),
					e.apiCheckSpan("authz.Check", "project", ""),
					{Name: "authz.Check", Parent: "request", Kind: "internal", Attrs: map[string]string{
						"fgakit.permission": "project:view", "fgakit.resource.type": "project",
						"fgakit.decision.source": "api", "fgakit.decision.outcome": "allowed"}}}
			},
			wantDecisions: map[string]int64{decisionKey("Check", "api", "allowed"): 1},
			wantDurations: func(e *env) map[string]uint64 {
				return map[string]uint64{durationKey(e, "503", "503"): 1, durationKey(e, "200", ""): 1}
			},
			wantRetries: map[string]int64{"error.type=503,http.request.method=POST,url.template=" + checkRoute: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			claims := e.claims(t, tt.om)
			if tt.setup != nil {
				tt.setup(e)
			}
			ctx, root := e.tracer.Start(t.Context(), "request")
			e.c.Check(ctx, claims, "project:view", tt.ref)
			root.End()

			got := e.ended()
			want := append(tt.wantSpans(e), span{Name: "request", Kind: "internal", Attrs: map[string]string{}})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("spans (-want +got):\n%s", diff)
			}
			m := e.collect(t)
			if diff := cmp.Diff(tt.wantDecisions, m.sums["fgakit.authz.decisions"]); diff != "" {
				t.Errorf("fgakit.authz.decisions (-want +got):\n%s", diff)
			}
			var wantDur map[string]uint64
			if tt.wantDurations != nil {
				wantDur = tt.wantDurations(e)
			}
			if diff := cmp.Diff(wantDur, m.counts["http.client.request.duration"]); diff != "" {
				t.Errorf("http.client.request.duration counts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRetries, m.sums["fgakit.authz.retries"]); diff != "" {
				t.Errorf("fgakit.authz.retries (-want +got):\n%s", diff)
			}
		})
	}
}

// A batch is one span with its item counts; its API calls are children of
// it; every answered or failed item is a decision.
func TestBatchSpanAndDecisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.claims(t, "om_alice")
	p := func(id string) authz.ResourceRef { return authz.ExternalResource("project", id) }
	ctx, root := e.tracer.Start(t.Context(), "request")
	refs := []authz.ResourceRef{p("p1"), p("p2"), p("p9"), p("p1").InOrganization("org_acme"), p("p3").InOrganization("org_other")}
	_, err := e.c.CheckMany(ctx, alice, "project:view", refs)
	var be *authz.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("CheckMany error %v, want a *BatchError for p3 of another organization", err)
	}
	root.End()

	var batch *span
	attempts := 0
	for _, s := range e.ended() {
		switch s.Name {
		case "authz.CheckMany":
			batch = &s
		case "POST " + checkRoute:
			attempts++
			if s.Parent != "authz.api_check" {
				t.Errorf("attempt span's parent is %q, want authz.api_check", s.Parent)
			}
		case "authz.api_check":
			if s.Parent != "authz.CheckMany" {
				t.Errorf("API check span's parent is %q, want authz.CheckMany", s.Parent)
			}
		}
	}
	if batch == nil {
		t.Fatal("no authz.CheckMany span")
	}
	want := span{Name: "authz.CheckMany", Parent: "request", Kind: "internal", Status: "Error: organization_mismatch", Attrs: map[string]string{
		"fgakit.permission": "project:view", "fgakit.batch.items": "5",
		"fgakit.decision.outcome": "error", "fgakit.decision.sources": `["api"]`, "error.type": "organization_mismatch",
		"fgakit.batch.allowed": "2", "fgakit.batch.denied": "2", "fgakit.batch.failed": "1", "fgakit.batch.unasked": "0",
		"fgakit.batch.not_found": "1",
	}}
	if diff := cmp.Diff(want, *batch); diff != "" {
		t.Errorf("batch span (-want +got):\n%s", diff)
	}
	// p1 and p1-in-org are one distinct check: three API calls.
	if attempts != 3 {
		t.Errorf("%d attempt spans, want 3", attempts)
	}
	m := e.collect(t)
	wantDecisions := map[string]int64{
		decisionKey("CheckMany", "api", "allowed"):                                      2,
		decisionKey("CheckMany", "api", "denied"):                                       1,
		"fgakit.decision.not_found=true," + decisionKey("CheckMany", "api", "denied"):   1,
		"error.type=organization_mismatch," + decisionKey("CheckMany", "none", "error"): 1,
	}
	if diff := cmp.Diff(wantDecisions, m.sums["fgakit.authz.decisions"]); diff != "" {
		t.Errorf("fgakit.authz.decisions (-want +got):\n%s", diff)
	}

	// Filter is its own operation.
	e.spans.Reset()
	ok, err := authz.Filter(t.Context(), e.c, alice, "project:view", []string{"p1", "p2"}, func(id string) authz.ResourceRef { return p(id) })
	if err != nil || !slices.Equal(ok, []string{"p1"}) {
		t.Fatalf("Filter = %v, %v", ok, err)
	}
	var names []string
	for _, s := range e.ended() {
		names = append(names, s.Name)
		if s.Name == "authz.Filter" && (s.Attrs["fgakit.decision.outcome"] != "denied" || s.Attrs["fgakit.batch.allowed"] != "1") {
			t.Errorf("Filter span attributes %v, want outcome denied (not every item allowed) and 1 allowed", s.Attrs)
		}
	}
	if !slices.Contains(names, "authz.Filter") || slices.Contains(names, "authz.CheckMany") {
		t.Errorf("spans %q, want an authz.Filter span and no authz.CheckMany", names)
	}
}

// The cache's hits and misses are counted, and its answers are decisions
// of source cache.
func TestCacheHitsAndMisses(t *testing.T) {
	t.Parallel()
	lru, err := cache.New(100, cache.DefaultTTL)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, authz.WithCache(lru))
	alice := e.claims(t, "om_alice")
	for range 3 {
		if _, err := e.c.Check(t.Context(), alice, "project:view", authz.ExternalResource("project", "p1")); err != nil {
			t.Fatal(err)
		}
	}
	m := e.collect(t)
	if diff := cmp.Diff(map[string]int64{"fgakit.cache.result=hit": 2, "fgakit.cache.result=miss": 1}, m.sums["fgakit.authz.cache.lookups"]); diff != "" {
		t.Errorf("fgakit.authz.cache.lookups (-want +got):\n%s", diff)
	}
	want := map[string]int64{decisionKey("Check", "api", "allowed"): 1, decisionKey("Check", "cache", "allowed"): 2}
	if diff := cmp.Diff(want, m.sums["fgakit.authz.decisions"]); diff != "" {
		t.Errorf("fgakit.authz.decisions (-want +got):\n%s", diff)
	}
}

// Concurrent identical checks share API calls: the merged-callers
// histogram has one value per call, adding up to every check, and the
// checks that shared are decisions of source shared.
func TestMergedCallers(t *testing.T) {
	t.Parallel()
	const n = 20
	e := newEnv(t)
	alice := e.claims(t, "om_alice")
	// The answer takes 200 ms, so that the checks, started together, join
	// one call (the assertions hold however many calls they make).
	e.f.InjectFault(authztest.Fault{Path: "/authorization/organization_memberships/om_alice/check", Delay: 200 * time.Millisecond, Times: -1})
	e.f.ResetCalls()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			if _, err := e.c.Check(t.Context(), alice, "project:view", authz.ExternalResource("project", "p1")); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	calls := uint64(len(e.f.Calls()))

	m := e.collect(t)
	if got := m.counts["fgakit.authz.check.merged_callers"][""]; got != calls {
		t.Errorf("merged_callers has %d values, want one per API call (%d)", got, calls)
	}
	if got := m.hsums["fgakit.authz.check.merged_callers"][""]; got != n {
		t.Errorf("merged_callers adds up to %v, want every check (%d)", got, n)
	}
	// Each call shared by several checks is an event on the span of the
	// check that started it.
	events, sum := 0, 0
	for _, s := range e.spans.Ended() {
		for _, ev := range s.Events() {
			if ev.Name != "fgakit.check.shared_call" {
				continue
			}
			events++
			for _, kv := range ev.Attributes {
				if kv.Key == "fgakit.check.merged_callers" {
					sum += int(kv.Value.AsInt64())
				}
			}
		}
	}
	if got := sum + int(calls) - events; got != n {
		t.Errorf("shared_call events add up to %d checks (with the calls not shared), want %d", got, n)
	}
	d := m.sums["fgakit.authz.decisions"]
	if api, shared := d[decisionKey("Check", "api", "allowed")], d[decisionKey("Check", "shared", "allowed")]; uint64(api) != calls || api+shared != n {
		t.Errorf("decisions api=%d shared=%d, want api = %d calls and api+shared = %d", api, shared, calls, n)
	}
}

// Every attempt's wait for a rate-limit slot is recorded.
func TestRateLimitWaits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authz.WithRateLimit(600000, 1)) // one slot per 0.1 ms
	alice := e.claims(t, "om_alice")
	for _, id := range []string{"p1", "p2", "p3"} {
		if _, err := e.c.Check(t.Context(), alice, "project:view", authz.ExternalResource("project", id)); err != nil {
			t.Fatal(err)
		}
	}
	m := e.collect(t)
	want := map[string]uint64{"http.request.method=POST,url.template=" + checkRoute: 3}
	if diff := cmp.Diff(want, m.counts["fgakit.authz.rate_limit.wait.duration"]); diff != "" {
		t.Errorf("fgakit.authz.rate_limit.wait.duration counts (-want +got):\n%s", diff)
	}
}

// A check the client's own rate limiter refuses (no slot before the
// deadline, nothing sent) reads error.type=throttled on its span, in the
// decisions and in the rate-limit wait histogram.
func TestThrottledCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authz.WithRateLimit(1, 1)) // one slot a minute: the second check gets none
	alice := e.claims(t, "om_alice")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute/2)
	defer cancel()
	if _, err := e.c.Check(ctx, alice, "project:view", authz.ExternalResource("project", "p1")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Check(ctx, alice, "project:view", authz.ExternalResource("project", "p2")); !errors.Is(err, authz.ErrThrottled) {
		t.Fatalf("second Check error %v, want ErrThrottled", err)
	}
	spans := e.ended()
	if got := spans[len(spans)-1]; got.Name != "authz.Check" || got.Attrs["error.type"] != "throttled" || got.Status != "Error: throttled" {
		t.Errorf("last span %+v, want authz.Check with error.type throttled", got)
	}
	m := e.collect(t)
	if n := m.sums["fgakit.authz.decisions"]["error.type=throttled,fgakit.decision.outcome=error,fgakit.decision.source=none,fgakit.operation=Check"]; n != 1 {
		t.Errorf("throttled decisions %d, want 1; all: %v", n, m.sums["fgakit.authz.decisions"])
	}
	if n := m.counts["fgakit.authz.rate_limit.wait.duration"]["error.type=throttled,http.request.method=POST,url.template="+checkRoute]; n != 1 {
		t.Errorf("throttled waits %d, want 1; all: %v", n, m.counts["fgakit.authz.rate_limit.wait.duration"])
	}
}

// staleAlways is a Freshness that calls every token stale.
type staleAlways struct{}

func (staleAlways) Stale(*token.Claims, string) bool { return true }
func (staleAlways) Watch(func(string)) (stop func()) { return func() {} }

// A token the freshness source calls stale is declined by the token layer:
// the API answers, the decline is counted, and the call's span says so.
func TestTokenDeclinedAsStale(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authz.WithFreshness(staleAlways{}))
	admin := e.claims(t, "om_admin") // admin's token grants project:view organization-wide
	d, err := e.c.Check(t.Context(), admin, "project:view", authz.ExternalResource("project", "p2").InOrganization("org_acme"))
	if err != nil || !d.Allowed || d.Source != authz.SourceAPI || !d.TokenStale {
		t.Fatalf("Check = %+v, %v; want allowed by the API, token stale", d, err)
	}
	m := e.collect(t)
	if diff := cmp.Diff(map[string]int64{"fgakit.operation=Check": 1}, m.sums["fgakit.authz.token.stale"]); diff != "" {
		t.Errorf("fgakit.authz.token.stale (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{decisionKey("Check", "api", "allowed"): 1}, m.sums["fgakit.authz.decisions"]); diff != "" {
		t.Errorf("fgakit.authz.decisions (-want +got):\n%s", diff)
	}
	spans := e.ended()
	if got := spans[len(spans)-1]; got.Name != "authz.Check" || got.Attrs["fgakit.token.stale"] != "true" {
		t.Errorf("last span %+v, want authz.Check with fgakit.token.stale=true", got)
	}
}

// Management calls have no call span: their attempts are children of the
// caller's span, and are measured like the others.
func TestManagementCallAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, root := e.tracer.Start(t.Context(), "request")
	if _, err := e.c.AssignRole(ctx, "om_alice", "project-viewer", authz.ExternalResource("project", "p2").InOrganization("org_acme")); err != nil {
		t.Fatal(err)
	}
	root.End()
	got := e.ended()
	if len(got) < 2 {
		t.Fatalf("spans %+v, want attempts and the request", got)
	}
	for _, s := range got[:len(got)-1] {
		if s.Parent != "request" || s.Kind != "client" || s.Name != s.Attrs["http.request.method"]+" "+s.Attrs["url.template"] ||
			!strings.Contains(s.Name, "/organization_memberships/{om}") {
			t.Errorf("attempt span %+v, want a client span under request named after its method and route template", s)
		}
	}
	m := e.collect(t)
	if n := len(m.counts["http.client.request.duration"]); n != len(got)-1 {
		t.Errorf("http.client.request.duration has %d series, want one per attempt (%d)", n, len(got)-1)
	}
}

// No span or metric attribute holds the API key, the token, or an
// identifier of a person, a customer or a resource — whatever happened.
func TestNoIdentifiersInAttributes(t *testing.T) {
	t.Parallel()
	lru, err := cache.New(100, cache.DefaultTTL)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, authz.WithCache(lru), authz.WithRateLimit(600000, 1))
	raw := e.f.Session("om_alice")
	alice, err := e.f.Verifier().Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	ctx := cache.WithMemo(t.Context())
	p1 := e.f.ResourceID("org_acme", "project", "p1")
	refs := []authz.ResourceRef{authz.ExternalResource("project", "p1"), authz.ExternalResource("project", "p2"),
		authz.ExternalResource("project", "secret-ext-id"), authz.ResourceID(p1), authz.ResourceID("authz_resource_secret"),
		authz.ExternalResource("project", "p3").InOrganization("org_other")}
	e.f.FailNext(500)
	for _, r := range refs {
		e.c.Check(ctx, alice, "project:view", r)
		e.c.API().Check(ctx, "om_alice", "project:view", r, authz.Fresh())
	}
	e.c.CheckMany(ctx, alice, "project:view", refs)
	e.c.AssignRole(ctx, "om_alice", "project-viewer", authz.ExternalResource("project", "p2").InOrganization("org_acme"))
	e.c.ListResourcesForMembershipPage(ctx, "om_alice", "project:view", authz.ExternalResource("project", "p1").InOrganization("org_acme"), authz.ListOptions{})

	forbidden := []string{e.f.APIKey(), raw, "om_alice", "user_alice", "org_acme", "org_other", p1, "authz_resource_secret", "secret-ext-id", "p1", "p2", "p3", alice.SessionID}
	var values []string
	for _, s := range e.spans.Ended() {
		values = append(values, s.Name(), s.Status().Description)
		for _, kv := range s.Attributes() {
			values = append(values, kv.Value.String())
		}
		for _, ev := range s.Events() {
			values = append(values, ev.Name)
			for _, kv := range ev.Attributes {
				values = append(values, kv.Value.String())
			}
		}
	}
	for _, kv := range e.collect(t).allAttr {
		values = append(values, kv.Value.String())
	}
	if len(values) < 50 {
		t.Fatalf("only %d values recorded: the test did not exercise the client", len(values))
	}
	for _, v := range values {
		for _, f := range forbidden {
			if f != "" && containsID(v, f) {
				t.Errorf("attribute value %q holds %q", v, f)
			}
		}
	}
}

// containsID reports whether v holds id: as a whole word (so "p1" is
// found in "/projects/p1" but not in "http.response.status_code"), or
// anywhere for an id longer than 4 bytes.
func containsID(v, id string) bool {
	words := strings.FieldsFunc(v, func(r rune) bool {
		return !(r == '_' || r == '-' || r == '.' || r == ':' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	return slices.Contains(words, id) || len(id) > 4 && strings.Contains(v, id)
}

// fgakit.token.stale goes on the call's own span, even when hooks given
// after Instrument put a span of their own in the call's context (here a
// second Instrument, with another TracerProvider): each provider's
// authz.Check span says the token was stale, and only those spans do.
func TestTokenStaleOnOwnSpanWithOtherHooks(t *testing.T) {
	t.Parallel()
	var recs [2]*tracetest.SpanRecorder
	var opts []authz.Option
	for i := range recs {
		recs[i] = tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recs[i]))
		opts = append(opts, otelfgakit.Instrument(otelfgakit.WithTracerProvider(tp)))
	}
	e := newEnv(t, append(opts, authz.WithFreshness(staleAlways{}))...)
	admin := e.claims(t, "om_admin")
	p2 := authz.ExternalResource("project", "p2").InOrganization("org_acme")
	if d, err := e.c.Check(t.Context(), admin, "project:view", p2); err != nil || !d.TokenStale {
		t.Fatalf("Check = %+v, %v; want the token declined as stale", d, err)
	}
	if _, err := e.c.CheckMany(t.Context(), admin, "project:view", []authz.ResourceRef{p2}); err != nil {
		t.Fatal(err)
	}
	for i, rec := range append(recs[:], e.spans) {
		var got []string
		for _, s := range rec.Ended() {
			set := attribute.NewSet(s.Attributes()...)
			if v, ok := set.Value("fgakit.token.stale"); ok {
				got = append(got, s.Name()+" "+v.String())
			}
		}
		if diff := cmp.Diff([]string{"authz.Check true", "authz.CheckMany true"}, got); diff != "" {
			t.Errorf("provider %d: spans with fgakit.token.stale (-want +got):\n%s", i, diff)
		}
	}
}
