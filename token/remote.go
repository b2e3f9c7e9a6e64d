package token

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
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
//     [WithRefreshCooldown]; within the cooldown it is rejected at once with
//     [ErrUnknownKey]. Key rotation is therefore picked up on the first token
//     signed with the new key.
//   - Concurrent callers share one fetch. The fetch runs on its own context
//     with [WithFetchTimeout], detached from any caller; each caller waits on
//     its own ctx and gets ctx's error if it gives up first.
//   - When the endpoint is down, the last keys fetched successfully keep
//     working until they are [WithKeyMaxAge] old; then Key fails closed with
//     [ErrKeySetUnavailable].
//   - The response body is capped ([WithMaxJWKSSize]) and parsed as
//     [ParseJWKS] does; a bad document is a failed fetch.
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

	wg sync.WaitGroup // the fetch goroutine in flight, if any

	mu          sync.Mutex
	keys        *StaticKeySet // last good keys; nil before the first successful fetch
	fetchedAt   time.Time     // when keys were fetched
	lastAttempt time.Time     // when the last fetch started; zero if none yet
	lastErr     error         // error of the last finished fetch, nil if it succeeded
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
// [WithRefreshCooldown], [WithKeyRefresh], [WithKeyMaxAge],
// [WithFetchTimeout], [WithMaxJWKSSize]); others are an error. Nothing is
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
	}, nil
}

// URL returns the JWKS URL the set fetches.
func (r *RemoteKeySet) URL() string { return r.url }

var errClosed = errors.New("key set closed")

// Key returns the key with ID kid, fetching the JWKS when needed (see
// [RemoteKeySet]). Errors wrap [ErrUnknownKey] (the fetched set has no such
// key), [ErrKeySetUnavailable] (no usable keys: fetch failed, set closed), and
// ctx's error when ctx ends while waiting for a fetch.
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

// mayFetch reports whether a new fetch may start now. r.mu must be held.
func (r *RemoteKeySet) mayFetch(now time.Time) bool {
	if r.inflight != nil {
		return false
	}
	return r.lastAttempt.IsZero() || now.Sub(r.lastAttempt) >= r.cooldown
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
		if err == nil {
			r.keys = keys
			r.fetchedAt = r.now()
		}
		r.lastErr = err
		call.err = err
		r.inflight = nil
		r.mu.Unlock()
		close(call.done)
	}()
	return call
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
	keys, err := ParseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("JWKS from %s: %s", r.url, strings.TrimPrefix(err.Error(), "token: "))
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
