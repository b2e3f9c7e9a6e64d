package authz

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/fgakit/fgakit/token"
)

// Hooks are the instrumentation points of a Client, for tracing and
// metrics: [github.com/fgakit/fgakit/otelfgakit] (a separate module) turns
// them into OpenTelemetry spans and metrics. Install them with [WithHooks].
// Every field is optional; a Client without hooks pays nothing for them
// (its token-layer check stays allocation-free).
//
// Hooks run synchronously on the goroutine of the call they report, may
// run concurrently, and must be fast and must not panic: a panic is not
// recovered (except inside a merged API check, where it becomes that call's
// [ErrPanic] error, as any panic there does).
//
// What hooks see: permission slugs, resource type slugs, route templates,
// statuses, durations, counts and errors — never the API key or a token.
// They are not given membership IDs, resource IDs or external IDs; the
// errors they are given may name such identifiers in their text.
type Hooks struct {
	// Start is called when [Client.Check], [ResourceLayer.Check],
	// [Client.CheckMany] or [Filter] begins, and when
	// [Middleware.RequirePermission] decides on the token alone
	// ([OpRequirePermission]; the call then starts and ends at once, and
	// the request's handler runs after end, with the request's own
	// context). The call then runs with the
	// context Start returns (which must be ctx or derived from it), so
	// every later hook of the call receives it: a span Start puts there is
	// the parent of the call's attempts. end, when not nil, is called once,
	// when the call returns, with its result — or, when the call panics
	// (in a [Cache], a [Freshness] or another hook), with an error
	// matching [ErrPanic] as the panic unwinds, which is not recovered.
	//
	// A merged API check ([Client.Check]) runs on the context of the caller
	// that started it, without its cancellation: the attempts of a shared
	// call are reported under that caller's Start context only — as
	// derived by [Hooks].APICheck, which brackets the call itself.
	Start func(ctx context.Context, call Call) (_ context.Context, end func(CallResult))

	// Decision is called for every decision a call produces, with the
	// call's context: once per [Client.Check], [ResourceLayer.Check] or
	// [OpRequirePermission] (after the check, before end), once per item of [Client.CheckMany]
	// and [Filter] — every item answered or failed, in input order; items
	// an early stop ([RequireAll], [RequireAny]) left unasked are not
	// reported.
	Decision func(ctx context.Context, e DecisionEvent)

	// Attempt is called after every HTTP attempt of every call (checks,
	// management calls, listings), with the context the request was sent
	// with. [WithObserver] installs an Attempt hook without the context.
	Attempt func(ctx context.Context, a Attempt)

	// Retry is called when a failed attempt is about to be retried, before
	// the wait.
	Retry func(ctx context.Context, e RetryEvent)

	// RateLimitWait is called after each attempt's wait for a slot of the
	// Client's rate limit ([WithRateLimit], [WithLimiter]); never without
	// one.
	RateLimitWait func(ctx context.Context, e RateLimitWaitEvent)

	// MergedCall is called when the API call behind merged identical
	// checks (see [Client.Check]) returns, with the number of checks that
	// waited on it: 1 when nobody joined, n when n−1 checks got the answer
	// with [SourceShared]. ctx is the call's (that of the check that
	// started it, without its cancellation).
	MergedCall func(ctx context.Context, callers int)

	// APICheck is called when the API check call behind one or more
	// merged checks (see [Client.Check]) starts, with the context it runs
	// on — that of the check that started it, without its cancellation —
	// and the permission and resource type slug asked about (Op is zero:
	// the call may answer checks of several operations). The call then
	// runs with the context APICheck returns (ctx or derived from it), so
	// its attempts, rate-limit waits and MergedCall are reported with it:
	// a span put there is the parent of the call's attempts, and lives as
	// long as the call, which outlives the check that started it when that
	// check is cancelled while others still wait on the answer. end, when
	// not nil, is called once, when the call returns, with its error: nil
	// for an answer (a 404 included, which is a deny), else what every
	// waiting check is given.
	APICheck func(ctx context.Context, call Call) (_ context.Context, end func(error))

	// CacheLookup is called each time the decision cache ([WithCache]) is
	// asked for an answer, with whether it held one. It is not called
	// without a cache, for [Fresh] calls, or when the request memo
	// answered first.
	CacheLookup func(ctx context.Context, hit bool)
}

// Operation names the call a hook reports.
type Operation uint8

const (
	// OpCheck is [Client.Check].
	OpCheck Operation = iota + 1
	// OpResourceCheck is [ResourceLayer.Check].
	OpResourceCheck
	// OpCheckMany is [Client.CheckMany].
	OpCheckMany
	// OpFilter is [Filter].
	OpFilter
	// OpRequirePermission is [Middleware.RequirePermission] answered by
	// the session token alone: its allow or deny (Source [SourceToken]),
	// or its refusal by a closed Client ([ErrClosed]). A request whose
	// token a [Freshness] calls stale is reported by the [Client.Check] of
	// the organization root that the middleware makes instead (OpCheck).
	OpRequirePermission
)

// String returns "Check", "ResourceLayer.Check", "CheckMany", "Filter" or
// "Middleware.RequirePermission" ("" for the zero Operation).
func (o Operation) String() string {
	switch o {
	case OpRequirePermission:
		return "Middleware.RequirePermission"
	case OpCheck:
		return "Check"
	case OpResourceCheck:
		return "ResourceLayer.Check"
	case OpCheckMany:
		return "CheckMany"
	case OpFilter:
		return "Filter"
	}
	return ""
}

// Call describes a call reported to [Hooks].Start.
type Call struct {
	// Op is the method called.
	Op Operation
	// Permission is the permission slug asked about.
	Permission string
	// ResourceTypeSlug is the resource's type slug for a single check of a
	// reference by external ID; empty for a reference by ID (whose type is
	// not known before the API answers) and for batches.
	ResourceTypeSlug string
	// Items is the number of resources asked about: 1 for a single check.
	Items int
}

// CallResult is what a call returned, reported to the end function of
// [Hooks].Start.
type CallResult struct {
	// Decision is a single check's answer (zero for a batch).
	Decision Decision
	// Decisions are a batch's answers, in input order (nil for a single
	// check). It is the slice returned to the caller: read it, never keep
	// or change it.
	Decisions []Decision
	// Err is the call's error: for a batch, a [*BatchError] when some items
	// could not be decided.
	Err error
}

// DecisionEvent is one decision, reported to [Hooks].Decision.
type DecisionEvent struct {
	// Op is the call that produced it.
	Op Operation
	// Permission is the permission slug asked about.
	Permission string
	// Decision is the answer: Source [SourceNone] when Err is set. Its
	// TokenStale says whether the token layer declined stale claims
	// ([WithFreshness]).
	Decision Decision
	// Err is why the question could not be decided; nil for an allow or a
	// deny.
	Err error
}

// RetryEvent is a retry about to happen, reported to [Hooks].Retry.
type RetryEvent struct {
	// Method and Route are those of the call (see [Attempt]).
	Method, Route string
	// Attempt is the number of the attempt that failed (from 1); the next
	// attempt is Attempt+1.
	Attempt int
	// Wait is how long the Client waits before the next attempt.
	Wait time.Duration
	// Err is the failed attempt's error.
	Err error
}

// RateLimitWaitEvent is an attempt's wait for a slot of the Client's rate
// limit, reported to [Hooks].RateLimitWait.
type RateLimitWaitEvent struct {
	// Method and Route are those of the call (see [Attempt]).
	Method, Route string
	// Wait is the time spent waiting; about zero when a slot was free.
	Wait time.Duration
	// Err is set when no slot was had — the caller's context ended, or the
	// slot would have come after the deadline ([ErrThrottled]) — and the
	// attempt was not sent.
	Err error
}

// WithHooks installs instrumentation hooks ([Hooks]). It may be given more
// than once (and with [WithObserver]): every hook of every call runs, in
// the order given, and the context each Start returns is passed to the
// next one's.
func WithHooks(h Hooks) Option {
	return func(c *config) error {
		c.hooks = joinHooks(c.hooks, h)
		return nil
	}
}

// joinHooks returns hooks that run a's then b's.
func joinHooks(a, b Hooks) Hooks {
	return Hooks{
		Start:         joinStart(a.Start, b.Start),
		Decision:      join2(a.Decision, b.Decision),
		Attempt:       join2(a.Attempt, b.Attempt),
		Retry:         join2(a.Retry, b.Retry),
		RateLimitWait: join2(a.RateLimitWait, b.RateLimitWait),
		MergedCall:    join2(a.MergedCall, b.MergedCall),
		CacheLookup:   join2(a.CacheLookup, b.CacheLookup),
		APICheck:      joinStart(a.APICheck, b.APICheck),
	}
}

// startAPICheck runs the APICheck hook, if any, for the API check call of
// k starting with ctx.
func (c *Client) startAPICheck(ctx context.Context, k checkKey) (context.Context, func(error)) {
	h := c.cfg.hooks.APICheck
	if h == nil {
		return ctx, nil
	}
	return startHook(h, ctx, Call{Permission: k.permission, ResourceTypeSlug: k.typeSlug, Items: 1})
}

// endAPICheck calls end with err, and returns a *PanicError if end
// panics (the call runs on singleflight's goroutine, where a panic would
// crash the process).
func (c *Client) endAPICheck(end func(error), err error) (perr error) {
	defer func() {
		if p := recover(); p != nil {
			perr = &PanicError{Value: c.clean(fmt.Sprint(p), maxEchoedBody)}
		}
	}()
	end(err)
	return nil
}

func join2[T any](a, b func(context.Context, T)) func(context.Context, T) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(ctx context.Context, v T) { a(ctx, v); b(ctx, v) }
}

// joinStart joins two hooks that start something and return its end
// (Start, APICheck): a's starts first, b's gets the context a's returned,
// and the ends run in reverse order, b's then a's.
func joinStart[R any](a, b func(context.Context, Call) (context.Context, func(R))) func(context.Context, Call) (context.Context, func(R)) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(ctx context.Context, call Call) (context.Context, func(R)) {
		ctx, endA := startHook(a, ctx, call)
		ctx, endB := startHook(b, ctx, call)
		switch {
		case endA == nil:
			return ctx, endB
		case endB == nil:
			return ctx, endA
		}
		return ctx, func(r R) { endB(r); endA(r) }
	}
}

// startHook calls start, keeping ctx if start returns nil.
func startHook[R any](start func(context.Context, Call) (context.Context, func(R)), ctx context.Context, call Call) (context.Context, func(R)) {
	nctx, end := start(ctx, call)
	if nctx == nil {
		nctx = ctx
	}
	return nctx, end
}

// onCall reports whether the call hooks (Start, Decision) are set: the
// check methods then run under hookedCheck or hookedBatch.
func (h *Hooks) onCall() bool { return h.Start != nil || h.Decision != nil }

// hookedCheck runs a single check (run) under the call hooks.
func (c *Client) hookedCheck(ctx context.Context, call Call, run func(context.Context) (Decision, error)) (Decision, error) {
	h := &c.cfg.hooks
	var end func(CallResult)
	if h.Start != nil {
		ctx, end = startHook(h.Start, ctx, call)
	}
	if end != nil {
		defer endOnPanic(&end)
	}
	d, err := run(ctx)
	if h.Decision != nil {
		h.Decision(ctx, DecisionEvent{Op: call.Op, Permission: call.Permission, Decision: d, Err: err})
	}
	if end != nil {
		e := end
		end = nil // ended: endOnPanic does nothing
		e(CallResult{Decision: d, Err: err})
	}
	return d, err
}

// endOnPanic calls *end, when it is still set, with [ErrPanic]: the call
// is unwinding from a panic (in the check, a [Cache], a [Freshness] or a
// hook) before it could end, and the end function — which may close a
// span — must still run once. The panic is not recovered.
func endOnPanic(end *func(CallResult)) {
	if e := *end; e != nil {
		*end = nil
		e(CallResult{Err: ErrPanic})
	}
}

// reportRequirePermission reports to the call hooks the decision (d or
// err) that [Middleware.RequirePermission] made without [Client.Check].
// Without call hooks it does nothing and allocates nothing.
func (c *Client) reportRequirePermission(ctx context.Context, permission string, d Decision, err error) {
	if !c.cfg.hooks.onCall() {
		return
	}
	c.hookedCheck(ctx, Call{Op: OpRequirePermission, Permission: permission, Items: 1}, func(context.Context) (Decision, error) {
		return d, err
	})
}

// singleCall describes a single check for the hooks.
func singleCall(op Operation, permission string, r ResourceRef) Call {
	return Call{Op: op, Permission: permission, ResourceTypeSlug: r.ResourceTypeSlug, Items: 1}
}

// runBatch is CheckMany (op OpCheckMany) or Filter's CheckMany (OpFilter),
// under the call hooks when there are any.
func (c *Client) runBatch(ctx context.Context, op Operation, claims *token.Claims, permission string, rs []ResourceRef, opts []CallOption) ([]Decision, error) {
	h := &c.cfg.hooks
	if !h.onCall() {
		return c.checkMany(ctx, claims, permission, rs, opts...)
	}
	var end func(CallResult)
	if h.Start != nil {
		ctx, end = startHook(h.Start, ctx, Call{Op: op, Permission: permission, Items: len(rs)})
	}
	if end != nil {
		defer endOnPanic(&end)
	}
	ds, err := c.checkMany(ctx, claims, permission, rs, opts...)
	if h.Decision != nil {
		c.reportBatch(ctx, op, permission, ds, err)
	}
	if end != nil {
		e := end
		end = nil // ended: endOnPanic does nothing
		e(CallResult{Decisions: ds, Err: err})
	}
	return ds, err
}

// reportBatch tells the Decision hook about every answered or failed item
// of a batch.
func (c *Client) reportBatch(ctx context.Context, op Operation, permission string, ds []Decision, err error) {
	var be *BatchError
	if err != nil && !errors.As(err, &be) {
		// The whole batch failed (invalid input, closed Client): no item
		// was decided.
		for range ds {
			c.cfg.hooks.Decision(ctx, DecisionEvent{Op: op, Permission: permission, Err: err})
		}
		return
	}
	j := 0 // next failure; Failures are sorted by Index
	for i, d := range ds {
		var ierr error
		if be != nil && j < len(be.Failures) && be.Failures[j].Index == i {
			ierr = be.Failures[j].Err
			j++
		}
		if ierr == nil && d.Source == SourceNone {
			continue // left unasked by an early stop
		}
		c.cfg.hooks.Decision(ctx, DecisionEvent{Op: op, Permission: permission, Decision: d, Err: ierr})
	}
}

// waitRateLimit is waitSlot, telling the RateLimitWait hook how long the
// wait took when the Client has a rate limit.
func (c *Client) waitRateLimit(ctx context.Context, slotDeadline time.Time, slot *atomic.Int64, method, route string) error {
	h := c.cfg.hooks.RateLimitWait
	if h == nil || c.cfg.limiter == nil {
		return c.waitSlot(ctx, slotDeadline, slot)
	}
	start := time.Now()
	err := c.waitSlot(ctx, slotDeadline, slot)
	h(ctx, RateLimitWaitEvent{Method: method, Route: route, Wait: time.Since(start), Err: err})
	return err
}

// reportMerged tells the MergedCall hook how many checks waited on the
// call of f that just returned, and starts the count again for a call that
// a late check may start on the same flight (see join).
func (c *Client) reportMerged(ctx context.Context, f *flight) {
	h := c.cfg.hooks.MergedCall
	if h == nil {
		return
	}
	c.flightsMu.Lock()
	n := f.callers
	f.callers = 0
	c.flightsMu.Unlock()
	if n > 0 {
		h(ctx, n)
	}
}

// reportCacheLookup tells the CacheLookup hook about one cache lookup.
func (c *Client) reportCacheLookup(ctx context.Context, hit bool) {
	if h := c.cfg.hooks.CacheLookup; h != nil {
		h(ctx, hit)
	}
}
