package token

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The case: the first fetch fails, the endpoint answers again at
// once. Verification works again a second later, not a cooldown later.
func TestRemoteStartupFailureRecoversWithinSeconds(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t)
	s.set(http.StatusServiceUnavailable, []byte(`{"message":"down"}`))
	c := newClock()
	h := &recordingHandler{}
	v := newRemoteVerifier(t, s, c, WithLogger(slog.New(h)))

	verifyErr(t, v, tokenAt(t, kidA, c.Now()), ErrKeySetUnavailable)
	wantHits(t, s, 1)
	s.set(http.StatusOK, jwksJSON(kidA)) // back at once

	c.Advance(400 * time.Millisecond) // under half the first backoff: no fetch yet
	verifyErr(t, v, tokenAt(t, kidA, c.Now()), ErrKeySetUnavailable)
	wantHits(t, s, 1)

	c.Advance(600 * time.Millisecond) // one second after the failure
	verifyOK(t, v, tokenAt(t, kidA, c.Now()))
	wantHits(t, s, 2)

	logs := h.messages()
	if len(logs) != 2 || !strings.HasPrefix(logs[0], "WARN token: JWKS fetch failed") ||
		!strings.Contains(logs[0], "HTTP 503") || !strings.HasPrefix(logs[1], "INFO token: JWKS fetch succeeded again") {
		t.Errorf("logs = %q, want the failure then the recovery", logs)
	}
}

// While the endpoint stays down, fetches back off 1 s, 2 s, 4 s … up to the
// cooldown, however many tokens arrive; once it is back, the cooldown
// limits unknown kids to one fetch a minute again.
func TestRemoteFailureBackoffSchedule(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t)
	s.set(http.StatusBadGateway, nil)
	c := newClock()
	v := newRemoteVerifier(t, s, c)
	v.remote.jitter = func(d time.Duration) time.Duration { return d } // the longest wait, to know the schedule

	var fetchedAt []time.Duration
	raw := tokenAt(t, kidA, c.Now()) // the key is looked up before exp is checked
	for sec := range 600 {           // ten minutes, a verification every second
		before := s.hits.Load()
		verifyErr(t, v, raw, ErrKeySetUnavailable)
		if s.hits.Load() != before {
			fetchedAt = append(fetchedAt, time.Duration(sec)*time.Second)
		}
		c.Advance(time.Second)
	}
	want := []time.Duration{0, 1, 3, 7, 15, 31, 63, 123, 183, 243, 303, 363, 423, 483, 543}
	for i := range want {
		want[i] *= time.Second
	}
	if diff := cmp.Diff(want, fetchedAt); diff != "" {
		t.Errorf("fetch times while down (-want +got):\n%s", diff)
	}

	s.set(http.StatusOK, jwksJSON(kidA))
	c.Advance(time.Minute)
	verifyOK(t, v, tokenAt(t, kidA, c.Now()))
	hits := s.hits.Load()
	unknown := tokenAt(t, kidAttacker, c.Now())
	for range 59 { // a flood of made-up kids within the cooldown: no fetch
		verifyErr(t, v, unknown, ErrUnknownKey)
		c.Advance(time.Second)
	}
	wantHits(t, s, hits)
	c.Advance(time.Second)
	verifyErr(t, v, unknown, ErrUnknownKey)
	wantHits(t, s, hits+1)
}

// A background refresh that fails is retried on the backoff too, and a
// success resets it.
func TestRemoteRefreshFailureRetriedSoon(t *testing.T) {
	t.Parallel()
	s := newJWKSServer(t, kidA)
	c := newClock()
	v := newRemoteVerifier(t, s, c)
	v.remote.jitter = func(d time.Duration) time.Duration { return d }
	verifyOK(t, v, tokenAt(t, kidA, t0))

	s.set(http.StatusInternalServerError, nil)
	c.Advance(DefaultKeyRefresh)
	verifyOK(t, v, tokenAt(t, kidA, c.Now())) // stale keys answer; the refresh fails
	v.remote.waitIdle()
	wantHits(t, s, 2)

	s.set(http.StatusOK, jwksJSON(kidA, kidB))
	c.Advance(time.Second)
	verifyOK(t, v, tokenAt(t, kidA, c.Now())) // retried a second later, in the background
	v.remote.waitIdle()
	wantHits(t, s, 3)
	verifyOK(t, v, tokenAt(t, kidB, c.Now())) // the retry brought B
	wantHits(t, s, 3)

	s.set(http.StatusInternalServerError, nil) // a new failure starts again at one second
	c.Advance(DefaultRefreshCooldown)
	verifyErr(t, v, tokenAt(t, kidAttacker, c.Now()), ErrKeySetUnavailable)
	wantHits(t, s, 4)
	if got := v.remote.retryAt.Sub(c.Now()); got != time.Second {
		t.Errorf("backoff after a failure that follows a success = %v, want 1s", got)
	}
}

func TestFailureBackoff(t *testing.T) {
	t.Parallel()
	r := &RemoteKeySet{backoff: time.Second, cooldown: time.Minute, jitter: halfJitter}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 6: 32 * time.Second, 7: time.Minute, 64: time.Minute, 1 << 30: time.Minute} {
		for range 100 {
			if got := r.failureBackoff(n); got < want/2 || got > want {
				t.Fatalf("failureBackoff(%d) = %v, want within [%v, %v]", n, got, want/2, want)
			}
		}
	}
	long := &RemoteKeySet{backoff: time.Hour, cooldown: time.Minute, jitter: func(d time.Duration) time.Duration { return d }}
	if got := long.failureBackoff(1); got != time.Minute {
		t.Errorf("a backoff longer than the cooldown waits %v, want the cooldown", got)
	}
}

// With the default options on a fake clock: a failed start-up fetch, the
// endpoint back, and a verification two seconds later succeeds; the
// fetches that many callers start together are still merged into one.
func TestRemoteRecoversWithDefaults(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var (
			hits   atomic.Int64
			mu     sync.Mutex
			status = http.StatusServiceUnavailable
			gate   chan struct{}
		)
		rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			hits.Add(1)
			mu.Lock()
			st, g := status, gate
			mu.Unlock()
			if g != nil {
				select {
				case <-g:
				case <-req.Context().Done():
					return nil, req.Context().Err()
				}
			}
			rec := httptest.NewRecorder()
			rec.WriteHeader(st)
			rec.Write(jwksJSON(kidA))
			return rec.Result(), nil
		})
		v, err := NewVerifier("client_123", WithBaseURL("http://jwks.invalid"),
			WithHTTPClient(&http.Client{Transport: rt}), WithLogger(discardLogger))
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		raw := tokenAt(t, kidA, time.Now())
		if _, err := v.Verify(t.Context(), raw); !errors.Is(err, ErrKeySetUnavailable) {
			t.Fatalf("Verify while down = %v", err)
		}

		mu.Lock()
		status, gate = http.StatusOK, make(chan struct{})
		mu.Unlock()
		time.Sleep(2 * time.Second) // fake time inside the bubble

		errs := make(chan error, 50)
		for range 50 {
			go func() {
				_, err := v.Verify(context.Background(), raw)
				errs <- err
			}()
		}
		synctest.Wait()
		if got := hits.Load(); got != 2 {
			t.Fatalf("fetches while 50 callers wait = %d, want 2 (the failed one + 1 shared)", got)
		}
		close(gate)
		for range 50 {
			if err := <-errs; err != nil {
				t.Errorf("Verify two seconds after the endpoint came back: %v", err)
			}
		}
	})
}

func TestWithFetchBackoffAndLogger(t *testing.T) {
	t.Parallel()
	url := "https://api.workos.com/sso/jwks/client_123"
	for _, opt := range []Option{WithFetchBackoff(0), WithFetchBackoff(-time.Second), WithLogger(nil)} {
		if ks, err := NewRemoteKeySet(url, opt); err == nil {
			ks.Close()
			t.Error("invalid option accepted")
		}
	}
	if _, err := NewVerifier("", WithKeySet(staticKeys(kidA)), WithLogger(discardLogger)); err == nil {
		t.Error("WithLogger accepted with WithKeySet, where it does nothing")
	}
	ks, err := NewRemoteKeySet(url, WithFetchBackoff(5*time.Second), WithLogger(discardLogger))
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	if ks.backoff != 5*time.Second || ks.logger != discardLogger {
		t.Errorf("options not applied: backoff %v", ks.backoff)
	}
}
