package otelfgakit

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/token"
)

// ScopeName is the instrumentation scope of the tracer and the meter:
// this package's import path.
const ScopeName = "github.com/fgakit/fgakit/otelfgakit"

// Version is this module's version, reported as the instrumentation scope
// version.
const Version = "0.1.0"

// Option configures [Instrument].
type Option func(*config)

type config struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
}

// WithTracerProvider sets the TracerProvider spans are created with
// (default: the global one, [otel.GetTracerProvider]). nil is ignored.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) {
		if tp != nil {
			c.tp = tp
		}
	}
}

// WithMeterProvider sets the MeterProvider metrics are recorded with
// (default: the global one, [otel.GetMeterProvider]). nil is ignored.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) {
		if mp != nil {
			c.mp = mp
		}
	}
}

// Instrument returns an [authz.Option] that makes a Client report its
// checks and API calls as OpenTelemetry spans and metrics (see the package
// documentation for their names and attributes):
//
//	client, err := authz.New(apiKey, otelfgakit.Instrument())
//
// It installs [authz.Hooks] with [authz.WithHooks], so it composes with
// other hooks and with [authz.WithObserver]. The providers are those of
// the options, or the global ones at the time Instrument is called (the
// global providers delegate to whatever is installed later). An instrument
// that cannot be created is reported to [otel.Handle] and left out; the
// Client works the same.
func Instrument(opts ...Option) authz.Option {
	return authz.WithHooks(newHooks(opts...).hooks())
}

// Attribute keys of this package (the others are OpenTelemetry semantic
// conventions: http.*, url.template, server.*, error.type).
const (
	// keyOperation is the method called: Check, ResourceLayer.Check,
	// CheckMany or Filter.
	keyOperation = attribute.Key("fgakit.operation")
	// keySource is the layer that answered: token, api, shared, cache,
	// memo, or none when nothing did.
	keySource = attribute.Key("fgakit.decision.source")
	// keySources lists the distinct sources of a batch's decisions.
	keySources = attribute.Key("fgakit.decision.sources")
	// keyOutcome is allowed, denied or error.
	keyOutcome = attribute.Key("fgakit.decision.outcome")
	// keyNotFound marks a deny because the API answered 404 (set only
	// when true).
	keyNotFound = attribute.Key("fgakit.decision.not_found")
	// keyTokenStale marks the span of a call in which the token was
	// declined as stale (for a batch: for some item).
	keyTokenStale = attribute.Key("fgakit.token.stale")
	// keyPermission is the permission slug (spans only).
	keyPermission = attribute.Key("fgakit.permission")
	// keyResourceType is the resource type slug of a check by external ID
	// (spans only).
	keyResourceType = attribute.Key("fgakit.resource.type")
	// keyItems … keyUnasked count a batch's items (spans only).
	keyItems   = attribute.Key("fgakit.batch.items")
	keyAllowed = attribute.Key("fgakit.batch.allowed")
	keyDenied  = attribute.Key("fgakit.batch.denied")
	keyFailed  = attribute.Key("fgakit.batch.failed")
	keyUnasked = attribute.Key("fgakit.batch.unasked")
	// keyBatchNotFound counts a batch's denials by 404.
	keyBatchNotFound = attribute.Key("fgakit.batch.not_found")
	// keyMergedCallers is the number of checks that shared an API call,
	// on an event of the span of the call that started it.
	keyMergedCallers = attribute.Key("fgakit.check.merged_callers")
	// keyCacheResult is hit or miss.
	keyCacheResult = attribute.Key("fgakit.cache.result")
	// keyWait is a rate-limit wait in seconds, on a span event.
	keyWait = attribute.Key("fgakit.rate_limit.wait")
)

// Outcomes of a decision.
const (
	outcomeAllowed = "allowed"
	outcomeDenied  = "denied"
	outcomeError   = "error"
)

// Metric names.
const (
	metricDecisions     = "fgakit.authz.decisions"
	metricRetries       = "fgakit.authz.retries"
	metricRateLimitWait = "fgakit.authz.rate_limit.wait.duration"
	metricMergedCallers = "fgakit.authz.check.merged_callers"
	metricCacheLookups  = "fgakit.authz.cache.lookups"
	metricTokenStale    = "fgakit.authz.token.stale"
)

// Operations, sources and outcomes indexed for the precomputed attribute
// sets of the decision counter.
var (
	ops      = [...]authz.Operation{authz.OpCheck, authz.OpResourceCheck, authz.OpCheckMany, authz.OpFilter, authz.OpRequirePermission}
	sources  = [...]authz.Source{authz.SourceNone, authz.SourceToken, authz.SourceAPI, authz.SourceShared, authz.SourceCache, authz.SourceMemo}
	outcomes = [...]string{outcomeAllowed, outcomeDenied}
)

// instrumentation holds the tracer and the instruments of one Instrument
// call.
type instrumentation struct {
	tracer trace.Tracer

	decisions     metric.Int64Counter
	duration      httpconv.ClientRequestDuration
	retries       metric.Int64Counter
	rateLimitWait metric.Float64Histogram
	mergedCallers metric.Int64Histogram
	cacheLookups  metric.Int64Counter
	tokenStale    metric.Int64Counter

	// decisionOpts[op][source][outcome] are the precomputed attributes of
	// an allow or a deny, so that counting one does not allocate.
	decisionOpts [len(ops) + 1][len(sources)][len(outcomes)][]metric.AddOption
	notFoundOpts [len(ops) + 1][len(sources)][]metric.AddOption // denials by 404
	hit, miss    []metric.AddOption
	staleOpts    [len(ops) + 1][]metric.AddOption

	server atomic.Pointer[server] // the last base URL seen, parsed
	// names are attempt span names by method and route, copied on write.
	names   atomic.Pointer[map[[2]string]string]
	namesMu sync.Mutex
	// durationSets are http.client.request.duration attribute sets,
	// copied on write.
	durationSets atomic.Pointer[map[durationKey]attribute.Set]
	setsMu       sync.Mutex
}

// server is a base URL's server.address and server.port.
type server struct {
	baseURL string
	address string
	port    int
}

func newHooks(opts ...Option) *instrumentation {
	cfg := config{tp: otel.GetTracerProvider(), mp: otel.GetMeterProvider()}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	in := &instrumentation{
		tracer: cfg.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version), trace.WithSchemaURL(semconv.SchemaURL)),
	}
	m := cfg.mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version), metric.WithSchemaURL(semconv.SchemaURL))
	handle := func(err error) {
		if err != nil {
			otel.Handle(err)
		}
	}
	var err error
	in.decisions, err = m.Int64Counter(metricDecisions, metric.WithUnit("{decision}"),
		metric.WithDescription("Access decisions, by the layer that answered (fgakit.decision.source) and the outcome (fgakit.decision.outcome)."))
	handle(err)
	in.duration, err = httpconv.NewClientRequestDuration(m)
	handle(err)
	in.retries, err = m.Int64Counter(metricRetries, metric.WithUnit("{retry}"),
		metric.WithDescription("Retries of failed WorkOS API attempts, by the failure retried (error.type)."))
	handle(err)
	in.rateLimitWait, err = m.Float64Histogram(metricRateLimitWait, metric.WithUnit("s"),
		metric.WithDescription("Time each WorkOS API attempt waited for a slot of the client's rate limit."),
		metric.WithExplicitBucketBoundaries(0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	handle(err)
	in.mergedCallers, err = m.Int64Histogram(metricMergedCallers, metric.WithUnit("{caller}"),
		metric.WithDescription("Concurrent identical checks that shared one WorkOS API check call (1: not shared)."),
		metric.WithExplicitBucketBoundaries(1, 2, 3, 5, 10, 25, 50, 100, 250, 500, 1000))
	handle(err)
	in.cacheLookups, err = m.Int64Counter(metricCacheLookups, metric.WithUnit("{lookup}"),
		metric.WithDescription("Lookups in the decision cache, by result (fgakit.cache.result: hit or miss)."))
	handle(err)
	in.tokenStale, err = m.Int64Counter(metricTokenStale, metric.WithUnit("{decision}"),
		metric.WithDescription("Decisions the session token would have allowed but in which it was declined as stale, so another layer answered or the decision failed (error), by fgakit.operation."))
	handle(err)

	for i, op := range ops {
		for j, src := range sources {
			for k, out := range outcomes {
				in.decisionOpts[i+1][j][k] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
					keyOperation.String(op.String()), keySource.String(src.String()), keyOutcome.String(out)))}
			}
		}
		for j, src := range sources {
			in.notFoundOpts[i+1][j] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
				keyOperation.String(op.String()), keySource.String(src.String()), keyOutcome.String(outcomeDenied), keyNotFound.Bool(true)))}
		}
		in.staleOpts[i+1] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(keyOperation.String(op.String())))}
	}
	in.hit = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(keyCacheResult.String("hit")))}
	in.miss = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(keyCacheResult.String("miss")))}
	return in
}

func (in *instrumentation) hooks() authz.Hooks {
	return authz.Hooks{
		Start:         in.start,
		Decision:      in.decision,
		Attempt:       in.attempt,
		Retry:         in.retry,
		RateLimitWait: in.rateLimitWaited,
		MergedCall:    in.mergedCall,
		CacheLookup:   in.cacheLookup,
		APICheck:      in.apiCheck,
	}
}

// apiCheckSpanName is the name of the span of an API check call.
const apiCheckSpanName = "authz.api_check"

// apiCheck opens the span of the API check call behind one or more merged
// checks: a child of this instrumentation's span of the check that started
// it, parent of the call's attempts, carrying its shared-call and
// rate-limit events. It ends when the call returns, so it outlives that
// check's span when the check was cancelled while others waited.
func (in *instrumentation) apiCheck(ctx context.Context, call authz.Call) (context.Context, func(error)) {
	ctx, span := in.tracer.Start(in.underOwnSpan(ctx), apiCheckSpanName)
	if !span.IsRecording() {
		return ctx, nil // ending a span that does not record does nothing
	}
	ctx = context.WithValue(ctx, spanKey{in}, span)
	return ctx, func(err error) {
		attrs := []attribute.KeyValue{keyPermission.String(call.Permission)}
		if call.ResourceTypeSlug != "" {
			attrs = append(attrs, keyResourceType.String(call.ResourceTypeSlug))
		}
		if err != nil {
			et := errorType(err)
			attrs = append(attrs, semconv.ErrorTypeKey.String(et))
			span.SetStatus(codes.Error, et)
		}
		span.SetAttributes(attrs...)
		span.End()
	}
}

// spanKey is the context key of the span of a call an instrumentation
// started (see start): one key per Instrument, so that two Instruments
// each find their own.
type spanKey struct{ in *instrumentation }

// ownSpan returns the span in ctx that this instrumentation started for
// the call — else, for a call without one (a management call), the span
// in ctx, the caller's.
func (in *instrumentation) ownSpan(ctx context.Context) trace.Span {
	if span, ok := ctx.Value(spanKey{in}).(trace.Span); ok {
		return span
	}
	return trace.SpanFromContext(ctx)
}

// underOwnSpan returns ctx with this instrumentation's own span of the
// call as the current span, when hooks installed after Instrument put
// another one there (which allocates a context only then): the spans this
// package opens for the call are children of its own.
func (in *instrumentation) underOwnSpan(ctx context.Context) context.Context {
	// Spans are compared by ID: a Span implementation need not be
	// comparable.
	if own, ok := ctx.Value(spanKey{in}).(trace.Span); ok && own.SpanContext().SpanID() != trace.SpanContextFromContext(ctx).SpanID() {
		return trace.ContextWithSpan(ctx, own)
	}
	return ctx
}

// opIndex is op's index in decisionOpts (0 for an unknown one).
func opIndex(op authz.Operation) int {
	for i, o := range ops {
		if o == op {
			return i + 1
		}
	}
	return 0
}

// spanNames are the call spans' names, by opIndex.
var spanNames = func() (names [len(ops) + 1]string) {
	names[0] = "authz.call"
	for i, op := range ops {
		names[i+1] = "authz." + op.String()
	}
	return names
}()

// start opens the span of a check or a batch. Its attributes are all set
// when it ends, and only when it records, so that a program without a
// tracing SDK pays for no attribute (a sampler sees none of them).
//
// A recording span is also put in ctx under a key of this
// instrumentation (spanKey), so that the span events of the call
// (rateLimitWaited, mergedCall) land on it even when hooks installed after
// Instrument put their own span in ctx. That costs one allocation, only
// for a span that records.
func (in *instrumentation) start(ctx context.Context, call authz.Call) (context.Context, func(authz.CallResult)) {
	ctx, span := in.tracer.Start(ctx, spanNames[opIndex(call.Op)])
	if span.IsRecording() {
		ctx = context.WithValue(ctx, spanKey{in}, span)
	}
	return ctx, func(r authz.CallResult) {
		if span.IsRecording() {
			if call.Op == authz.OpCheckMany || call.Op == authz.OpFilter {
				endBatch(span, call, r)
			} else {
				endSingle(span, call, r)
			}
		}
		span.End()
	}
}

func endSingle(span trace.Span, call authz.Call, r authz.CallResult) {
	var buf [6]attribute.KeyValue // at most 6: NotFound (a deny) never comes with Err
	attrs := append(buf[:0], keyPermission.String(call.Permission),
		keySource.String(r.Decision.Source.String()), keyOutcome.String(outcome(r.Decision, r.Err)))
	if call.ResourceTypeSlug != "" {
		attrs = append(attrs, keyResourceType.String(call.ResourceTypeSlug))
	}
	if r.Decision.NotFound {
		attrs = append(attrs, keyNotFound.Bool(true))
	}
	if r.Decision.TokenStale {
		attrs = append(attrs, keyTokenStale.Bool(true))
	}
	if r.Err != nil {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errorType(r.Err)))
	}
	span.SetAttributes(attrs...)
	if r.Err != nil {
		span.SetStatus(codes.Error, errorType(r.Err))
	}
}

func endBatch(span trace.Span, call authz.Call, r authz.CallResult) {
	var allowed, denied, unasked, notFound int
	var seen [len(sources)]bool
	stale := false
	for _, d := range r.Decisions {
		if d.NotFound && !d.Allowed {
			notFound++
		}
		stale = stale || d.TokenStale
		switch {
		case d.Source == authz.SourceNone:
			unasked++ // failed items are taken out below
		case d.Allowed:
			allowed++
		default:
			denied++
		}
		if int(d.Source) < len(seen) && d.Source != authz.SourceNone {
			seen[d.Source] = true
		}
	}
	failed := 0
	var be *authz.BatchError
	switch {
	case errors.As(r.Err, &be):
		failed = len(be.Failures)
	case r.Err != nil:
		failed = len(r.Decisions)
	}
	unasked -= failed
	var srcs []string
	for i, ok := range seen {
		if ok {
			srcs = append(srcs, authz.Source(i).String())
		}
	}
	out := outcomeAllowed
	switch {
	case r.Err != nil:
		out = outcomeError
	case denied > 0 || unasked > 0:
		out = outcomeDenied // not every item is allowed
	}
	attrs := []attribute.KeyValue{keyPermission.String(call.Permission), keyItems.Int(call.Items),
		keyOutcome.String(out), keySources.StringSlice(srcs),
		keyAllowed.Int(allowed), keyDenied.Int(denied), keyFailed.Int(failed), keyUnasked.Int(max(unasked, 0))}
	if notFound > 0 {
		attrs = append(attrs, keyBatchNotFound.Int(notFound))
	}
	if stale {
		attrs = append(attrs, keyTokenStale.Bool(true))
	}
	var et string
	if r.Err != nil {
		et = errorType(r.Err)
		if be != nil && len(be.Failures) > 0 {
			et = errorType(be.Failures[0].Err)
		}
		attrs = append(attrs, semconv.ErrorTypeKey.String(et))
	}
	span.SetAttributes(attrs...)
	if r.Err != nil {
		span.SetStatus(codes.Error, et)
	}
}

// Spans that could not decide get status Error with error.type as the
// description, never the error's text, which may name identifiers.

func outcome(d authz.Decision, err error) string {
	switch {
	case err != nil:
		return outcomeError
	case d.Allowed:
		return outcomeAllowed
	}
	return outcomeDenied
}

// decision counts one decision.
func (in *instrumentation) decision(ctx context.Context, e authz.DecisionEvent) {
	op := opIndex(e.Op)
	if e.Decision.TokenStale {
		// The call's span says so when it ends (endSingle, endBatch): the
		// span in ctx may be another hook's.
		in.tokenStale.Add(ctx, 1, in.staleOpts[op]...)
	}
	if e.Err != nil {
		in.decisions.Add(ctx, 1, metric.WithAttributes(keyOperation.String(e.Op.String()),
			keySource.String(e.Decision.Source.String()), keyOutcome.String(outcomeError), semconv.ErrorTypeKey.String(errorType(e.Err))))
		return
	}
	k := 1
	if e.Decision.Allowed {
		k = 0
	}
	switch {
	case op == 0 || int(e.Decision.Source) >= len(sources):
		attrs := []attribute.KeyValue{keyOperation.String(e.Op.String()), keySource.String(e.Decision.Source.String()), keyOutcome.String(outcomes[k])}
		if e.Decision.NotFound {
			attrs = append(attrs, keyNotFound.Bool(true))
		}
		in.decisions.Add(ctx, 1, metric.WithAttributes(attrs...))
	case e.Decision.NotFound && !e.Decision.Allowed:
		in.decisions.Add(ctx, 1, in.notFoundOpts[op][e.Decision.Source]...)
	default:
		in.decisions.Add(ctx, 1, in.decisionOpts[op][e.Decision.Source][k]...)
	}
}

// serverOf returns the server.address and server.port of a base URL.
func (in *instrumentation) serverOf(baseURL string) *server {
	if s := in.server.Load(); s != nil && s.baseURL == baseURL {
		return s
	}
	s := &server{baseURL: baseURL}
	if u, err := url.Parse(baseURL); err == nil {
		s.address = u.Hostname()
		if p, err := strconv.Atoi(u.Port()); err == nil {
			s.port = p
		} else if u.Scheme == "http" {
			s.port = 80
		} else {
			s.port = 443
		}
	}
	in.server.Store(s)
	return s
}

// attempt records one HTTP attempt: its duration in
// http.client.request.duration and a client span, created after the fact
// with the attempt's start time, as a child of this package's span of the
// call (authz.api_check for a check call), else of the span in ctx.
func (in *instrumentation) attempt(ctx context.Context, a authz.Attempt) {
	end := time.Now()
	srv := in.serverOf(a.BaseURL)
	var et string
	if a.Err != nil {
		et = errorType(a.Err)
	}
	var buf [8]attribute.KeyValue
	attrs := append(buf[:0], semconv.URLTemplate(a.Route))
	if a.StatusCode > 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(a.StatusCode))
	}
	if et != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(et))
	}
	if in.duration.Enabled(ctx) {
		in.duration.RecordSet(ctx, a.Duration.Seconds(), in.durationSet(durationKey{a.Method, a.Route, a.StatusCode, et, srv}, attrs))
	}

	_, span := in.tracer.Start(in.underOwnSpan(ctx), in.attemptName(a.Method, a.Route), trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(end.Add(-a.Duration)))
	if span.IsRecording() {
		attrs = append(attrs, semconv.HTTPRequestMethodKey.String(a.Method), semconv.ServerAddress(srv.address), semconv.ServerPort(srv.port))
		if a.Attempt > 1 {
			attrs = append(attrs, semconv.HTTPRequestResendCount(a.Attempt-1))
		}
		span.SetAttributes(attrs...)
		if et != "" {
			span.SetStatus(codes.Error, et)
		}
	}
	span.End(trace.WithTimestamp(end))
}

// durationKey is what the attributes of an http.client.request.duration
// value depend on.
type durationKey struct {
	method, route string
	status        int
	errorType     string
	server        *server
}

// durationSet returns the attribute set of an attempt's duration, built
// once per key (a Client sees a few dozen routes, statuses and error
// types): building a set sorts and hashes its attributes.
func (in *instrumentation) durationSet(k durationKey, attrs []attribute.KeyValue) attribute.Set {
	if m := in.durationSets.Load(); m != nil {
		if set, ok := (*m)[k]; ok {
			return set
		}
	}
	all := append(attrs[:len(attrs):len(attrs)], semconv.HTTPRequestMethodKey.String(k.method),
		semconv.ServerAddress(k.server.address), semconv.ServerPort(k.server.port))
	set := attribute.NewSet(all...)
	in.setsMu.Lock()
	defer in.setsMu.Unlock()
	old := in.durationSets.Load()
	if old != nil && len(*old) >= maxSets {
		return set // not remembered
	}
	next := make(map[durationKey]attribute.Set, 1)
	if old != nil {
		maps.Copy(next, *old)
	}
	next[k] = set
	in.durationSets.Store(&next)
	return set
}

// maxSets bounds the remembered duration attribute sets.
const maxSets = 1024

// attemptName is the name of an attempt's span, "{method} {url.template}"
// as the HTTP client conventions name it, remembered per method and route
// (a Client has a few dozen routes) so that naming does not allocate.
func (in *instrumentation) attemptName(method, route string) string {
	k := [2]string{method, route}
	if m := in.names.Load(); m != nil {
		if n, ok := (*m)[k]; ok {
			return n
		}
	}
	in.namesMu.Lock()
	defer in.namesMu.Unlock()
	old := in.names.Load()
	next := make(map[[2]string]string, 1)
	if old != nil {
		if len(*old) >= maxNames {
			return method + " " + route // not remembered: routes are templates, this should not happen
		}
		maps.Copy(next, *old)
	}
	n := method + " " + route
	next[k] = n
	in.names.Store(&next)
	return n
}

// maxNames bounds the remembered attempt span names.
const maxNames = 256

// retry counts a retry, by the failure retried.
func (in *instrumentation) retry(ctx context.Context, e authz.RetryEvent) {
	in.retries.Add(ctx, 1, metric.WithAttributes(semconv.HTTPRequestMethodKey.String(e.Method),
		semconv.URLTemplate(e.Route), semconv.ErrorTypeKey.String(errorType(e.Err))))
}

// minWaitEvent is the shortest rate-limit wait recorded as a span event
// (the histogram has every wait).
const minWaitEvent = time.Millisecond

// rateLimitWaited records an attempt's wait for a rate-limit slot, and a
// wait of a millisecond or more (or a failed one) as an event of the span
// in ctx.
func (in *instrumentation) rateLimitWaited(ctx context.Context, e authz.RateLimitWaitEvent) {
	attrs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(e.Method), semconv.URLTemplate(e.Route)}
	if e.Err != nil {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errorType(e.Err)))
	}
	in.rateLimitWait.Record(ctx, e.Wait.Seconds(), metric.WithAttributes(attrs...))
	if e.Wait >= minWaitEvent || e.Err != nil {
		if span := in.ownSpan(ctx); span.IsRecording() {
			span.AddEvent("fgakit.rate_limit.wait", trace.WithAttributes(append(attrs, keyWait.Float64(e.Wait.Seconds()))...))
		}
	}
}

// mergedCall records how many checks shared an API call and, when more
// than one did, adds an event to the span of the call that started it.
func (in *instrumentation) mergedCall(ctx context.Context, callers int) {
	in.mergedCallers.Record(ctx, int64(callers))
	if callers > 1 {
		if span := in.ownSpan(ctx); span.IsRecording() {
			span.AddEvent("fgakit.check.shared_call", trace.WithAttributes(keyMergedCallers.Int(callers)))
		}
	}
}

// cacheLookup counts a lookup in the decision cache.
func (in *instrumentation) cacheLookup(ctx context.Context, hit bool) {
	if hit {
		in.cacheLookups.Add(ctx, 1, in.hit...)
	} else {
		in.cacheLookups.Add(ctx, 1, in.miss...)
	}
}

// errorType classifies err for the error.type attribute, from a fixed set
// of values: the HTTP status code of an API error ("404", "503"…), as the
// HTTP semantic conventions ask, or one of canceled, throttled,
// deadline_exceeded, closed, unavailable, malformed_response, response_too_large, panic,
// invalid_input, organization_mismatch, no_membership — else "_OTHER". A
// context error wins over the failure it interrupted: a check whose caller
// gave up is canceled whatever its last attempt answered.
func errorType(err error) string {
	var ae *authz.APIError
	switch {
	case errors.Is(err, authz.ErrClosed):
		return "closed"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, authz.ErrThrottled):
		// Also a DeadlineExceeded: the client's own rate limiter had no
		// slot before the deadline, and nothing was sent.
		return "throttled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	case errors.As(err, &ae):
		return strconv.Itoa(ae.StatusCode)
	case errors.Is(err, authz.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, authz.ErrMalformedResponse):
		return "malformed_response"
	case errors.Is(err, authz.ErrResponseTooLarge):
		return "response_too_large"
	case errors.Is(err, authz.ErrPanic):
		return "panic"
	case errors.Is(err, authz.ErrInvalidInput):
		return "invalid_input"
	case errors.Is(err, authz.ErrOrganizationMismatch):
		return "organization_mismatch"
	case errors.Is(err, token.ErrNoMembership):
		return "no_membership"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return "unavailable"
	}
	return semconv.ErrorTypeOther.Value.AsString()
}
