package authz

import (
	"context"
	"errors"
	"fmt"
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
// attempt, retries included, calls Wait first. [*rate.Limiter] of
// golang.org/x/time/rate implements it, and so can a limiter shared by a
// fleet of processes (one bucket in Redis for one API key, say).
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
// The deadline is the caller's ctx deadline, bounded by [WithCallTimeout];
// for a merged check ([Client.Check]) it is that of the check that started
// the shared call. (A check that joins a shared call already waiting for
// its slot waits with it, until the answer or its own ctx is done.)
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
		c.limiter = rate.NewLimiter(rate.Every(time.Minute/time.Duration(perMinute)), burst)
		return nil
	}
}

// WithLimiter makes every HTTP attempt of this Client (retries included)
// wait on l first — for example a limiter that paces every process using
// one API key. It replaces [WithRateLimit]. See [Limiter] for what l must
// do; the deadline rules are those of WithRateLimit.
func WithLimiter(l Limiter) Option {
	return func(c *config) error {
		if l == nil {
			return invalid("nil limiter")
		}
		c.limiter = l
		return nil
	}
}

// waitSlot waits on the Client's limiter, if any. slotDeadline, when not
// zero, is an earlier deadline than ctx's for this wait (the starter's of a
// merged check). A done ctx gives ctx.Err(); any other failure an error
// matching ErrThrottled and context.DeadlineExceeded.
func (c *Client) waitSlot(ctx context.Context, slotDeadline time.Time) error {
	if c.cfg.limiter == nil {
		return nil
	}
	wctx := ctx
	if !slotDeadline.IsZero() {
		var cancel context.CancelFunc
		wctx, cancel = context.WithDeadline(ctx, slotDeadline)
		defer cancel()
	}
	err := c.cfg.limiter.Wait(wctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return fmt.Errorf("%w (%w): %s", ErrThrottled, context.DeadlineExceeded, c.key.redact(err.Error()))
}
