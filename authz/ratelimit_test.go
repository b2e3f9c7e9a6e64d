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

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/fgakit/fgakit/token"
)

// TestRateLimitFailsFast: once the burst is spent, every kind of call whose
// next slot lies past its deadline fails at once (no fake time passes) with
// ErrThrottled, sends nothing, and is never allowed — a merged check
// included, which waits on a detached call.
func TestRateLimitFailsFast(t *testing.T) {
	t.Parallel()
	claims := &token.Claims{OrganizationID: "org_1", OrganizationMembershipID: "om_1"}
	tests := []struct {
		name string
		call func(ctx context.Context, c *Client) (allowed bool, err error)
	}{
		{"Client.Check", func(ctx context.Context, c *Client) (bool, error) {
			d, err := c.Check(ctx, claims, "p", ResourceID("r"))
			return d.Allowed, err
		}},
		{"ResourceLayer.Check", func(ctx context.Context, c *Client) (bool, error) {
			d, err := c.API().Check(ctx, "om_1", "p", ResourceID("r"))
			return d.Allowed, err
		}},
		{"CheckMany", func(ctx context.Context, c *Client) (bool, error) {
			ds, err := c.CheckMany(ctx, claims, "p", []ResourceRef{ResourceID("r1"), ResourceID("r2")})
			return ds[0].Allowed || ds[1].Allowed, err
		}},
		{"GetResource", func(ctx context.Context, c *Client) (bool, error) {
			_, err := c.GetResource(ctx, ResourceID("r"))
			return false, err
		}},
		{"ListResources", func(ctx context.Context, c *Client) (bool, error) {
			for _, err := range c.ListResources(ctx, ListResourcesOptions{}) {
				if err != nil {
					return false, err
				}
			}
			return false, nil
		}},
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
				c, err := New(testKey, WithHTTPClient(&http.Client{Transport: rt}), WithRateLimit(1, 1)) // one per minute
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := c.do(t.Context(), request{method: "GET", path: "/x"}, nil); err != nil {
					t.Fatalf("the burst: %v", err)
				}
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				start := time.Now()
				allowed, err := tt.call(ctx, c)
				if !errors.Is(err, ErrThrottled) || !errors.Is(err, context.DeadlineExceeded) || allowed {
					t.Errorf("call = %v, %v; want ErrThrottled", allowed, err)
				}
				if waited := time.Since(start); waited != 0 {
					t.Errorf("failed after %v, want at once", waited)
				}
				if n := calls.Load(); n != 1 {
					t.Errorf("%d requests, want only the burst's", n)
				}
			})
		})
	}
}

// TestWithLimiter: a Limiter of the caller's (here a *rate.Limiter, as a
// fleet-wide one would be) paces every attempt; its errors become
// ErrThrottled.
func TestWithLimiter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 204, Body: http.NoBody}, nil
		})
		l := rate.NewLimiter(rate.Every(time.Second), 1)
		c, err := New(testKey, WithHTTPClient(&http.Client{Transport: rt}), WithLimiter(l))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		for range 3 {
			if err := c.do(t.Context(), request{method: "GET", path: "/x"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if got := time.Since(start); got != 2*time.Second {
			t.Errorf("3 calls at 1/s with burst 1 took %v, want 2s", got)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		if err := c.do(ctx, request{method: "GET", path: "/x"}, nil); !errors.Is(err, ErrThrottled) {
			t.Errorf("call with a slot past its deadline = %v, want ErrThrottled", err)
		}
	})
	if _, err := New(testKey, WithLimiter(nil)); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("WithLimiter(nil) = %v, want ErrInvalidInput", err)
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

// fakeClock is a settable clock.
type fakeClock struct{ t atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.t.Add(int64(d)) }
