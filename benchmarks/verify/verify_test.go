package verify

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"

	"github.com/fgakit/fgakit/token"
)

// Every implementation verifies the same RS256 token (2048-bit key, the size
// WorkOS uses) with the key already available locally, and returns the
// session's claims decoded into a struct. So each one measures parse +
// signature + claims checks + claims decoding, never a network fetch:
//
//   - fgakit: token.Verifier with a RemoteKeySet whose JWKS was fetched from a
//     local httptest server before the timer starts (the production setup),
//     and with a StaticKeySet;
//   - golang-jwt: Parser.ParseWithClaims with the *rsa.PublicKey returned by
//     the key func;
//   - keyfunc: keyfunc/v3 with its JWK Set loaded from the same local server,
//     used as the key func of the same golang-jwt parser;
//   - go-oidc: IDTokenVerifier with a RemoteKeySet warmed by one Verify, then
//     IDToken.Claims to decode the AuthKit claims.
//
// All check the algorithm (RS256 only), exp, the issuer and (where the
// library can) iat, against the same fixed clock.

const (
	kid      = "sso_oidc_key_pair_01BENCHKEY"
	clientID = "client_bench"
	issuer   = "https://api.workos.com/user_management/client_bench"
)

// now is the fixed clock of every verifier; the token is valid at now.
var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// authKitClaims are the claims of a typical AuthKit access token whose JWT
// template adds the organization membership ID.
func authKitClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":    issuer,
		"sub":    "user_01HBEQKA6K4QJAS93VPE39W1JT",
		"sid":    "session_01HQSXZGF8FHF7A9ZZFCW4387R",
		"jti":    "01HQSXZXPPFPKMDD32RKTFY6PV",
		"org_id": "org_01HRDMC6CM357W30QMHMQ96Q0S",
		"role":   "member",
		"roles":  []string{"member"},
		"permissions": []string{
			"posts:read", "posts:write", "comments:read", "comments:write",
			"projects:read", "projects:write", "billing:read", "members:read",
		},
		"entitlements":               []string{"audit-logs"},
		"feature_flags":              []string{"beta"},
		"organization_membership_id": "om_01HALICE0000000000000000",
		"iat":                        now.Add(-time.Minute).Unix(),
		"exp":                        now.Add(4 * time.Minute).Unix(),
	}
}

func signedToken(tb testing.TB) string {
	tb.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, authKitClaims())
	tok.Header["kid"] = kid
	raw, err := tok.SignedString(signingKey())
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// peerClaims is what a golang-jwt or keyfunc user would decode an AuthKit
// token into: the registered claims plus AuthKit's own.
type peerClaims struct {
	jwt.RegisteredClaims
	authKitExtra
}

// authKitExtra are AuthKit's claims beyond the registered ones (go-oidc
// parses the registered ones itself).
type authKitExtra struct {
	SessionID    string   `json:"sid"`
	OrgID        string   `json:"org_id"`
	Role         string   `json:"role"`
	Roles        []string `json:"roles"`
	Permissions  []string `json:"permissions"`
	Entitlements []string `json:"entitlements"`
	FeatureFlags []string `json:"feature_flags"`
	MembershipID string   `json:"organization_membership_id"`
	Act          *struct {
		Sub    string `json:"sub"`
		Reason string `json:"reason"`
	} `json:"act"`
}

// jwksServer serves the public signing key as a JWKS, as WorkOS does at
// /sso/jwks/{clientID}, on 127.0.0.1.
func jwksServer(tb testing.TB) string {
	tb.Helper()
	pub := signingKey().PublicKey
	body, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + "/sso/jwks/" + clientID
}

func jwtParser() *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(token.DefaultLeeway),
		jwt.WithTimeFunc(clock),
	)
}

// verifyFunc verifies raw and fails on any error; it is built, keys loaded,
// before the timer starts.
type verifyFunc func(ctx context.Context, raw string) error

func fgakitVerifier(tb testing.TB, opts ...token.Option) verifyFunc {
	tb.Helper()
	opts = append([]token.Option{token.WithTimeFunc(clock), token.WithIssuer(issuer)}, opts...)
	v, err := token.NewVerifier(clientID, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { v.Close() })
	return func(ctx context.Context, raw string) error {
		c, err := v.Verify(ctx, raw)
		if err == nil && c.OrganizationMembershipID == "" {
			tb.Fatal("no membership")
		}
		return err
	}
}

func setup(tb testing.TB) map[string]verifyFunc {
	tb.Helper()
	jwksURL := jwksServer(tb)
	ctx := context.Background()
	impls := map[string]verifyFunc{}

	remote, err := token.NewRemoteKeySet(jwksURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { remote.Close() })
	impls["fgakit"] = fgakitVerifier(tb, token.WithKeySet(remote))
	impls["fgakit-static"] = fgakitVerifier(tb, token.WithKeySet(
		token.NewStaticKeySet(map[string]crypto.PublicKey{kid: &signingKey().PublicKey})))
	impls["fgakit-cached"] = fgakitVerifier(tb, token.WithKeySet(remote), token.WithCache(1024))

	parser := jwtParser()
	pub := &signingKey().PublicKey
	staticKey := func(*jwt.Token) (any, error) { return pub, nil }
	impls["golang-jwt"] = func(_ context.Context, raw string) error {
		var c peerClaims
		_, err := parser.ParseWithClaims(raw, &c, staticKey)
		return err
	}

	kctx, cancel := context.WithCancel(ctx)
	tb.Cleanup(cancel)
	kf, err := keyfunc.NewDefaultCtx(kctx, []string{jwksURL})
	if err != nil {
		tb.Fatal(err)
	}
	impls["keyfunc"] = func(_ context.Context, raw string) error {
		var c peerClaims
		_, err := parser.ParseWithClaims(raw, &c, kf.Keyfunc)
		return err
	}

	oidcVerifier := oidc.NewVerifier(issuer, oidc.NewRemoteKeySet(ctx, jwksURL), &oidc.Config{
		SkipClientIDCheck:    true, // AuthKit access tokens carry no aud
		SupportedSigningAlgs: []string{oidc.RS256},
		Now:                  clock,
	})
	impls["go-oidc"] = func(ctx context.Context, raw string) error {
		idt, err := oidcVerifier.Verify(ctx, raw)
		if err != nil {
			return err
		}
		var c authKitExtra
		return idt.Claims(&c)
	}

	// Warm-up: every key set has fetched its keys, every cache holds the
	// token; this also proves each implementation accepts the token.
	raw := signedToken(tb)
	for name, verify := range impls {
		if err := verify(ctx, raw); err != nil {
			tb.Fatalf("%s rejects the benchmark token: %v", name, err)
		}
	}
	return impls
}

// BenchmarkVerify verifies one AuthKit access token. impl=fgakit-cached is
// fgakit with the verified-token cache on, verifying a token it has seen
// before (target: ≥ 50× faster than a fresh verify, ≤ 1 allocation); every
// other impl verifies it from scratch each time.
func BenchmarkVerify(b *testing.B) {
	impls := setup(b)
	raw := signedToken(b)
	ctx := context.Background()
	for _, name := range []string{"fgakit", "fgakit-static", "fgakit-cached", "golang-jwt", "keyfunc", "go-oidc"} {
		verify := impls[name]
		b.Run("impl="+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := verify(ctx, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSameToken proves the benchmark is honest: every implementation accepts
// the benchmark token and rejects the same token with a broken signature.
func TestSameToken(t *testing.T) {
	impls := setup(t)
	raw := signedToken(t)
	tampered := raw[:len(raw)-4] + "AAAA"
	if tampered == raw {
		tampered = raw[:len(raw)-4] + "BBBB"
	}
	for name, verify := range impls {
		t.Run(name, func(t *testing.T) {
			if err := verify(t.Context(), raw); err != nil {
				t.Errorf("rejects the token: %v", err)
			}
			if name == "fgakit-cached" {
				return // a different raw string is a cache miss, checked below
			}
			if err := verify(t.Context(), tampered); err == nil {
				t.Error("accepts a token with a broken signature")
			}
		})
	}
	if err := impls["fgakit-cached"](t.Context(), tampered); err == nil {
		t.Error("fgakit-cached accepts a token with a broken signature")
	}
}
