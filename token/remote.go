package token

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// RemoteKeySet is a [KeySet] backed by a JWKS URL, such as
// https://api.workos.com/sso/jwks/{clientID}. It is safe for concurrent use.
//
// Behaviour:
//   - Keys are fetched on first use and cached. Keys older than
//     [WithKeyRefresh] are refreshed in the background while still in use.
//   - A kid not in the cache triggers a fetch, at most once per
//     [WithRefreshCooldown] after a successful fetch; within the cooldown it
//     is rejected at once with [ErrUnknownKey]. Key rotation is therefore
//     picked up on the first token signed with the new key.
//   - A failed fetch is retried on its own, shorter schedule: the next fetch
//     may start [WithFetchBackoff] (one second) after the failure, then
//     twice as long after each further failure, up to the cooldown, each
//     wait jittered to between half and all of it. So one failed fetch at
//     start-up costs the sessions about a second, not the whole cooldown,
//     while an endpoint that stays down is asked about once a cooldown.
//     Meanwhile Key fails with [ErrKeySetUnavailable] (could not decide).
//   - Concurrent callers share one fetch. The fetch runs on its own context
//     with [WithFetchTimeout], detached from any caller; each caller waits on
//     its own ctx and gets ctx's error if it gives up first.
//   - When the endpoint is down, the last keys fetched successfully keep
//     working until they are [WithKeyMaxAge] old; then Key fails closed with
//     [ErrKeySetUnavailable].
//   - The response body is capped ([WithMaxJWKSSize]) and parsed as
//     [ParseJWKS] does: entries it cannot use are skipped, listed by
//     [RemoteKeySet.Skipped] and logged ([WithLogger]), and the keys of the
//     other entries are used. A document with no usable key is a failed
//     fetch whose error wraps [ErrNoUsableKey].
//
// Close cancels a fetch in flight and waits for it: no goroutine outlives
// Close.
type RemoteKeySet struct {
	url      string
	client   *http.Client
	now      func() time.Time
	cooldown time.Duration
	refresh  time.Duration
	maxAge   time.Duration
	timeout  time.Duration
	maxBody  int64
	backoff  time.Duration                     // first wait after a failed fetch
	jitter   func(time.Duration) time.Duration // a wait in [d/2, d]
	logger   *slog.Logger                      // nil: slog.Default() at the time of logging

	wg sync.WaitGroup // the fetch goroutine in flight, if any

	mu          sync.Mutex
	keys        *StaticKeySet // last good keys; nil before the first successful fetch
	fetchedAt   time.Time     // when keys were fetched
	lastAttempt time.Time     // when the last fetch started; zero if none yet
	lastErr     error         // error of the last finished fetch, nil if it succeeded
	failures    int           // consecutive failed fetches
	retryAt     time.Time     // after a failure: when the next fetch may start
	inflight    *fetchCall
	closed      bool
}

// fetchCall is one fetch shared by every caller waiting for it. It plays the
// part of singleflight.DoChan for a single key, written out so that the
// goroutine is started under r.mu and counted in r.wg: Close can then cancel
// it and wait for it, and no goroutine outlives Close.
type fetchCall struct {
	done   chan struct{} // closed when the fetch is over
	err    error         // set before done is closed
	cancel context.CancelFunc
}

// NewRemoteKeySet returns a key set that fetches the JWKS at jwksURL. It
// accepts the key-fetching options ([WithHTTPClient], [WithTimeFunc],
// [WithRefreshCooldown], [WithFetchBackoff], [WithKeyRefresh],
// [WithKeyMaxAge], [WithFetchTimeout], [WithMaxJWKSSize], [WithLogger]);
// others are an error. Nothing is
// fetched until the first call to Key. Call Close when done with it.
func NewRemoteKeySet(jwksURL string, opts ...Option) (*RemoteKeySet, error) {
	cfg := defaultConfig()
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	if len(cfg.verifierOnly) > 0 {
		return nil, fmt.Errorf("token: NewRemoteKeySet: option %s does not apply to a key set", cfg.verifierOnly[0])
	}
	for _, name := range cfg.remoteOnly {
		if name == "WithBaseURL" || name == "WithJWKSURL" {
			return nil, fmt.Errorf("token: NewRemoteKeySet: option %s does not apply (the URL is an argument)", name)
		}
	}
	return newRemoteKeySet(jwksURL, cfg)
}

func newRemoteKeySet(jwksURL string, cfg *config) (*RemoteKeySet, error) {
	if _, err := parseHTTPURL(jwksURL); err != nil {
		return nil, fmt.Errorf("token: JWKS URL: %w", err)
	}
	return &RemoteKeySet{
		url:      jwksURL,
		client:   cfg.httpClient,
		now:      cfg.now,
		cooldown: cfg.refreshCooldown,
		refresh:  cfg.keyRefresh,
		maxAge:   cfg.keyMaxAge,
		timeout:  cfg.fetchTimeout,
		maxBody:  cfg.maxJWKSSize,
		backoff:  cfg.fetchBackoff,
		jitter:   halfJitter,
		logger:   cfg.logger,
	}, nil
}

// URL returns the JWKS URL the set fetches.
func (r *RemoteKeySet) URL() string { return r.url }

var errClosed = errors.New("key set closed")

// Key returns the key with ID kid, fetching the JWKS when needed (see
// [RemoteKeySet]). Errors wrap [ErrUnknownKey] (the fetched set has no such
// key), [ErrKeySetUnavailable] (no usable keys: fetch failed, set closed;
// together with [ErrNoUsableKey] when the JWKS served had no usable entry),
// and ctx's error when ctx ends while waiting for a fetch.
func (r *RemoteKeySet) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: %w", ErrKeySetUnavailable, errClosed)
	}
	now := r.now()
	if key, ok := r.usableKey(kid, now); ok {
		if now.Sub(r.fetchedAt) >= r.refresh && r.mayFetch(now) {
			r.startFetch(now) // refresh in the background; key is still good
		}
		r.mu.Unlock()
		return key, nil
	}

	// The kid is unknown, or the keys are too old (or there are none).
	call := r.inflight
	if call == nil && r.mayFetch(now) {
		call = r.startFetch(now)
	}
	if call == nil {
		// Within the cooldown: answer from what we know, without fetching.
		err := r.missError(kid, now)
		r.mu.Unlock()
		return nil, err
	}
	r.mu.Unlock()

	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for JWKS: %w", ErrKeySetUnavailable, ctx.Err())
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	now = r.now()
	if key, ok := r.usableKey(kid, now); ok {
		return key, nil
	}
	if call.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeySetUnavailable, call.err)
	}
	return nil, r.missError(kid, now)
}

// usableKey returns the cached key for kid if the cache is young enough.
// r.mu must be held.
func (r *RemoteKeySet) usableKey(kid string, now time.Time) (crypto.PublicKey, bool) {
	if r.keys == nil || now.Sub(r.fetchedAt) >= r.maxAge {
		return nil, false
	}
	key, ok := r.keys.keys[kid]
	return key, ok
}

// missError explains why kid has no usable key, without fetching. r.mu must
// be held.
func (r *RemoteKeySet) missError(kid string, now time.Time) error {
	switch {
	case r.keys == nil && r.lastErr != nil:
		return fmt.Errorf("%w: %w", ErrKeySetUnavailable, r.lastErr)
	case r.keys == nil:
		return fmt.Errorf("%w: no keys fetched yet", ErrKeySetUnavailable)
	case now.Sub(r.fetchedAt) >= r.maxAge:
		if r.lastErr != nil {
			return fmt.Errorf("%w: keys older than %v and refresh failed: %w", ErrKeySetUnavailable, r.maxAge, r.lastErr)
		}
		return fmt.Errorf("%w: keys older than %v", ErrKeySetUnavailable, r.maxAge)
	case r.lastErr != nil:
		// The kid may be in the set we could not fetch: could not decide.
		return fmt.Errorf("%w: %w (and the last JWKS fetch failed: %w)", ErrKeySetUnavailable, unknownKeyError(kid), r.lastErr)
	}
	return unknownKeyError(kid)
}

// mayFetch reports whether a new fetch may start now: none is in flight,
// and the last one is older than the cooldown after a success, or than its
// backoff after a failure. r.mu must be held.
func (r *RemoteKeySet) mayFetch(now time.Time) bool {
	switch {
	case r.inflight != nil:
		return false
	case r.lastAttempt.IsZero():
		return true
	case r.failures > 0:
		return !now.Before(r.retryAt)
	}
	return now.Sub(r.lastAttempt) >= r.cooldown
}

// failureBackoff is the wait after the n-th consecutive failed fetch (n ≥
// 1) before the next may start: the backoff doubled n-1 times, at most the
// cooldown, jittered.
func (r *RemoteKeySet) failureBackoff(n int) time.Duration {
	d := r.cooldown
	if n <= 30 && r.backoff < r.cooldown>>(n-1) {
		d = r.backoff << (n - 1)
	}
	return r.jitter(d)
}

// halfJitter returns a random wait between d/2 and d, so that processes
// that failed together do not retry together.
func halfJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d - rand.N(d/2+1)
}

// startFetch starts the one shared fetch. r.mu must be held and r.inflight nil.
func (r *RemoteKeySet) startFetch(now time.Time) *fetchCall {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	call := &fetchCall{done: make(chan struct{}), cancel: cancel}
	r.inflight = call
	r.lastAttempt = now
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		keys, err := r.fetch(ctx)
		cancel()
		r.mu.Lock()
		var (
			prevSkipped []SkippedKey
			failures    = r.failures
			retryIn     time.Duration
		)
		if r.keys != nil {
			prevSkipped = r.keys.skipped
		}
		if err == nil {
			r.keys = keys
			r.fetchedAt = r.now()
			r.failures = 0
		} else {
			r.failures++
			retryIn = r.failureBackoff(r.failures)
			r.retryAt = r.now().Add(retryIn)
		}
		r.lastErr = err
		call.err = err
		r.inflight = nil
		closed := r.closed
		r.mu.Unlock()
		// Log before waking the waiters, so that what a caller saw has
		// been reported by the time its Key call returns.
		defer close(call.done)

		switch {
		case closed:
			// Close cancelled the fetch: nothing worth reporting.
		case err != nil:
			r.log().Warn("token: JWKS fetch failed",
				"url", r.url, "error", err.Error(), "consecutive_failures", failures+1, "next_fetch_after", retryIn)
		default:
			if failures > 0 {
				r.log().Info("token: JWKS fetch succeeded again", "url", r.url, "after_failures", failures)
			}
			if !slices.Equal(prevSkipped, keys.skipped) && len(keys.skipped) > 0 {
				r.log().Warn("token: JWKS entries skipped; tokens signed by the other keys verify",
					"url", r.url, "skipped", skippedStrings(keys.skipped), "skipped_count", len(keys.skipped), "keys", len(keys.keys))
			}
		}
	}()
	return call
}

func (r *RemoteKeySet) log() *slog.Logger {
	if r.logger != nil {
		return r.logger
	}
	return slog.Default()
}

// maxSkippedLogged bounds the skipped entries one log record lists; a
// document of 256 KiB could otherwise name a hundred thousand.
const maxSkippedLogged = 10

// skippedStrings describes skipped entries for a log record.
func skippedStrings(s []SkippedKey) []string {
	out := make([]string, 0, min(len(s), maxSkippedLogged+1))
	for i, k := range s {
		if i == maxSkippedLogged {
			out = append(out, fmt.Sprintf("and %d more", len(s)-i))
			break
		}
		out = append(out, k.String())
	}
	return out
}

// Skipped returns the entries of the JWKS in use that could not be used
// (see [ParseJWKS]), nil when there are none or nothing was fetched yet.
func (r *RemoteKeySet) Skipped() []SkippedKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		return nil
	}
	return r.keys.Skipped()
}

// fetch GETs and parses the JWKS. Its errors name the URL and the status, and
// never include the response body.
func (r *RemoteKeySet) fetch(ctx context.Context) (*StaticKeySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, fmt.Errorf("JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("fetching JWKS from %s: %w", r.url, ctx.Err())
		}
		return nil, fmt.Errorf("fetching JWKS from %s: %w", r.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // let the connection be reused
		return nil, fmt.Errorf("fetching JWKS from %s: HTTP %d", r.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading JWKS from %s: %w", r.url, err)
	}
	if int64(len(body)) > r.maxBody {
		return nil, fmt.Errorf("JWKS from %s exceeds %d bytes", r.url, r.maxBody)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("JWKS from %s: %w", r.url, err)
	}
	return keys, nil
}

// Close cancels a fetch in flight, waits for its goroutine to end, and makes
// every later Key call fail with [ErrKeySetUnavailable]. It is idempotent and
// always returns nil.
func (r *RemoteKeySet) Close() error {
	r.mu.Lock()
	r.closed = true
	if r.inflight != nil {
		r.inflight.cancel()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return nil
}
