package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of a [Fleet].
const (
	// DefaultTimeout bounds every Redis command of the limiter and the
	// cache: a Redis slower than this counts as unavailable, and the
	// instance falls back to its local limiter and cache.
	DefaultTimeout = 100 * time.Millisecond
	// DefaultProbeInterval is how long an instance keeps to its local
	// fallback after a Redis failure before it tries Redis again (one
	// command, not a flood).
	DefaultProbeInterval = time.Second
	// DefaultPrefix starts every Redis key the fleet writes.
	DefaultPrefix = "fgakit:"
)

// ErrUnavailable is wrapped by the errors reported (see [WithErrorHandler])
// when a Redis command fails or times out and the instance falls back to
// its local behaviour.
var ErrUnavailable = errors.New("fleet: Redis unavailable, using the local fallback")

// ErrInvalidConfig is wrapped by the errors of the constructors for an
// argument or option they cannot accept.
var ErrInvalidConfig = errors.New("fleet: invalid configuration")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

// Fleet is one instance's connection to the fleet's shared state in Redis:
// the limiter ([Fleet.NewLimiter]), the decision cache ([Fleet.NewCache])
// and the event feed ([Fleet.StartFeed]) built from it share its Redis
// client, its key prefix and its view of Redis's health ([Fleet.Status]).
// Create one per API key with [New]; it is safe for concurrent use.
type Fleet struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	probe   time.Duration
	secret  []byte
	now     func() time.Time
	onError func(error)
	log     *slog.Logger

	down    atomic.Bool
	retryAt atomic.Int64 // unix nanoseconds of the next probe while down

	mu     sync.Mutex // guards status
	status Status
}

// Option configures a [Fleet].
type Option func(*Fleet) error

// WithPrefix sets the prefix of every Redis key (default [DefaultPrefix]).
// Instances of one fleet (one API key) must use the same prefix; fleets
// with different API keys sharing one Redis must use different ones, since
// the rate limit is per API key.
func WithPrefix(p string) Option {
	return func(f *Fleet) error {
		if p == "" || strings.ContainsAny(p, "{}") {
			return invalid("prefix must be non-empty and without braces")
		}
		f.prefix = p
		return nil
	}
}

// WithTimeout sets the time limit of each Redis command of the limiter and
// the cache (default [DefaultTimeout]). Keep it short: it is added to a
// check's latency while Redis is slow, before the fallback takes over.
func WithTimeout(d time.Duration) Option {
	return func(f *Fleet) error {
		if d <= 0 {
			return invalid("timeout must be positive")
		}
		f.timeout = d
		return nil
	}
}

// WithProbeInterval sets how long the instance stays on its local fallback
// after a Redis failure before it tries Redis again (default
// [DefaultProbeInterval]).
func WithProbeInterval(d time.Duration) Option {
	return func(f *Fleet) error {
		if d <= 0 {
			return invalid("probe interval must be positive")
		}
		f.probe = d
		return nil
	}
}

// WithSecret sets the fleet secret: the key of the HMAC-SHA256 that signs
// every decision the shared cache stores in Redis, and of the hash that
// names its Redis keys. Every instance of the fleet needs the same secret
// (at least 32 bytes, from your secret store — never the API key). The
// shared cache ([Fleet.NewCache]) requires it: an entry whose signature
// does not verify is a miss.
func WithSecret(secret []byte) Option {
	return func(f *Fleet) error {
		if len(secret) < 32 {
			return invalid("the fleet secret must be at least 32 bytes, got %d", len(secret))
		}
		f.secret = append([]byte(nil), secret...)
		return nil
	}
}

// WithErrorHandler sets a function told about every change of Redis's
// health (an error wrapping [ErrUnavailable] when the instance falls back,
// nil when Redis answers again) and about feed errors. It is called from
// the goroutine that saw the change; keep it fast.
func WithErrorHandler(h func(error)) Option {
	return func(f *Fleet) error {
		if h == nil {
			return invalid("nil error handler")
		}
		f.onError = h
		return nil
	}
}

// WithLogger sets a logger for the same reports as [WithErrorHandler]
// (default: none).
func WithLogger(l *slog.Logger) Option {
	return func(f *Fleet) error {
		if l == nil {
			return invalid("nil logger")
		}
		f.log = l
		return nil
	}
}

// WithClock sets the clock of the fleet's local decisions (default
// [time.Now]): probe times, cache entry expiry checks, feed timings.
func WithClock(now func() time.Time) Option {
	return func(f *Fleet) error {
		if now == nil {
			return invalid("nil clock")
		}
		f.now = now
		return nil
	}
}

// New returns a Fleet talking to Redis through rdb.
//
// Configure rdb with short timeouts so that a slow Redis is a fallback,
// not an outage: [RedisOptions] returns suitable options. The Fleet does
// not close rdb.
func New(rdb redis.UniversalClient, opts ...Option) (*Fleet, error) {
	if rdb == nil {
		return nil, invalid("nil Redis client")
	}
	f := &Fleet{rdb: rdb, prefix: DefaultPrefix, timeout: DefaultTimeout, probe: DefaultProbeInterval, now: time.Now}
	for i, o := range opts {
		if o == nil {
			return nil, invalid("option %d is nil", i)
		}
		if err := o(f); err != nil {
			return nil, err
		}
	}
	f.status.Healthy = true
	f.status.Since = f.now()
	return f, nil
}

// RedisOptions returns go-redis options suited to a fleet: commands time
// out after [DefaultTimeout] (the context's deadline is honoured), a
// failed command is not retried (the fallback answers instead), and a
// small pool.
func RedisOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr:                  addr,
		DialTimeout:           2 * DefaultTimeout,
		ReadTimeout:           DefaultTimeout,
		WriteTimeout:          DefaultTimeout,
		PoolTimeout:           DefaultTimeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialerRetries:         1,
		DialerRetryTimeout:    DefaultTimeout,
		PoolSize:              32,
		MinIdleConns:          2,
		Protocol:              2,
		DisableIdentity:       true,
	}
}

// Status is an instance's view of the fleet's Redis.
type Status struct {
	// Healthy is false while the instance uses its local fallback.
	Healthy bool
	// Since is when Healthy last changed (or the Fleet was created).
	Since time.Time
	// LastError is the error that made the instance fall back, nil while
	// healthy.
	LastError error
	// Fallbacks counts the times the instance fell back.
	Fallbacks uint64
	// Errors counts the Redis commands that failed or timed out.
	Errors uint64
}

// Status reports whether the instance uses Redis or its local fallback.
func (f *Fleet) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// key returns the full Redis key of name. Every key of one fleet shares
// one hash tag, so that the feed's scripts run on one Redis Cluster slot.
func (f *Fleet) key(name string) string { return f.prefix + "{fleet}:" + name }

// ctx returns a context for one Redis command: parent's, bounded by the
// fleet timeout.
func (f *Fleet) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, f.timeout)
}

// usable reports whether to try Redis now: always while healthy; while
// down, once per probe interval (one caller wins the probe).
func (f *Fleet) usable() bool {
	if !f.down.Load() {
		return true
	}
	at := f.retryAt.Load()
	now := f.now().UnixNano()
	return now >= at && f.retryAt.CompareAndSwap(at, now+int64(f.probe))
}

// observe records the outcome of a Redis command: a failure (not redis.Nil,
// not the caller's own cancellation) makes the instance fall back; a
// success after a failure makes it use Redis again. Each change is
// reported once.
func (f *Fleet) observe(caller context.Context, err error) {
	if err == nil || errors.Is(err, redis.Nil) {
		if f.down.Load() && f.down.CompareAndSwap(true, false) {
			f.mu.Lock()
			f.status.Healthy, f.status.Since, f.status.LastError = true, f.now(), nil
			f.mu.Unlock()
			f.report(nil, "fleet: Redis answers again, using the fleet")
		}
		return
	}
	if callerDone(caller) {
		return // the caller gave up or ran out of time; says nothing about Redis
	}
	f.mu.Lock()
	f.status.Errors++
	f.mu.Unlock()
	f.retryAt.Store(f.now().UnixNano() + int64(f.probe))
	if f.down.CompareAndSwap(false, true) {
		werr := fmt.Errorf("%w: %w", ErrUnavailable, err)
		f.mu.Lock()
		f.status.Healthy, f.status.Since, f.status.LastError = false, f.now(), werr
		f.status.Fallbacks++
		f.mu.Unlock()
		f.report(werr, "")
	}
}

// callerDone reports whether ctx is done or past its deadline (a command
// cut by the caller's deadline may fail a moment before ctx says so).
func callerDone(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// report tells the error handler and the logger. A nil err with a message
// is a recovery.
func (f *Fleet) report(err error, msg string) {
	if f.onError != nil {
		f.onError(err)
	}
	if f.log == nil {
		return
	}
	if err != nil {
		f.log.Warn("fleet", "err", err)
	} else {
		f.log.Info(msg)
	}
}
