package fleet

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tryAll calls Wait n times on each limiter, concurrently, each with a
// deadline well before the next slot (1 s away at 60 a minute), so only the
// burst is taken, and returns how many calls got a slot.
func tryAll(t *testing.T, ls []*Limiter, n int, deadline time.Duration) (allowed int64) {
	t.Helper()
	var got atomic.Int64
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Go(func() {
			for range n {
				ctx, cancel := context.WithTimeout(t.Context(), deadline)
				err := l.Wait(ctx)
				cancel()
				switch {
				case err == nil:
					got.Add(1)
				case !errors.Is(err, ErrNoSlot):
					t.Errorf("Wait: %v, want nil or ErrNoSlot", err)
				}
			}
		})
	}
	wg.Wait()
	return got.Load()
}

func TestLimiterSharesOneBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		instances int
		burst     int
		skew      time.Duration // instance i's clock is i×skew ahead of the first's
	}{
		{"one instance", 1, 5, 0},
		{"three instances", 3, 5, 0},
		{"eight instances, burst 1", 8, 1, 0},
		// The schedule lives in Redis's clock: instances whose clocks
		// disagree by an hour still share one budget.
		{"three instances, clocks an hour apart", 3, 5, time.Hour},
		{"three instances, clocks an hour behind each other", 3, 5, -time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ls []*Limiter
			quiet(t, newFleet(t))
			for i := range tc.instances {
				skew := time.Duration(i) * tc.skew
				clock := WithClock(func() time.Time { return time.Now().Add(skew) })
				// 60 a minute: one slot a second, so a test lasting well under a
				// second sees the burst and at most one more.
				l, err := newFleet(t, clock).NewLimiter(LimitConfig{PerMinute: 60, Burst: tc.burst, LocalPerMinute: 60 / tc.instances})
				if err != nil {
					t.Fatal(err)
				}
				ls = append(ls, l)
			}
			got := tryAll(t, ls, 10, 300*time.Millisecond)
			if got < int64(tc.burst) || got > int64(tc.burst)+1 {
				t.Errorf("%d instances × 10 calls got %d slots, want the fleet's burst %d (+1 if a second passed)", tc.instances, got, tc.burst)
			}
		})
	}
}

// quiet sets the fleet's schedule as after a long quiet spell: the whole
// burst is available.
func quiet(t *testing.T, f *Fleet) {
	t.Helper()
	if err := f.rdb.Set(t.Context(), f.key("rate"), "0", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestLimiterNewScheduleStartsWithItsBurstSpent(t *testing.T) {
	t.Parallel()
	// A new fleet, or a Redis restarted empty while the instances used
	// their local shares: one slot now, then the steady rate (1 s).
	var ls []*Limiter
	for range 3 {
		l, err := newFleet(t).NewLimiter(LimitConfig{PerMinute: 60, Burst: 10, LocalPerMinute: 20})
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	if got := tryAll(t, ls, 5, 300*time.Millisecond); got != 1 {
		t.Errorf("a new schedule gave %d slots at once, want 1", got)
	}
}

func TestLimiterWaitsForASlotBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	// 6,000 a minute, burst 1: a slot every 10 ms.
	var ls []*Limiter
	for range 2 {
		l, err := newFleet(t).NewLimiter(LimitConfig{PerMinute: 6000, Burst: 1, LocalPerMinute: 3000})
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	start := time.Now()
	for i := range 6 {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		if err := ls[i%2].Wait(ctx); err != nil {
			t.Fatalf("Wait %d: %v", i, err)
		}
		cancel()
	}
	// Six slots 10 ms apart across both instances: the sixth is 50 ms after the first.
	if el := time.Since(start); el < 45*time.Millisecond {
		t.Errorf("6 slots at 100/s took %v, want at least 45ms", el)
	}
}

func TestLimiterFailsFastAndTakesNoSlot(t *testing.T) {
	t.Parallel()
	l, err := newFleet(t).NewLimiter(LimitConfig{PerMinute: 60, Burst: 1, LocalPerMinute: 60})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		start := time.Now()
		err := l.Wait(ctx)
		cancel()
		if !errors.Is(err, ErrNoSlot) {
			t.Fatalf("Wait with the next slot 1s away and a 100ms deadline: %v, want ErrNoSlot", err)
		}
		if el := time.Since(start); el > 50*time.Millisecond {
			t.Errorf("failing Wait took %v, want at once", el)
		}
	}
	// The refused calls took no slot: the next one is about a second after
	// the first, not three seconds.
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx); err != nil {
		t.Errorf("Wait within 1.5s after refused calls: %v, want a slot", err)
	}
}

func TestLimiterFallsBackToItsShare(t *testing.T) {
	t.Parallel()
	for _, slow := range []bool{false, true} {
		name := map[bool]string{false: "refused", true: "slow"}[slow]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var reports []error
			var mu sync.Mutex
			f := deadFleet(t, slow, WithErrorHandler(func(err error) { mu.Lock(); reports = append(reports, err); mu.Unlock() }))
			// The local share refills once a minute, so no third slot fits
			// in any deadline a test can give; and the deadline leaves room
			// for the fleet's 100 ms Redis timeout on a loaded machine.
			l, err := f.NewLimiter(LimitConfig{PerMinute: 600, Burst: 20, LocalPerMinute: 1, LocalBurst: 2})
			if err != nil {
				t.Fatal(err)
			}
			got := tryAll(t, []*Limiter{l}, 5, 5*time.Second)
			if got != 2 {
				t.Errorf("with Redis %s, 5 calls got %d slots, want the local burst 2", name, got)
			}
			st := f.Status()
			if st.Healthy || !errors.Is(st.LastError, ErrUnavailable) || st.Fallbacks != 1 {
				t.Errorf("Status = %+v, want unhealthy with ErrUnavailable, one fallback", st)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(reports) != 1 || !errors.Is(reports[0], ErrUnavailable) {
				t.Errorf("reports = %v, want one ErrUnavailable", reports)
			}
		})
	}
}

func TestNewLimiterRejects(t *testing.T) {
	t.Parallel()
	f := deadFleet(t, false)
	for _, cfg := range []LimitConfig{
		{PerMinute: 0, Burst: 1, LocalPerMinute: 1},
		{PerMinute: 10, Burst: 0, LocalPerMinute: 1},
		{PerMinute: 10, Burst: 1, LocalPerMinute: 0},
		{PerMinute: 10, Burst: 1, LocalPerMinute: 11},
		{PerMinute: 10, Burst: 1, LocalPerMinute: 5, MaxWait: -1},
	} {
		if _, err := f.NewLimiter(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewLimiter(%+v) = %v, want ErrInvalidConfig", cfg, err)
		}
	}
}
