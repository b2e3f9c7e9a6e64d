package authz

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// ErrThrottled: the Client's own rate limiter ([WithRateLimit],
// [WithLimiter]) had no request slot before the call's deadline, so the
// call failed at once, without waiting and without a request. It also
// matches [context.DeadlineExceeded]. (A 429 from the API is
// [ErrRateLimited].)
var ErrThrottled = errors.New("authz: throttled by the client's rate limiter: no request slot before the deadline")

// Limiter paces the HTTP attempts of a Client ([WithLimiter]): every
// attempt, retries included, calls Wait first — or, for a Limiter that is
// also a [SlotReserver], ReserveSlot instead. [*rate.Limiter] of
// golang.org/x/time/rate implements it (and is used as a SlotReserver), and
// so can a limiter shared by a fleet of processes (one bucket in Redis for
// one API key, say).
//
// Wait blocks until one request may be sent. It must return an error at
// once, without taking a slot, when the slot would come after ctx's
// deadline (as [rate.Limiter.Wait] does), and return when ctx is done.
// The Client turns any error of Wait whose ctx is not done into an error
// matching [ErrThrottled] and [context.DeadlineExceeded]. Wait is called
// concurrently.
type Limiter interface {
	Wait(ctx context.Context) error
}

// WorkOSRateLimit is the documented general rate limit of the WorkOS API:
// 6,000 requests per minute (per API key).
const WorkOSRateLimit = 6000

// WithRateLimit makes every HTTP attempt of this Client (retries included)
// take a token from a client-wide token bucket refilled at perMinute tokens
// per minute and holding at most burst ([rate.Limiter]). An attempt with no
// token waits for one — or, when the token would come after the call's
// deadline, fails at once with an error matching [ErrThrottled] (and
// [context.DeadlineExceeded]), sending nothing. Off by default.
//
// The deadline is the caller's ctx deadline, bounded by [WithCallTimeout].
// For merged checks ([Client.Check]) the shared call waits for its slot by
// the deadline of the check that started it; a check that joins the call
// while it waits for a slot past the joiner's own deadline fails at once
// with an error matching [ErrThrottled] (and [context.DeadlineExceeded]),
// without ending the call for the others.
//
// WorkOS allows [WorkOSRateLimit] requests per minute per API key, so
// WithRateLimit(WorkOSRateLimit, 100) keeps a large batch just under it: it
// slows down rather than earning 429s. The bucket is per Client; share one
// Client per API key, or use [WithLimiter] with a limiter shared by your
// processes.
func WithRateLimit(perMinute, burst int) Option {
	return func(c *config) error {
		if perMinute < 1 || burst < 1 {
			return invalid("rate limit and burst must be positive")
		}
		c.limiter = rateLimiter{rate.NewLimiter(rate.Every(time.Minute/time.Duration(perMinute)), burst)}
		return nil
	}
}

// WithLimiter makes every HTTP attempt of this Client (retries included)
// wait on l first — for example a limiter that paces every process using
// one API key. It replaces [WithRateLimit]. See [Limiter] for what l must
// do; the deadline rules are those of WithRateLimit when l can tell when
// its next slot comes: a [*rate.Limiter], or a Limiter that also
// implements [SlotReserver]. With Wait alone, a check joining a shared
// call that still waits for its slot fails at the check's own deadline
// rather than at once, with an error matching [ErrThrottled] (and
// [context.DeadlineExceeded]).
func WithLimiter(l Limiter) Option {
	return func(c *config) error {
		if l == nil {
			return invalid("nil limiter")
		}
		if rl, ok := l.(*rate.Limiter); ok {
			l = rateLimiter{rl} // can tell its slot time
		}
		c.limiter = l
		return nil
	}
}

// SlotReserver is an optional interface of a [Limiter] that can tell when
// its next request slot comes. With it, the Client learns the slot time
// before it waits: a call whose deadline comes first fails at once, and so
// does a check that joins a shared call ([Client.Check]) waiting for a slot
// past that check's deadline. [WithRateLimit]'s limiter and a
// [*rate.Limiter] given to [WithLimiter] are used this way; a Limiter with
// only Wait still works, with joining checks failing at their deadline
// instead of at once.
type SlotReserver interface {
	Limiter
	// ReserveSlot takes the next request slot and returns when it comes:
	// at is not after the current time when the slot is free at once.
	// The Client waits until at and sends, or — when its deadline is
	// before at, or its ctx ends first — calls cancel to give the slot
	// back (cancel may be nil). An error means no slot can be had; like an error of Wait, it
	// becomes an error matching [ErrThrottled]. ReserveSlot must not block
	// for the slot, and is called concurrently.
	ReserveSlot(ctx context.Context) (at time.Time, cancel func(), err error)
}

// rateLimiter is a [*rate.Limiter] as a [SlotReserver].
type rateLimiter struct{ *rate.Limiter }

// ReserveSlot reserves one token (rate.Limiter.Reserve).
func (l rateLimiter) ReserveSlot(context.Context) (time.Time, func(), error) {
	now := time.Now()
	r := l.ReserveN(now, 1)
	if !r.OK() {
		return time.Time{}, nil, errors.New("the rate limiter can never grant a request (burst 0)")
	}
	return now.Add(r.DelayFrom(now)), r.Cancel, nil
}

// slotUnknown, in flight.slot, means the call waits for a slot of a
// Limiter that cannot say when it comes.
const slotUnknown = -1

// waitSlot waits on the Client's limiter, if any. slotDeadline, when not
// zero, is an earlier deadline than ctx's for this wait (the starter's of a
// merged check). slot, when not nil, holds while the wait lasts the slot
// time in Unix nanoseconds (slotUnknown for a Limiter that is no
// SlotReserver), and 0 otherwise: a merged check's flight, read by the
// checks joining it. A done ctx gives ctx.Err(); any other failure an error
// matching ErrThrottled and context.DeadlineExceeded.
func (c *Client) waitSlot(ctx context.Context, slotDeadline time.Time, slot *atomic.Int64) error {
	l := c.cfg.limiter
	if l == nil {
		return nil
	}
	if r, ok := l.(SlotReserver); ok {
		return c.reserveSlot(ctx, r, slotDeadline, slot)
	}
	wctx := ctx
	if !slotDeadline.IsZero() {
		var cancel context.CancelFunc
		wctx, cancel = context.WithDeadline(ctx, slotDeadline)
		defer cancel()
	}
	if slot != nil {
		slot.Store(slotUnknown)
		defer slot.Store(0)
	}
	err := l.Wait(wctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return c.throttled(err.Error())
}

// reserveSlot is waitSlot for a SlotReserver: it fails at once when the
// slot comes after the deadline, and gives the slot back when it will not
// use it.
func (c *Client) reserveSlot(ctx context.Context, r SlotReserver, slotDeadline time.Time, slot *atomic.Int64) error {
	at, cancel, err := r.ReserveSlot(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return c.throttled(err.Error())
	}
	if cancel == nil {
		cancel = func() {}
	}
	dl, ok := ctx.Deadline()
	if !slotDeadline.IsZero() && (!ok || slotDeadline.Before(dl)) {
		dl, ok = slotDeadline, true
	}
	if ok && at.After(dl) {
		cancel()
		return c.throttled("the next slot is in " + time.Until(at).Round(time.Millisecond).String() + ", after the deadline")
	}
	wait := time.Until(at)
	if wait <= 0 {
		return nil
	}
	if slot != nil {
		slot.Store(at.UnixNano())
		defer slot.Store(0)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		cancel()
		return ctx.Err()
	}
}

// throttled is the error of a wait for a slot that failed for reason.
func (c *Client) throttled(reason string) error {
	return fmt.Errorf("%w (%w): %s", ErrThrottled, context.DeadlineExceeded, c.key.redact(reason))
}

// Errors of a check that joined a shared call waiting for a slot (see
// flight.throttles).
var (
	errJoinedSlotPastDeadline = fmt.Errorf("authz: POST %s: %w (%w): the shared call waits for a request slot that comes after this check's deadline", checkRoute, ErrThrottled, context.DeadlineExceeded)
	errJoinedSlotWaitExpired  = fmt.Errorf("authz: POST %s: %w (%w): the shared call was still waiting for a request slot at this check's deadline", checkRoute, ErrThrottled, context.DeadlineExceeded)
)

// throttles returns the error of a check with ctx joining f when f's call
// waits for a rate-limiter slot past ctx's deadline: at once for a known
// slot time, and once the deadline has passed for a Limiter that cannot
// tell. nil otherwise.
func (f *flight) throttles(ctx context.Context) error {
	at := f.slot.Load()
	if at == 0 {
		return nil
	}
	dl, ok := ctx.Deadline()
	switch {
	case !ok:
		return nil
	case at == slotUnknown:
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return errJoinedSlotWaitExpired
		}
	case at > dl.UnixNano():
		return errJoinedSlotPastDeadline
	}
	return nil
}
