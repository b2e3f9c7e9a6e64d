package authz

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock is a settable clock for the rate limiter.
type fakeClock struct{ t atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.t.Add(int64(d)) }

func TestRateLimiterReserve(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	clk.t.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	l := newRateLimiter(60, 3, clk.now) // one token per second, burst 3
	type step struct {
		advance time.Duration
		cancel  bool
		want    time.Duration
	}
	steps := []step{
		{want: 0}, {want: 0}, {want: 0}, // the burst
		{want: time.Second},     // 4th waits for the next token
		{want: 2 * time.Second}, // 5th for the one after
		{cancel: true},          // the 5th gives up: its token returns
		{want: 2 * time.Second}, // so the next caller gets the same slot
		{advance: 10 * time.Second, want: 0},
		{want: 0}, {want: 0}, // refilled, but never above the burst
		{want: time.Second},
	}
	for i, s := range steps {
		clk.advance(s.advance)
		if s.cancel {
			l.cancel()
			continue
		}
		if got := l.reserve(); got != s.want {
			t.Fatalf("step %d: reserve() = %v, want %v", i, got, s.want)
		}
	}
}

func TestRateLimiterWaitRespectsDeadline(t *testing.T) {
	t.Parallel()
	l := newRateLimiter(1, 1, time.Now) // one token per minute
	if err := l.wait(t.Context()); err != nil {
		t.Fatalf("first wait: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if err := l.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("wait past the deadline = %v, want context.DeadlineExceeded", err)
	}
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if err := l.wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("wait on a cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestClientRateLimit(t *testing.T) {
	t.Parallel()
	c, mux := setup(t, WithRateLimit(1, 2)) // burst 2, then one per minute
	var calls atomic.Int32
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { calls.Add(1); io.WriteString(w, `{"authorized":true}`) })
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	for i := range 2 {
		if _, err := c.API().Check(ctx, "om_1", "p", ResourceID("r"), Fresh()); err != nil {
			t.Fatalf("check %d within the burst: %v", i, err)
		}
	}
	d, err := c.API().Check(ctx, "om_1", "p", ResourceID("r"))
	if d.Allowed || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("third check = %+v, %v; want context.DeadlineExceeded", d, err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("server saw %d calls, want 2", n)
	}
}

func TestWithRateLimitValidates(t *testing.T) {
	t.Parallel()
	for _, o := range []Option{WithRateLimit(0, 1), WithRateLimit(10, 0), WithConcurrency(0), WithConcurrency(5000), WithCache(nil)} {
		if _, err := New(testKey, o); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("New = %v, want ErrInvalidInput", err)
		}
	}
}

// TestRateLimitPacesAttemptsInFakeTime: with 60 per minute and a burst of
// 2, the third and fourth requests wait one second each (fake time).
func TestRateLimitPacesAttemptsInFakeTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var times []time.Time
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			times = append(times, time.Now())
			return &http.Response{StatusCode: 204, Body: http.NoBody}, nil
		})
		c, err := New(testKey, WithHTTPClient(&http.Client{Transport: rt}), WithRateLimit(60, 2))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		for range 4 {
			if err := c.do(t.Context(), request{method: "GET", path: "/x"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		var got []time.Duration
		for _, at := range times {
			got = append(got, at.Sub(start))
		}
		if diff := cmp.Diff([]time.Duration{0, 0, time.Second, 2 * time.Second}, got); diff != "" {
			t.Errorf("attempt times (-want +got):\n%s", diff)
		}
	})
}
