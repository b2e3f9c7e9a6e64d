package token

import (
	"strings"
	"testing"
	"time"
)

// The key-fetching durations share one shape: positive only, stored in
// their own field, and refused by NewVerifier when WithKeySet gives the keys.
func TestKeyFetchDurationOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opt   func(time.Duration) Option
		field func(*config) time.Duration
	}{
		{"WithRefreshCooldown", WithRefreshCooldown, func(c *config) time.Duration { return c.refreshCooldown }},
		{"WithKeyRefresh", WithKeyRefresh, func(c *config) time.Duration { return c.keyRefresh }},
		{"WithKeyMaxAge", WithKeyMaxAge, func(c *config) time.Duration { return c.keyMaxAge }},
		{"WithFetchTimeout", WithFetchTimeout, func(c *config) time.Duration { return c.fetchTimeout }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, d := range []time.Duration{0, -time.Second} {
				err := tt.opt(d)(defaultConfig())
				if err == nil || !strings.Contains(err.Error(), tt.name) {
					t.Errorf("%s(%v) error = %v, want an error naming the option", tt.name, d, err)
				}
			}
			c := defaultConfig()
			if err := tt.opt(25 * time.Hour)(c); err != nil {
				t.Fatalf("%s(25h): %v", tt.name, err)
			}
			if got := tt.field(c); got != 25*time.Hour {
				t.Errorf("%s(25h) stored %v", tt.name, got)
			}
			if len(c.remoteOnly) != 1 || c.remoteOnly[0] != tt.name {
				t.Errorf("%s recorded remoteOnly = %v", tt.name, c.remoteOnly)
			}
			if _, err := NewVerifier("", WithKeySet(staticKeys(kidA)), tt.opt(time.Minute)); err == nil {
				t.Errorf("NewVerifier with WithKeySet and %s: no error", tt.name)
			}
		})
	}
}

// A nil option is a mistake in the caller's code, refused as authz.New and
// cache.New refuse it, rather than silently ignored.
func TestNilOptionIsRefused(t *testing.T) {
	t.Parallel()
	if _, err := NewVerifier("client_test", WithKeySet(NewStaticKeySet(nil)), nil); err == nil {
		t.Fatal("NewVerifier with a nil option: got nil error")
	}
	if _, err := NewRemoteKeySet("https://example.invalid/jwks", nil); err == nil {
		t.Fatal("NewRemoteKeySet with a nil option: got nil error")
	}
}
