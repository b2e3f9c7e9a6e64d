package authz

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// rateLimiter is a token bucket shared by every HTTP attempt of a Client
// (see WithRateLimit). Tokens refill continuously at rate per second up to
// burst. A caller that finds no token reserves the next one (the balance
// goes negative) and waits for it; if it gives up, it hands the token back.
type rateLimiter struct {
	perToken time.Duration // time to refill one token
	burst    float64
	now      func() time.Time

	mu     sync.Mutex
	tokens float64   // may be negative: tokens reserved ahead
	last   time.Time // when tokens was last brought up to date
}

func newRateLimiter(perMinute, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{
		perToken: time.Minute / time.Duration(perMinute),
		burst:    float64(burst),
		now:      now,
		tokens:   float64(burst),
		last:     now(),
	}
}

// reserve takes one token and returns how long the caller must wait before
// using it (0 if a token was available).
func (l *rateLimiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if elapsed := now.Sub(l.last); elapsed > 0 {
		l.tokens = min(l.burst, l.tokens+float64(elapsed)/float64(l.perToken))
		l.last = now
	}
	l.tokens--
	if l.tokens >= 0 {
		return 0
	}
	return time.Duration(-l.tokens * float64(l.perToken))
}

// cancel hands back a token reserved by a caller that will not use it.
func (l *rateLimiter) cancel() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = min(l.burst, l.tokens+1)
}

// wait blocks until the caller may send one request. It returns an error
// (wrapping ctx.Err(), or context.DeadlineExceeded when the wait would pass
// ctx's deadline) without taking a token when it cannot.
func (l *rateLimiter) wait(ctx context.Context) error {
	d := l.reserve()
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && l.now().Add(d).After(dl) {
		l.cancel()
		return fmt.Errorf("authz: rate limit: next request slot in %s would pass the deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		l.cancel()
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
