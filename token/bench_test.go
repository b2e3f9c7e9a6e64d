package token

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Run side by side with:
//
//	go test -run '^$' -bench . -benchmem ./token/
//
// BenchmarkBaselineJWTParseWithClaims is golang-jwt alone on the same token
// and key, the floor a fresh Verify is compared with.

func BenchmarkVerify(b *testing.B) {
	v := newTestVerifier(b)
	raw := sign(b, kidA, sessionClaims(), nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	v := newTestVerifier(b, WithCache(1024))
	raw := sign(b, kidA, sessionClaims(), nil)
	ctx := context.Background()
	if _, err := v.Verify(ctx, raw); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHasPermission(b *testing.B) {
	c := &Claims{Permissions: []string{
		"posts:read", "posts:write", "posts:delete", "comments:read", "comments:write",
		"projects:read", "projects:write", "billing:read", "members:read", "project:edit",
	}}
	b.ReportAllocs()
	for b.Loop() {
		if !c.HasPermission("project:edit") {
			b.Fatal("permission missing")
		}
	}
}

func BenchmarkBaselineJWTParseWithClaims(b *testing.B) {
	raw := sign(b, kidA, sessionClaims(), nil)
	pub := publicKey(kidA)
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(DefaultLeeway),
		jwt.WithTimeFunc(func() time.Time { return t0 }),
	)
	keyFunc := func(*jwt.Token) (any, error) { return pub, nil }
	b.Run("RegisteredClaims", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parser.ParseWithClaims(raw, &jwt.RegisteredClaims{}, keyFunc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("MapClaims", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parser.ParseWithClaims(raw, jwt.MapClaims{}, keyFunc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeClaims is the payload decoding alone: Exact is what Verify
// does after the jwt parser (decode into the fields, then check the member
// names from the base64 segment); Plain is the decoding alone (names matched
// case-insensitively).
func BenchmarkDecodeClaims(b *testing.B) {
	payload, err := json.Marshal(sessionClaims())
	if err != nil {
		b.Fatal(err)
	}
	segment := base64.RawURLEncoding.EncodeToString(payload)
	b.Run("Exact", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c wireClaims
			if err := json.NewDecoder(bytes.NewReader(payload)).Decode(&c); err != nil {
				b.Fatal(err)
			}
			p, err := base64.RawURLEncoding.DecodeString(segment)
			if err != nil {
				b.Fatal(err)
			}
			if err := defaultClaimNames.read(p, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c wireClaims
			if err := json.NewDecoder(bytes.NewReader(payload)).Decode(&c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
