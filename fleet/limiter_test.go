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
// deadline well before the next slot, so only the burst is taken, and
// returns how many calls got a slot.
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

// mostSlots is the most slots calls that ran for elapsed, each with
// deadline, can get from a schedule of perMinute whose burst slots are
// available at first: the burst, and one more for each period that passed
// by the last call's deadline. The tests' periods are seconds long, so on
// any machine this is the burst alone; on a badly overloaded one, the
// count stays exact.
func mostSlots(burst, perMinute int, elapsed, deadline time.Duration) int64 {
	return int64(burst) + int64((elapsed+deadline)/(time.Minute/time.Duration(perMinute)))
}

// Deadlines of the limiter tests: far longer than a round trip to Redis on
// a loaded machine, and far shorter than the slot periods (several
// seconds), so a call fails at once because its slot is out of reach, not
// because the machine is slow.
const slotDeadline = 2 * time.Second

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
			// 8 a minute: a slot every 7.5 s, so the calls see the burst
			// and no more.
			const perMinute = 8
			for i := range tc.instances {
				skew := time.Duration(i) * tc.skew
				clock := WithClock(func() time.Time { return time.Now().Add(skew) })
				l, err := newFleet(t, clock).NewLimiter(LimitConfig{PerMinute: perMinute, Burst: tc.burst, LocalPerMinute: perMinute / tc.instances})
				if err != nil {
					t.Fatal(err)
				}
				ls = append(ls, l)
			}
			start := time.Now()
			got := tryAll(t, ls, 10, slotDeadline)
			if most := mostSlots(tc.burst, perMinute, time.Since(start), slotDeadline); got < int64(tc.burst) || got > most {
				t.Errorf("%d instances × 10 calls got %d slots, want the fleet's burst %d (at most %d after %v)", tc.instances, got, tc.burst, most, time.Since(start))
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
	// their local shares: one slot now, then the steady rate (20 s).
	const perMinute = 3
	var ls []*Limiter
	for range 3 {
		l, err := newFleet(t).NewLimiter(LimitConfig{PerMinute: perMinute, Burst: 10, LocalPerMinute: 1})
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	start := time.Now()
	got := tryAll(t, ls, 5, slotDeadline)
	if most := mostSlots(1, perMinute, time.Since(start), slotDeadline); got < 1 || got > most {
		t.Errorf("a new schedule gave %d slots at once, want 1 (at most %d after %v)", got, most, time.Since(start))
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
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
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
	// One a minute: after the first slot, the next is a minute away.
	l, err := newFleet(t).NewLimiter(LimitConfig{PerMinute: 1, Burst: 1, LocalPerMinute: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	schedule := func() string { return l.f.rdb.Get(t.Context(), l.key).Val() }
	before := schedule()
	const deadline = 10 * time.Second
	for range 3 {
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		start := time.Now()
		err := l.Wait(ctx)
		cancel()
		if !errors.Is(err, ErrNoSlot) {
			t.Fatalf("Wait with the next slot a minute away and a %v deadline: %v, want ErrNoSlot", deadline, err)
		}
		// At once: one round trip to Redis, not a wait for the deadline.
		if el := time.Since(start); el > deadline/2 {
			t.Errorf("failing Wait took %v, want at once (well before its %v deadline)", el, deadline)
		}
	}
	// The refused calls took no slot: the schedule in Redis (when the next
	// slot comes) is where the first call left it, not three periods on.
	if after := schedule(); before == "" || after != before {
		t.Errorf("the schedule went from %q to %q over refused calls, want it unchanged", before, after)
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
