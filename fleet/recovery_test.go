package fleet

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// switchHook makes every command fail while down is set, as a Redis that
// cannot be reached would.
type switchHook struct{ down atomic.Bool }

var errSwitchedOff = errors.New("test: Redis switched off")

func (h *switchHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *switchHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.down.Load() {
			cmd.SetErr(&net.OpError{Op: "dial", Err: errSwitchedOff})
			return cmd.Err()
		}
		return next(ctx, cmd)
	}
}
func (h *switchHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// switchedFleet returns an instance of the test's fleet whose Redis the
// test can switch off and on.
func switchedFleet(t *testing.T, opts ...Option) (*Fleet, *switchHook) {
	t.Helper()
	rdb := newRedis(t)
	h := &switchHook{}
	rdb.AddHook(h)
	f, err := New(rdb, append([]Option{WithPrefix(testPrefix(t)), WithSecret(testSecret), WithTimeout(testTimeout)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f, h
}

func TestFleetReportsFallbackAndRecovery(t *testing.T) {
	t.Parallel()
	clock := newClock()
	var mu sync.Mutex
	var reports []error
	f, sw := switchedFleet(t, WithClock(clock.Now), WithProbeInterval(time.Second),
		WithErrorHandler(func(err error) { mu.Lock(); reports = append(reports, err); mu.Unlock() }))
	l, err := f.NewLimiter(LimitConfig{PerMinute: 6000, Burst: 100, LocalPerMinute: 6000})
	if err != nil {
		t.Fatal(err)
	}
	wait := func() {
		t.Helper()
		if err := l.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	wait()
	sw.down.Store(true)
	wait() // falls back: reported once
	wait() // stays on the local bucket without asking Redis until the probe
	if st := f.Status(); st.Healthy || st.Errors != 1 {
		t.Errorf("down: Status = %+v, want unhealthy after one failed command", st)
	}
	sw.down.Store(false)
	wait() // before the probe interval: still local
	if f.Status().Healthy {
		t.Error("healthy again before the probe interval passed")
	}
	clock.Advance(time.Second)
	wait() // the probe succeeds: reported
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 2 || !errors.Is(reports[0], ErrUnavailable) || reports[1] != nil {
		t.Errorf("reports = %v, want [ErrUnavailable, nil]", reports)
	}
	if st := f.Status(); !st.Healthy || st.Fallbacks != 1 {
		t.Errorf("up: Status = %+v, want healthy, one fallback", st)
	}
}

func TestCacheWritesAFailedForgetWhenRedisReturns(t *testing.T) {
	t.Parallel()
	clock := newClock()
	fa, sw := switchedFleet(t, WithClock(clock.Now), WithProbeInterval(time.Second))
	a, err := fa.NewCache(CacheConfig{TTL: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b := newCaches(t, 1, CacheConfig{TTL: 5 * time.Second})[0]
	k := key("om_1", "read")
	miss(t, b, k)
	b.Add(k, true)
	sw.down.Store(true)
	a.ForgetMembership("om_1") // cannot reach Redis: b still answers
	hit(t, b, k, true)
	sw.down.Store(false)
	clock.Advance(time.Second)
	miss(t, a, key("om_2", "read")) // a's first command after the probe interval writes the forget
	miss(t, b, k)
}
