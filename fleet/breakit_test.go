package fleet

import (
	"context"
	"testing"
	"time"
)

// TestCacheAcrossSkewedClocks: an entry's expiry is signed in the writer's
// clock and checked in the reader's; clocks that disagree by more than a
// second make misses (asked of the API), never longer-lived answers.
func TestCacheAcrossSkewedClocks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		skew     time.Duration // the reader's clock minus the writer's
		hit      bool
		rejected bool // the reader refuses the entry as not one of ours (its expiry is too far away)
	}{
		{"same clock", 0, true, false},
		{"reader 500ms behind", -500 * time.Millisecond, true, false},
		{"reader 500ms ahead", 500 * time.Millisecond, true, false},
		{"reader an hour behind", -time.Hour, false, true},
		{"reader an hour ahead", time.Hour, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := CacheConfig{TTL: 5 * time.Second}
			w, err := newFleet(t).NewCache(cfg)
			if err != nil {
				t.Fatal(err)
			}
			r, err := newFleet(t, WithClock(func() time.Time { return time.Now().Add(tc.skew) })).NewCache(cfg)
			if err != nil {
				t.Fatal(err)
			}
			k := key("om_1", "read")
			miss(t, w, k)
			w.Add(k, true)
			if _, ok := r.Get(k); ok != tc.hit {
				t.Errorf("reader hit = %v, want %v", ok, tc.hit)
			}
			if got := r.Stats().Rejected > 0; got != tc.rejected {
				t.Errorf("reader rejected = %v, want %v", got, tc.rejected)
			}
		})
	}
}

// TestTwoFleetsOnOneRedis: two fleets (two API keys) on one Redis with
// different prefixes share neither budget nor answers; with one prefix
// but different secrets they still share no answer.
func TestTwoFleetsOnOneRedis(t *testing.T) {
	t.Parallel()
	needRedis(t)
	otherSecret := []byte("fedcba9876543210fedcba9876543210")
	t.Run("different secrets, one prefix: no shared answer", func(t *testing.T) {
		t.Parallel()
		a, err := newFleet(t).NewCache(CacheConfig{TTL: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		b, err := newFleet(t, WithSecret(otherSecret)).NewCache(CacheConfig{TTL: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		k := key("om_1", "read")
		miss(t, a, k)
		a.Add(k, true)
		miss(t, b, k)
		hit(t, a, k, true)
	})
	t.Run("different prefixes: separate budgets", func(t *testing.T) {
		t.Parallel()
		fa := newFleet(t)
		fb := newFleet(t, WithPrefix(testPrefix(t)+"b:"), WithSecret(otherSecret))
		cfg := LimitConfig{PerMinute: 60, Burst: 3, LocalPerMinute: 60}
		la, err := fa.NewLimiter(cfg)
		if err != nil {
			t.Fatal(err)
		}
		lb, err := fb.NewLimiter(cfg)
		if err != nil {
			t.Fatal(err)
		}
		quiet(t, fa)
		quiet(t, fb)
		if got := tryAll(t, []*Limiter{la}, 10, 200*time.Millisecond); got < 3 || got > 4 {
			t.Fatalf("fleet a got %d slots, want its burst 3", got)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		if err := lb.Wait(ctx); err != nil {
			t.Errorf("fleet b, after fleet a spent its burst: %v, want a slot (its own budget)", err)
		}
	})
}
