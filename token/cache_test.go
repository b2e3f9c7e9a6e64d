package token

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// newCachedVerifier returns a Verifier with the cache on, a settable clock
// and a key set that counts lookups (one per signature check).
func newCachedVerifier(t *testing.T, size int) (*Verifier, *clock, *countingKeySet) {
	t.Helper()
	c := newClock()
	ks := &countingKeySet{KeySet: staticKeys(kidA)}
	v, err := NewVerifier("", WithKeySet(ks), WithTimeFunc(c.Now), WithCache(size))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v, c, ks
}

func TestCacheHitSkipsSignatureCheck(t *testing.T) {
	t.Parallel()
	v, _, ks := newCachedVerifier(t, 10)
	raw := sign(t, kidA, sessionClaims(), nil)
	first, err := v.Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		got, err := v.Verify(t.Context(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("cached claims differ (-first +hit):\n%s", diff)
		}
	}
	if n := ks.n.Load(); n != 1 {
		t.Errorf("key lookups = %d, want 1 (hits skip the signature check)", n)
	}
}

func TestCacheHitReturnsACopy(t *testing.T) {
	t.Parallel()
	v, _, _ := newCachedVerifier(t, 10)
	raw := sign(t, kidA, sessionClaims(), nil)
	got, err := v.Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	got.Subject, got.OrganizationID = "user_evil", "org_evil"
	again, err := v.Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantClaims(), again); diff != "" {
		t.Errorf("a caller's change leaked into the cache (-want +got):\n%s", diff)
	}
}

func TestCacheEntryExpiresWithItsToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		advance time.Duration
		want    error
	}{
		{"still valid", 4 * time.Minute, nil},
		{"within the leeway", 4*time.Minute + DefaultLeeway - time.Second, nil},
		{"expired", 4*time.Minute + DefaultLeeway, ErrExpired},
		{"long expired", 24 * time.Hour, ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, c, ks := newCachedVerifier(t, 10)
			raw := sign(t, kidA, sessionClaims(), nil) // exp = t0+4m
			if _, err := v.Verify(t.Context(), raw); err != nil {
				t.Fatal(err)
			}
			c.Advance(tt.advance)
			got, err := v.Verify(t.Context(), raw)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (got != nil) {
				t.Fatalf("Verify after %v = %v, %v; want error %v", tt.advance, got, err, tt.want)
			}
			if n := ks.n.Load(); n != 1 {
				t.Errorf("key lookups = %d, want 1: the answer must come from the cache", n)
			}
		})
	}
}

func TestCacheChecksNotBeforeOnHit(t *testing.T) {
	t.Parallel()
	v, c, _ := newCachedVerifier(t, 10)
	raw := sign(t, kidA, claimsWith(map[string]any{"nbf": t0.Unix()}), nil)
	if _, err := v.Verify(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
	c.Advance(-time.Hour) // a clock set back must not make a not-yet-valid token pass
	if _, err := v.Verify(t.Context(), raw); !errors.Is(err, ErrNotYetValid) {
		t.Fatalf("Verify = %v, want ErrNotYetValid", err)
	}
}

// The cache is keyed by the exact raw token: the same header and payload with
// another signature is checked from scratch, and rejected.
func TestCacheDifferentSignatureMisses(t *testing.T) {
	t.Parallel()
	v, _, ks := newCachedVerifier(t, 10)
	claims := sessionClaims()
	good := sign(t, kidA, claims, nil)
	if _, err := v.Verify(t.Context(), good); err != nil {
		t.Fatal(err)
	}
	forged := signWith(t, privateKey(kidAttacker), kidA, claims, nil)
	gp, fp := strings.Split(good, "."), strings.Split(forged, ".")
	if gp[0] != fp[0] || gp[1] != fp[1] || gp[2] == fp[2] {
		t.Fatal("test setup: want the same header and payload with another signature")
	}
	if _, err := v.Verify(t.Context(), forged); !errors.Is(err, ErrSignature) {
		t.Fatalf("forged token: %v, want ErrSignature", err)
	}
	if n := ks.n.Load(); n != 2 {
		t.Errorf("key lookups = %d, want 2 (the forged token missed the cache)", n)
	}
	if _, err := v.Verify(t.Context(), forged); !errors.Is(err, ErrSignature) {
		t.Fatalf("forged token again: %v, want ErrSignature (failures are never cached)", err)
	}
}

func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	v, _, ks := newCachedVerifier(t, 2)
	var raws []string
	for i := range 3 {
		raws = append(raws, sign(t, kidA, claimsWith(map[string]any{"jti": string(rune('a' + i))}), nil))
	}
	for _, raw := range raws {
		if _, err := v.Verify(t.Context(), raw); err != nil {
			t.Fatal(err)
		}
	}
	if got := v.cache.Len(); got != 2 {
		t.Errorf("cache holds %d tokens, want 2", got)
	}
	lookups := ks.n.Load()
	if _, err := v.Verify(t.Context(), raws[0]); err != nil { // evicted: full check
		t.Fatal(err)
	}
	if got := ks.n.Load(); got != lookups+1 {
		t.Errorf("key lookups = %d, want %d (the oldest token was evicted)", got, lookups+1)
	}
}

func TestCacheOffByDefault(t *testing.T) {
	t.Parallel()
	ks := &countingKeySet{KeySet: staticKeys(kidA)}
	v := newTestVerifier(t, WithKeySet(ks))
	raw := sign(t, kidA, sessionClaims(), nil)
	for range 3 {
		verifyOK(t, v, raw)
	}
	if n := ks.n.Load(); n != 3 {
		t.Errorf("key lookups = %d, want 3 (no cache unless WithCache)", n)
	}
}

// Many goroutines verifying the same and different tokens through the cache
// (run with -race).
func TestCacheConcurrentUse(t *testing.T) {
	t.Parallel()
	v, _, _ := newCachedVerifier(t, 4)
	var raws []string
	for i := range 8 {
		raws = append(raws, sign(t, kidA, claimsWith(map[string]any{"jti": string(rune('a' + i))}), nil))
	}
	errs := make(chan error, 64)
	for i := range 64 {
		go func() {
			raw := raws[i%len(raws)]
			c, err := v.Verify(t.Context(), raw)
			if err == nil && c.ID != string(rune('a'+i%len(raws))) {
				err = errors.New("claims of another token: " + c.ID)
			}
			errs <- err
		}()
	}
	for range 64 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
