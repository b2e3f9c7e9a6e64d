package token

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// jwksServer serves a JWKS under a non-root base path, as WorkOS does at
// /sso/jwks/{clientID}, and counts the requests.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int64

	mu      sync.Mutex
	status  int
	body    []byte
	hold    bool          // when set, requests wait until their context ends
	entered chan struct{} // receives once per held request
}

const basePath = "/api"

func newJWKSServer(t *testing.T, kids ...string) *jwksServer {
	t.Helper()
	s := &jwksServer{status: http.StatusOK, body: jwksJSON(kids...), entered: make(chan struct{}, 10)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != basePath+"/sso/jwks/client_123" {
			http.NotFound(w, r)
			return
		}
		s.hits.Add(1)
		s.mu.Lock()
		status, body, hold := s.status, s.body, s.hold
		s.mu.Unlock()
		if hold {
			s.entered <- struct{}{}
			<-r.Context().Done()
			return
		}
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *jwksServer) setHold(hold bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = hold
}

// newRemoteVerifier returns a Verifier fetching from s with the clock c.
func newRemoteVerifier(t *testing.T, s *jwksServer, c *clock, opts ...Option) *Verifier {
	t.Helper()
	base := []Option{WithBaseURL(s.URL + basePath), WithHTTPClient(s.Client()), WithTimeFunc(c.Now), WithLogger(discardLogger)}
	v, err := NewVerifier("client_123", append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// tokenAt returns a session token signed by kid and valid at now.
func tokenAt(t testing.TB, kid string, now time.Time) string {
	return sign(t, kid, claimsWith(map[string]any{
		"iat": now.Add(-time.Minute).Unix(),
		"exp": now.Add(5 * time.Minute).Unix(),
	}), nil)
}

func verifyOK(t *testing.T, v *Verifier, raw string) {
	t.Helper()
	if _, err := v.Verify(t.Context(), raw); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func verifyErr(t *testing.T, v *Verifier, raw string, want error) {
	t.Helper()
	if _, err := v.Verify(t.Context(), raw); !errors.Is(err, want) {
		t.Fatalf("Verify error = %v, want %v", err, want)
	}
}

func wantHits(t *testing.T, s *jwksServer, want int64) {
	t.Helper()
	if got := s.hits.Load(); got != want {
		t.Fatalf("JWKS fetched %d times, want %d", got, want)
	}
}

func TestRemoteFetchesOnceForManyVerifies(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, kidA)
	c := newClock()
	v := newRemoteVerifier(t, s, c)
	raw := tokenAt(t, kidA, t0)
	for range 50 {
		verifyOK(t, v, raw)
	}
	wantHits(t, s, 1)
}

func TestRemoteUnknownKidRefetchAtMostOncePerCooldown(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, kidA)
	c := newClock()
	v := newRemoteVerifier(t, s, c, WithRefreshCooldown(time.Minute))
	verifyOK(t, v, tokenAt(t, kidA, t0))
	wantHits(t, s, 1)

	unknown := tokenAt(t, kidAttacker, t0)
	for range 20 { // made-up kids within the cooldown: no fetch at all
		verifyErr(t, v, unknown, ErrUnknownKey)
	}
	wantHits(t, s, 1)

	c.Advance(time.Minute)
	verifyErr(t, v, unknown, ErrUnknownKey) // cooldown over: one refetch
	wantHits(t, s, 2)
	verifyErr(t, v, unknown, ErrUnknownKey)
	wantHits(t, s, 2)
	verifyOK(t, v, tokenAt(t, kidA, c.Now())) // known keys unaffected
}

func TestRemoteKeyRotation(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, kidA)
	c := newClock()
	v := newRemoteVerifier(t, s, c)
	verifyOK(t, v, tokenAt(t, kidA, t0))

	s.set(http.StatusOK, jwksJSON(kidB)) // WorkOS rotates: B replaces A
	c.Advance(DefaultRefreshCooldown)
	now := c.Now()
	verifyOK(t, v, tokenAt(t, kidB, now)) // unknown kid B: refetch, accepted
	wantHits(t, s, 2)
	verifyErr(t, v, tokenAt(t, kidA, now), ErrUnknownKey) // A is gone
	wantHits(t, s, 2)
}

func TestRemoteBackgroundRefresh(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, kidA)
	c := newClock()
	v := newRemoteVerifier(t, s, c)
	verifyOK(t, v, tokenAt(t, kidA, t0))

	s.set(http.StatusOK, jwksJSON(kidA, kidB))
	c.Advance(DefaultKeyRefresh)
	verifyOK(t, v, tokenAt(t, kidA, c.Now())) // old keys answer; a refresh starts
	v.remote.waitIdle()
	wantHits(t, s, 2)
	verifyOK(t, v, tokenAt(t, kidB, c.Now())) // the refresh brought B: no fetch
	wantHits(t, s, 2)
}

func TestRemoteLastKnownGoodThenFailClosed(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, kidA)
	c := newClock()
	v := newRemoteVerifier(t, s, c, WithKeyRefresh(time.Hour), WithKeyMaxAge(6*time.Hour))
	verifyOK(t, v, tokenAt(t, kidA, t0))

	s.set(http.StatusInternalServerError, []byte(`{"message":"down"}`))
	c.Advance(2 * time.Hour) // stale: refresh fails in the background
	verifyOK(t, v, tokenAt(t, kidA, c.Now()))
	v.remote.waitIdle()
	wantHits(t, s, 2)
	c.Advance(3 * time.Hour) // still inside the 6h window
	verifyOK(t, v, tokenAt(t, kidA, c.Now()))
	v.remote.waitIdle()
	verifyErr(t, v, tokenAt(t, kidB, c.Now()), ErrKeySetUnavailable) // unknown kid while down: cannot decide

	c.Advance(time.Hour + time.Second) // past the window: fail closed
	verifyErr(t, v, tokenAt(t, kidA, c.Now()), ErrKeySetUnavailable)
	verifyErr(t, v, tokenAt(t, kidA, c.Now()), ErrKeySetUnavailable) // within cooldown: no fetch, still closed

	s.set(http.StatusOK, jwksJSON(kidA)) // back up
	c.Advance(DefaultRefreshCooldown)
	verifyOK(t, v, tokenAt(t, kidA, c.Now()))
}

func TestRemoteFetchFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		opts   []Option
	}{
		{"server error", http.StatusInternalServerError, `{"message":"oops"}`, nil},
		{"not found", http.StatusNotFound, `{}`, nil},
		{"not JSON", http.StatusOK, `<html>`, nil},
		{"no keys array", http.StatusOK, `{"key":[]}`, nil},
		{"no usable key", http.StatusOK, `{"keys":[{"kty":"EC","kid":"e","crv":"P-256","x":"AA","y":"AA"}]}`, nil},
		{"body over the cap", http.StatusOK, string(jwksJSON(kidA)), []Option{WithMaxJWKSSize(100)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newJWKSServer(t)
			s.set(tt.status, []byte(tt.body))
			c := newClock()
			v := newRemoteVerifier(t, s, c, tt.opts...)
			raw := tokenAt(t, kidA, t0)
			_, err := v.Verify(t.Context(), raw)
			if !errors.Is(err, ErrKeySetUnavailable) {
				t.Fatalf("Verify error = %v, want ErrKeySetUnavailable", err)
			}
			assertNoSecret(t, err, raw)
			verifyErr(t, v, raw, ErrKeySetUnavailable) // within the cooldown: no new fetch
			wantHits(t, s, 1)
		})
	}
}

func TestRemoteCallerGivesUpAlone(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, kidA)
	s.setHold(true)
	c := newClock()
	v := newRemoteVerifier(t, s, c)
	raw := tokenAt(t, kidA, t0)

	patient := make(chan error, 1)
	go func() {
		_, err := v.Verify(context.Background(), raw)
		patient <- err
	}()
	<-s.entered // the shared fetch is in flight

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := v.Verify(ctx, raw)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrKeySetUnavailable) {
		t.Fatalf("cancelled caller got %v, want context.Canceled and ErrKeySetUnavailable", err)
	}
	select {
	case err := <-patient:
		t.Fatalf("the other caller returned early: %v", err)
	default:
	}
	v.Close() // ends the held fetch; the patient caller fails closed
	if err := <-patient; !errors.Is(err, ErrKeySetUnavailable) {
		t.Fatalf("patient caller after Close got %v, want ErrKeySetUnavailable", err)
	}
	wantHits(t, s, 1)
}

func TestRemoteCloseStopsInFlightFetch(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, kidA)
	s.setHold(true)
	c := newClock()
	v := newRemoteVerifier(t, s, c, WithFetchTimeout(20*time.Second))

	verified := make(chan error, 1)
	go func() {
		_, err := v.Verify(context.Background(), tokenAt(t, kidA, t0))
		verified <- err
	}()
	<-s.entered

	closed := make(chan struct{})
	go func() {
		v.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second): // a failure guard, not a wait for time
		t.Fatal("Close did not return: the fetch was not cancelled")
	}
	if err := <-verified; !errors.Is(err, ErrKeySetUnavailable) {
		t.Fatalf("Verify during Close got %v, want ErrKeySetUnavailable", err)
	}
	if v.remote.inflight != nil {
		t.Error("a fetch is still in flight after Close")
	}
	if _, err := v.remote.Key(t.Context(), kidA); !errors.Is(err, ErrKeySetUnavailable) {
		t.Errorf("Key after Close = %v, want ErrKeySetUnavailable", err)
	}
}

// 100 concurrent verifications of a token with a new kid make one fetch.
// synctest lets the test know that all 100 wait before the fetch answers.
func TestRemoteMergesConcurrentFetches(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var (
			hits atomic.Int64
			mu   sync.Mutex
			body = jwksJSON(kidA)
			gate chan struct{} // nil: answer at once
		)
		rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			hits.Add(1)
			mu.Lock()
			b, g := body, gate
			mu.Unlock()
			if g != nil {
				select {
				case <-g:
				case <-req.Context().Done():
					return nil, req.Context().Err()
				}
			}
			rec := httptest.NewRecorder()
			rec.Write(b)
			return rec.Result(), nil
		})
		v, err := NewVerifier("client_123", WithBaseURL("http://jwks.invalid"), WithHTTPClient(&http.Client{Transport: rt}))
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		verifyOK(t, v, tokenAt(t, kidA, time.Now()))

		mu.Lock()
		body, gate = jwksJSON(kidA, kidB), make(chan struct{})
		mu.Unlock()
		time.Sleep(DefaultRefreshCooldown) // fake time inside the bubble
		raw := tokenAt(t, kidB, time.Now())

		errs := make(chan error, 100)
		for range 100 {
			go func() {
				_, err := v.Verify(context.Background(), raw)
				errs <- err
			}()
		}
		synctest.Wait() // all 100 are blocked: one in the fetch, 99 waiting for it
		if got := hits.Load(); got != 2 {
			t.Fatalf("fetches while 100 callers wait = %d, want 2 (initial + 1 shared)", got)
		}
		close(gate)
		for range 100 {
			if err := <-errs; err != nil {
				t.Errorf("Verify: %v", err)
			}
		}
		if got := hits.Load(); got != 2 {
			t.Errorf("fetches = %d, want 2", got)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewRemoteKeySet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		url     string
		opts    []Option
		wantErr bool
	}{
		{"ok", "https://api.workos.com/sso/jwks/client_123", []Option{WithRefreshCooldown(time.Second), WithTimeFunc(time.Now)}, false},
		{"bad URL", "not a url", nil, true},
		{"verifier option", "https://api.workos.com/sso/jwks/client_123", []Option{WithIssuer("x")}, true},
		{"URL option", "https://api.workos.com/sso/jwks/client_123", []Option{WithBaseURL("https://x.example")}, true},
		{"zero cooldown", "https://api.workos.com/sso/jwks/client_123", []Option{WithRefreshCooldown(0)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks, err := NewRemoteKeySet(tt.url, tt.opts...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewRemoteKeySet error = %v, want error %v", err, tt.wantErr)
			}
			if ks != nil {
				ks.Close()
			}
		})
	}
}

// A RemoteKeySet can be shared by several verifiers through WithKeySet.
func TestRemoteKeySetShared(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, kidA)
	c := newClock()
	ks, err := NewRemoteKeySet(s.URL+basePath+"/sso/jwks/client_123", WithHTTPClient(s.Client()), WithTimeFunc(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	raw := tokenAt(t, kidA, t0)
	for range 3 {
		v, err := NewVerifier("", WithKeySet(ks), WithTimeFunc(c.Now))
		if err != nil {
			t.Fatal(err)
		}
		verifyOK(t, v, raw)
		v.Close() // does not close the shared set
	}
	wantHits(t, s, 1)
}

// A background refresh stuck on a silent endpoint ends with Close: synctest
// fails the test if any goroutine of the bubble is still alive at its end.
func TestRemoteCloseLeavesNoGoroutine(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Int64
		rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if hits.Add(1) > 1 { // every refresh hangs until cancelled
				<-req.Context().Done()
				return nil, req.Context().Err()
			}
			rec := httptest.NewRecorder()
			rec.Write(jwksJSON(kidA))
			return rec.Result(), nil
		})
		v, err := NewVerifier("client_123", WithBaseURL("http://jwks.invalid"),
			WithHTTPClient(&http.Client{Transport: rt}), WithFetchTimeout(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		verifyOK(t, v, tokenAt(t, kidA, time.Now()))
		time.Sleep(DefaultKeyRefresh)                // fake time inside the bubble
		verifyOK(t, v, tokenAt(t, kidA, time.Now())) // starts a background refresh
		synctest.Wait()
		if got := hits.Load(); got != 2 {
			t.Fatalf("fetches = %d, want 2", got)
		}
		start := time.Now()
		v.Close()
		if waited := time.Since(start); waited != 0 {
			t.Errorf("Close waited %v of fake time: it let the fetch time out instead of cancelling it", waited)
		}
	})
}
