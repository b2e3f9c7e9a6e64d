package redact

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

const key = "sk_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqR"

func TestRedact(t *testing.T) {
	t.Parallel()
	s := New(key, "short")
	tests := []struct{ name, in, want string }{
		{"whole key", "bad key " + key + "!", "bad key [REDACTED]!"},
		{"prefix cut by a truncation", "x " + key[:20], "x [REDACTED]"},
		{"suffix", key[10:] + " y", "[REDACTED] y"},
		{"7 bytes are no secret", "sk_test and more", "sk_test and more"},
		{"8 bytes are", "sk_test_", "[REDACTED]"},
		{"split in two", key[:18] + "\n" + key[18:], "[REDACTED]\n[REDACTED]"},
		{"twice", key + key, "[REDACTED]"},
		{"short secret whole", "a short b", "a [REDACTED] b"},
		{"nothing", "plain text", "plain text"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := s.Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactEscapedForms(t *testing.T) {
	t.Parallel()
	weird := `sk_"odd/key?&=\x<>é+`
	s := New(weird)
	j, _ := json.Marshal(weird)
	for _, in := range []string{string(j), url.QueryEscape(weird), url.PathEscape(weird)} {
		if out := s.Redact(in); s.Contains(out) || strings.Contains(out, weird[:8]) {
			t.Errorf("Redact(%q) = %q still holds a piece", in, out)
		}
	}
}

func TestRedactPlaceholderInKey(t *testing.T) {
	t.Parallel()
	s := New("ab[REDACTED]cd")
	out := s.Redact("xx ab[REDACTED]cd yy")
	if s.Contains(out) {
		t.Errorf("Redact left a piece: %q", out)
	}
}

func TestNilSetAndFormatting(t *testing.T) {
	t.Parallel()
	var s *Set
	if got := s.Redact(key); got != key {
		t.Errorf("nil Set changed the text: %q", got)
	}
	k := New(key)
	for _, got := range []string{k.String(), k.GoString()} {
		if strings.Contains(got, key[:8]) {
			t.Errorf("Set prints a secret: %q", got)
		}
	}
}

// FuzzRedact: whatever the text and the secret, no Window-byte piece of the
// secret survives, and text without one is left alone.
func FuzzRedact(f *testing.F) {
	f.Add(key, "echo: Bearer "+key, 3)
	f.Add("sk_[REDACTED]_x", "sk_[REDACTED]_x[REDACTED]", 0)
	f.Add("aaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaa", 1)
	f.Fuzz(func(t *testing.T, secret, text string, at int) {
		if secret == "" {
			return
		}
		if at < 0 {
			at = -at
		}
		at %= len(text) + 1
		text = text[:at] + secret + text[at:]
		s := New(secret)
		out := s.Redact(text)
		if len(secret) >= Window {
			for i := 0; i+Window <= len(secret); i++ {
				if strings.Contains(out, secret[i:i+Window]) {
					t.Fatalf("Redact(%q) = %q holds %q", text, out, secret[i:i+Window])
				}
			}
		} else if strings.Contains(out, secret) {
			t.Fatalf("Redact(%q) = %q holds the short secret", text, out)
		}
	})
}
