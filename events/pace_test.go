package events_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/fgakit/fgakit/events"
	"golang.org/x/time/rate"
)

// timed records when each request reaches h (the bubble's fake clock).
type timed struct {
	h     http.Handler
	mu    sync.Mutex
	times []time.Duration
	start time.Time
}

func (t *timed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.mu.Lock()
	t.times = append(t.times, time.Since(t.start))
	t.mu.Unlock()
	t.h.ServeHTTP(w, r)
}

func (t *timed) at() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]time.Duration(nil), t.times...)
}

// TestPollerPacesTheReadBack: a read-back of many pages is paced — by
// default 10 pages at once, then one every 500 ms — and so is every
// request through a limiter given with WithLimiter, rather than every
// instance of a fleet fetching every page at once on deploy.
func TestPollerPacesTheReadBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts func() []events.PollerOption
		want func(i int) time.Duration // when request i is sent, from the start
	}{
		{"default", func() []events.PollerOption { return nil }, func(i int) time.Duration {
			return time.Duration(max(0, i-events.DefaultPageBurst+1)) * 500 * time.Millisecond
		}},
		{"page rate 60 a minute, burst 1", func() []events.PollerOption {
			return []events.PollerOption{events.WithPageRate(60, 1)}
		}, func(i int) time.Duration { return time.Duration(i) * time.Second }},
		{"limiter: one every 2 s", func() []events.PollerOption {
			return []events.PollerOption{events.WithLimiter(rate.NewLimiter(rate.Every(2*time.Second), 1))}
		}, func(i int) time.Duration { return time.Duration(i) * 2 * time.Second }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				api := &eventsAPI{}
				const pages = 15
				for i := range pages*100 - 50 {
					api.add(fmt.Sprintf("event_%04d", i), "organization_membership.updated", map[string]any{"id": fmt.Sprintf("om_%d", i)}, start.Add(-time.Minute))
				}
				h := &timed{h: api, start: start}
				s, _ := events.NewState()
				p, err := events.NewPoller("sk_test", s, append(tc.opts(), events.WithHTTPClient(inMemory(h)), events.WithBaseURL("https://api.example"))...)
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				<-p.Ready()
				got := h.at()
				if len(got) != pages {
					t.Fatalf("%d requests, want %d", len(got), pages)
				}
				for i, at := range got {
					if want := tc.want(i); at != want {
						t.Errorf("request %d sent at %v, want %v", i, at, want)
					}
				}
				if st := s.Stats(); st.Applied != pages*100-50 {
					t.Errorf("%d applied, want %d", st.Applied, pages*100-50)
				}
			})
		})
	}
}

// countingLimiter counts its waits, and fails them when fail is set.
type countingLimiter struct {
	waits atomic.Int64
	fail  atomic.Bool
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.waits.Add(1)
	if l.fail.Load() {
		return errors.New("no slot")
	}
	return nil
}

// TestPollerLimiterEveryRequest: the limiter is waited on before every
// request, polls included; a limiter that has no slot is a failed poll
// (ErrThrottled), reported, and no request is sent.
func TestPollerLimiterEveryRequest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		api := &eventsAPI{}
		l := &countingLimiter{}
		var mu sync.Mutex
		var reported []error
		s, _ := events.NewState()
		p, err := events.NewPoller("sk_test", s, events.WithHTTPClient(inMemory(api)), events.WithBaseURL("https://api.example"), events.WithLimiter(l),
			events.WithErrorHandler(func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }))
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		<-p.Ready()
		time.Sleep(2*events.DefaultPollInterval + time.Second)
		synctest.Wait()
		if n, w := len(api.queries()), l.waits.Load(); n != 3 || w != 3 {
			t.Fatalf("%d requests, %d waits; want 3 and 3", n, w)
		}
		l.fail.Store(true)
		time.Sleep(events.DefaultPollInterval)
		synctest.Wait()
		if n := len(api.queries()); n != 3 {
			t.Errorf("%d requests after the limiter refused, want 3", n)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(reported) == 0 || !errors.Is(reported[0], authz.ErrThrottled) {
			t.Errorf("reported %v, want an error matching authz.ErrThrottled", reported)
		}
	})
}

func TestWithPageRateInvalid(t *testing.T) {
	t.Parallel()
	s, _ := events.NewState()
	for _, o := range []events.PollerOption{events.WithPageRate(0, 1), events.WithPageRate(60, 0), events.WithPageRate(12, 1), events.WithLimiter(nil)} {
		if p, err := events.NewPoller("sk_test", s, o); err == nil {
			p.Close()
			t.Error("NewPoller accepted an invalid pacing option")
		}
	}
}
