package fleet

import (
	"context"
	"errors"
	"time"

	"github.com/fgakit/fgakit/authz"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// ErrNoSlot is returned by [Limiter.Wait] when the fleet's next request
// slot comes after the context's deadline (or after [LimitConfig.MaxWait]):
// the call fails at once and takes no slot. An authz.Client turns it into
// its ErrThrottled.
var ErrNoSlot = errors.New("fleet: no request slot before the deadline")

// LimitConfig describes the fleet's request budget and this instance's
// share of it.
type LimitConfig struct {
	// PerMinute is the fleet-wide budget: requests a minute for every
	// instance together (WorkOS allows 6,000 per API key,
	// authz.WorkOSRateLimit).
	PerMinute int
	// Burst is how many requests the fleet may send at once after a quiet
	// spell, on top of the steady rate (at least 1). In any window of w
	// seconds the fleet sends at most PerMinute×w/60 + Burst requests.
	// A new schedule (first use, Redis restarted empty) starts with its
	// burst spent.
	Burst int
	// LocalPerMinute is this instance's budget while Redis is unavailable
	// (its share: PerMinute divided by the number of instances, or less).
	// The sum of the shares of every instance must stay within PerMinute.
	LocalPerMinute int
	// LocalBurst is this instance's burst while Redis is unavailable
	// (default: Burst × LocalPerMinute / PerMinute, at least 1).
	LocalBurst int
	// MaxWait bounds the wait for a slot when the caller's context has no
	// deadline (default one minute).
	MaxWait time.Duration
}

// Limiter is the fleet-wide rate limiter: every instance reserves its
// request slots from one GCRA schedule in Redis (one short Lua script, one
// round trip per request), so the fleet as a whole sends at most
// [LimitConfig.PerMinute] requests a minute plus one burst. It implements
// the authz.Limiter interface (pass it to authz.WithLimiter): every HTTP
// attempt of the Client, retries included, waits on it.
//
// While Redis is unavailable or slower than the fleet timeout, Wait uses a
// local token bucket holding this instance's share
// ([LimitConfig.LocalPerMinute]), and the [Fleet] reports it.
type Limiter struct {
	f       *Fleet
	key     string
	period  int64 // microseconds between two slots
	tau     int64 // burst tolerance, microseconds
	maxWait time.Duration
	local   *rate.Limiter
}

// gcra reserves one slot of the schedule in KEYS[1] (the theoretical
// arrival time, microseconds of Redis's clock): ARGV[1] is the period,
// ARGV[2] the burst tolerance, ARGV[3] the longest acceptable wait, all in
// microseconds. It returns the wait before the slot (0: now), or -1 when
// that wait is longer than ARGV[3] (no slot is taken). Redis's own clock
// is the only clock, so instances' clocks need not agree.
//
// A missing schedule (a new fleet, a Redis restarted empty, an hour
// without requests) starts with its burst spent: the instances coming
// back from their local buckets have just used their shares, and a fresh
// burst on top would pass the budget plus one burst. The burst builds up
// again at the steady rate.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local period = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local v = redis.call('GET', KEYS[1])
local tat = now + tau
if v then tat = tonumber(v) end
if tat < now then tat = now end
local wait = tat - tau - now
if wait < 0 then wait = 0 end
if wait > tonumber(ARGV[3]) then return -1 end
tat = tat + period
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 3600000)
return math.floor(wait)
`)

// NewLimiter returns the fleet's limiter for cfg.
func (f *Fleet) NewLimiter(cfg LimitConfig) (*Limiter, error) {
	switch {
	case cfg.PerMinute < 1 || cfg.Burst < 1:
		return nil, invalid("PerMinute and Burst must be positive")
	case cfg.LocalPerMinute < 1 || cfg.LocalPerMinute > cfg.PerMinute:
		return nil, invalid("LocalPerMinute must be between 1 and PerMinute")
	case cfg.LocalBurst < 0 || cfg.MaxWait < 0:
		return nil, invalid("negative LocalBurst or MaxWait")
	}
	if cfg.LocalBurst == 0 {
		cfg.LocalBurst = max(1, cfg.Burst*cfg.LocalPerMinute/cfg.PerMinute)
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = time.Minute
	}
	period := int64(time.Minute/time.Microsecond) / int64(cfg.PerMinute)
	return &Limiter{
		f:       f,
		key:     f.key("rate"),
		period:  period,
		tau:     period * int64(cfg.Burst-1),
		maxWait: cfg.MaxWait,
		local:   rate.NewLimiter(rate.Every(time.Minute/time.Duration(cfg.LocalPerMinute)), cfg.LocalBurst),
	}, nil
}

// Wait blocks until this instance may send one request, or fails at once
// with [ErrNoSlot] when the slot would come after ctx's deadline; it
// returns ctx's error when ctx is done first. It asks Redis (one round
// trip), or, while Redis is unavailable, the local bucket.
func (l *Limiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.f.usable() {
		wait, err := l.reserve(ctx)
		l.f.observe(ctx, err)
		switch {
		case err == nil && wait < 0:
			return ErrNoSlot
		case err == nil:
			// Keep the local bucket as spent as this instance's share
			// would be, so a fall back starts with no more than what
			// this instance did not use.
			l.local.Allow()
			return sleep(ctx, wait)
		case callerDone(ctx):
			<-ctx.Done()
			return ctx.Err()
		}
	}
	if err := l.local.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return ErrNoSlot
	}
	return nil
}

// reserve runs the GCRA script; a negative wait means no slot in time.
func (l *Limiter) reserve(ctx context.Context) (time.Duration, error) {
	maxWait := l.maxWait
	if dl, ok := ctx.Deadline(); ok {
		maxWait = min(maxWait, time.Until(dl))
	}
	if maxWait < 0 {
		return -1, nil
	}
	rctx, cancel := l.f.ctx(ctx)
	defer cancel()
	n, err := gcra.Run(rctx, l.f.rdb, []string{l.key}, l.period, l.tau, maxWait.Microseconds()).Int64()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return -1, nil
	}
	return time.Duration(n) * time.Microsecond, nil
}

var _ authz.Limiter = (*Limiter)(nil)

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
