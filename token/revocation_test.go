package token

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestWithRevocationCheck: a token whose session the check calls revoked
// fails with ErrSessionRevoked — on a cache hit too — others verify, and a
// token without sid is not asked about.
func TestWithRevocationCheck(t *testing.T) {
	t.Parallel()
	if _, err := NewVerifier("client_123", WithKeySet(staticKeys(kidA)), WithRevocationCheck(nil)); err == nil {
		t.Error("WithRevocationCheck(nil) accepted")
	}
	var mu sync.Mutex
	revoked := map[string]bool{}
	var asked []string
	check := func(sid string, iat time.Time) bool {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, sid)
		return revoked[sid]
	}
	for _, cached := range []bool{false, true} {
		opts := []Option{WithRevocationCheck(check)}
		if cached {
			opts = append(opts, WithCache(10))
		}
		v := newTestVerifier(t, opts...)
		ctx := t.Context()
		raw := sign(t, kidA, sessionClaims(), nil)
		noSID := sign(t, kidA, claimsWith(map[string]any{"sid": nil}), nil)
		mu.Lock()
		revoked = map[string]bool{}
		asked = nil
		mu.Unlock()
		if _, err := v.Verify(ctx, raw); err != nil {
			t.Fatalf("cached=%v: before revocation: %v", cached, err)
		}
		mu.Lock()
		revoked["session_01HQSXZGF8FHF7A9ZZFCW4387R"] = true
		mu.Unlock()
		if _, err := v.Verify(ctx, raw); !errors.Is(err, ErrSessionRevoked) {
			t.Errorf("cached=%v: after revocation: %v, want ErrSessionRevoked", cached, err)
		}
		if _, err := v.Verify(ctx, noSID); err != nil {
			t.Errorf("cached=%v: token without sid: %v", cached, err)
		}
		mu.Lock()
		if len(asked) != 2 {
			t.Errorf("cached=%v: asked about %v, want the session twice and the sid-less token never", cached, asked)
		}
		mu.Unlock()
	}
}
