package authz

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/fgakit/fgakit/token"
)

// waitOnly is a Limiter with Wait alone, as a fleet-wide one may be: the
// Client cannot learn when its next slot is.
type waitOnly struct{ l *rate.Limiter }

func (w waitOnly) Wait(ctx context.Context) error { return w.l.Wait(ctx) }

// TestJoiningCheckFailsFastOnTheSharedSlot: check A, without a deadline,
// starts the shared call, which waits 5 s for a rate-limiter slot; check B,
// identical, joins it. A B whose deadline comes before that slot fails at
// once with ErrThrottled (and context.DeadlineExceeded) when the limiter
// can say when its slot is; with a Wait-only limiter it fails at its
// deadline, with ErrThrottled too. A B with a later deadline gets the
// answer with A; a cancelled B gets context.Canceled. A gets its answer at
// 5 s in every case, after one request.
func TestJoiningCheckFailsFastOnTheSharedSlot(t *testing.T) {
	t.Parallel()
	claims := &token.Claims{OrganizationID: "org_1", OrganizationMembershipID: "om_1"}
	every5s := func() *rate.Limiter { return rate.NewLimiter(rate.Every(5*time.Second), 1) }
	tests := []struct {
		name      string
		limiter   func() Option
		deadline  time.Duration // B's; 0: cancelled after 100 ms
		wantErr   []error       // nil: B is allowed
		wantAfter time.Duration // when B returns, from its start
	}{
		{"WithRateLimit, slot past B's deadline", func() Option { return WithRateLimit(12, 1) }, 100 * time.Millisecond, []error{ErrThrottled, context.DeadlineExceeded}, 0},
		{"WithLimiter(*rate.Limiter), slot past B's deadline", func() Option { return WithLimiter(every5s()) }, 100 * time.Millisecond, []error{ErrThrottled, context.DeadlineExceeded}, 0},
		{"Wait-only Limiter, slot past B's deadline", func() Option { return WithLimiter(waitOnly{every5s()}) }, 100 * time.Millisecond, []error{ErrThrottled, context.DeadlineExceeded}, 100 * time.Millisecond},
		{"slot before B's deadline", func() Option { return WithRateLimit(12, 1) }, 10 * time.Second, nil, 5 * time.Second},
		{"Wait-only Limiter, slot before B's deadline", func() Option { return WithLimiter(waitOnly{every5s()}) }, 10 * time.Second, nil, 5 * time.Second},
		{"B cancelled", func() Option { return WithRateLimit(12, 1) }, 0, []error{context.Canceled}, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int32
				rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
					calls.Add(1)
					return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"authorized":true}`))}, nil
				})
				c, err := New(testKey, WithHTTPClient(&http.Client{Transport: rt}), WithCallTimeout(time.Minute), tt.limiter())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := c.do(t.Context(), request{method: "GET", path: "/x"}, nil); err != nil {
					t.Fatalf("the burst: %v", err)
				}
				calls.Store(0)
				start := time.Now()
				type result struct {
					d   Decision
					err error
					at  time.Duration
				}
				a := make(chan result, 1)
				go func() {
					d, err := c.Check(context.WithoutCancel(t.Context()), claims, "p", ResourceID("r"))
					a <- result{d, err, time.Since(start)}
				}()
				synctest.Wait() // A's shared call waits for its slot

				var ctx context.Context
				var cancel context.CancelFunc
				if tt.deadline > 0 {
					ctx, cancel = context.WithTimeout(t.Context(), tt.deadline)
				} else {
					ctx, cancel = context.WithCancel(t.Context())
					time.AfterFunc(100*time.Millisecond, cancel)
				}
				defer cancel()
				d, err := c.Check(ctx, claims, "p", ResourceID("r"))
				if got := time.Since(start); got != tt.wantAfter {
					t.Errorf("B returned after %v, want %v", got, tt.wantAfter)
				}
				for _, want := range tt.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("B = %+v, %v; want an error matching %v", d, err, want)
					}
				}
				if tt.wantErr != nil && errors.Is(err, ErrThrottled) != errors.Is(tt.wantErr[0], ErrThrottled) {
					t.Errorf("B = %v: ErrThrottled only for a passed deadline", err)
				}
				if tt.wantErr == nil && (err != nil || !d.Allowed || d.Source != SourceShared) {
					t.Errorf("B = %+v, %v; want allowed, shared", d, err)
				}
				if tt.wantErr != nil && d.Allowed {
					t.Errorf("B allowed with error %v", err)
				}
				ra := <-a
				if ra.err != nil || !ra.d.Allowed || ra.at != 5*time.Second {
					t.Errorf("A = %+v, %v at %v; want allowed at 5s", ra.d, ra.err, ra.at)
				}
				if n := calls.Load(); n != 1 {
					t.Errorf("%d requests, want 1", n)
				}
			})
		})
	}
}

// TestAbandonedSlotIsGivenBack: when every check waiting on a shared call
// has left while the call waits for its rate-limiter slot, the slot is
// given back (rate.Reservation.Cancel): the next call gets it, instead of
// the one after.
func TestAbandonedSlotIsGivenBack(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		claims := &token.Claims{OrganizationID: "org_1", OrganizationMembershipID: "om_1"}
		var calls atomic.Int32
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls.Add(1)
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"authorized":true}`))}, nil
		})
		c, err := New(testKey, WithHTTPClient(&http.Client{Transport: rt}), WithCallTimeout(time.Minute), WithRateLimit(12, 1))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.do(t.Context(), request{method: "GET", path: "/x"}, nil); err != nil {
			t.Fatalf("the burst: %v", err)
		}
		start := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(time.Second, cancel)
		if _, err := c.Check(ctx, claims, "p", ResourceID("r")); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled check = %v", err)
		}
		synctest.Wait() // the abandoned call has stopped waiting
		// The slot at 5 s is free again: a call with a deadline at 6 s gets it.
		ctx, cancel = context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := c.do(ctx, request{method: "GET", path: "/x"}, nil); err != nil {
			t.Fatalf("call after the abandoned one = %v, want the given-back slot", err)
		}
		if got := time.Since(start); got != 5*time.Second {
			t.Errorf("call sent at %v, want 5s", got)
		}
	})
}
