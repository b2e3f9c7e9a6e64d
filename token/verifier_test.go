package token

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

var sentinels = []error{
	ErrMalformed, ErrSignature, ErrExpired, ErrNotYetValid, ErrIssuer,
	ErrAudience, ErrUnknownKey, ErrKeySetUnavailable, ErrNotSessionToken,
}

// wantClaims are the Claims of sessionClaims().
func wantClaims() *Claims {
	return &Claims{
		Subject:                  "user_01HBEQKA6K4QJAS93VPE39W1JT",
		SessionID:                "session_01HQSXZGF8FHF7A9ZZFCW4387R",
		Issuer:                   "https://api.workos.com/user_management/client_123",
		OrganizationID:           "org_01HRDMC6CM357W30QMHMQ96Q0S",
		Role:                     "member",
		Roles:                    []string{"member", "auditor"},
		Permissions:              []string{"posts:read", "posts:write"},
		Entitlements:             []string{"audit-logs"},
		FeatureFlags:             []string{"beta"},
		OrganizationMembershipID: "om_01HALICE",
		Impersonator:             &Impersonator{Subject: "admin@foocorp.com", Reason: "support ticket"},
		IssuedAt:                 t0.Add(-time.Minute),
		ExpiresAt:                t0.Add(4 * time.Minute),
		ID:                       "01HQSXZXPPFPKMDD32RKTFY6PV",
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	good := sign(t, kidA, sessionClaims(), nil)
	parts := strings.Split(good, ".")
	header, payload, sig := parts[0], parts[1], parts[2]

	// Algorithm confusion: HS256 keyed with the RSA public key's bytes.
	pubDER, err := x509.MarshalPKIXPublicKey(publicKey(kidA))
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs := func(secret []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(sessionClaims()))
		tok.Header["kid"] = kidA
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	tests := []struct {
		name string
		raw  string
		opts []Option
		want error
	}{
		{"bad signature (other key, same kid)", signWith(t, privateKey(kidAttacker), kidA, sessionClaims(), nil), nil, ErrSignature},
		{"payload changed after signing", header + "." + b64(claimsWith(map[string]any{"role": "admin"})) + "." + sig, nil, ErrSignature},
		{"signature truncated", header + "." + payload + "." + sig[:len(sig)-2], nil, ErrSignature},
		{"signature of another token", header + "." + payload + "." + strings.Split(sign(t, kidA, claimsWith(map[string]any{"jti": "other"}), nil), ".")[2], nil, ErrSignature},
		{"alg none", b64(map[string]any{"alg": "none", "typ": "JWT", "kid": kidA}) + "." + payload + ".", nil, ErrSignature},
		{"alg none with signature", b64(map[string]any{"alg": "none", "kid": kidA}) + "." + payload + "." + sig, nil, ErrSignature},
		{"HS256 keyed with the RSA public key PEM", hs(pubPEM), nil, ErrSignature},
		{"HS256 keyed with the RSA public key DER", hs(pubDER), nil, ErrSignature},
		{"alg unknown", b64(map[string]any{"alg": "RS257", "kid": kidA}) + "." + payload + "." + sig, nil, ErrSignature},
		{"alg missing", b64(map[string]any{"kid": kidA}) + "." + payload + "." + sig, nil, ErrSignature},
		{"RS512 not in the default allow-list", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS512, jwt.MapClaims(sessionClaims()))
			tok.Header["kid"] = kidA
			s, _ := tok.SignedString(privateKey(kidA))
			return s
		}(), nil, ErrSignature},
		{"expired", sign(t, kidA, claimsWith(map[string]any{"exp": t0.Add(-time.Hour).Unix()}), nil), nil, ErrExpired},
		{"expired beyond the default leeway", sign(t, kidA, claimsWith(map[string]any{"exp": t0.Add(-DefaultLeeway).Unix()}), nil), nil, ErrExpired},
		{"expired, no leeway", sign(t, kidA, claimsWith(map[string]any{"exp": t0.Add(-time.Second).Unix()}), nil), []Option{WithLeeway(0)}, ErrExpired},
		{"nbf in the future", sign(t, kidA, claimsWith(map[string]any{"nbf": t0.Add(time.Hour).Unix()}), nil), nil, ErrNotYetValid},
		{"iat in the future", sign(t, kidA, claimsWith(map[string]any{"iat": t0.Add(time.Hour).Unix()}), nil), nil, ErrNotYetValid},
		{"exp missing", sign(t, kidA, claimsWith(map[string]any{"exp": nil}), nil), nil, ErrMalformed},
		{"exp as a string", sign(t, kidA, claimsWith(map[string]any{"exp": "1793534640"}), nil), nil, ErrMalformed},
		{"exp negative", sign(t, kidA, claimsWith(map[string]any{"exp": -1}), nil), nil, ErrMalformed},
		{"exp absurd", sign(t, kidA, claimsWith(map[string]any{"exp": 1e300}), nil), nil, ErrMalformed},
		{"unknown kid", sign(t, kidAttacker, sessionClaims(), nil), nil, ErrUnknownKey},
		{"no kid", sign(t, kidA, sessionClaims(), map[string]any{"kid": nil}), nil, ErrUnknownKey},
		{"kid not a string", sign(t, kidA, sessionClaims(), map[string]any{"kid": 7}), nil, ErrUnknownKey},
		{"wrong issuer", sign(t, kidA, sessionClaims(), nil), []Option{WithIssuer("https://api.workos.com")}, ErrIssuer},
		{"no issuer when one is required", sign(t, kidA, claimsWith(map[string]any{"iss": nil}), nil), []Option{WithIssuer("https://api.workos.com")}, ErrIssuer},
		{"wrong audience", sign(t, kidA, claimsWith(map[string]any{"aud": "other"}), nil), []Option{WithAudience("client_123")}, ErrAudience},
		{"no audience when one is required", sign(t, kidA, sessionClaims(), nil), []Option{WithAudience("client_123")}, ErrAudience},
		{"malformed base64 header", "!!!." + payload + "." + sig, nil, ErrMalformed},
		{"malformed base64 payload", header + ".%%%." + sig, nil, ErrMalformed},
		{"malformed base64 signature", header + "." + payload + ".***", nil, ErrMalformed},
		{"padded base64 payload", header + "." + payload + "==." + sig, nil, ErrMalformed},
		{"header not JSON", b64("{not json") + "." + payload + "." + sig, nil, ErrMalformed},
		{"payload not JSON", header + "." + b64("{not json") + "." + sig, nil, ErrMalformed},
		{"payload a JSON array", header + "." + b64("[1,2]") + "." + sig, nil, ErrMalformed},
		{"one segment", payload, nil, ErrMalformed},
		{"two segments", header + "." + payload, nil, ErrMalformed},
		{"four segments", good + "." + sig, nil, ErrMalformed},
		{"empty", "", nil, ErrMalformed},
		{"oversized", sign(t, kidA, claimsWith(map[string]any{"pad": strings.Repeat("x", DefaultMaxTokenSize)}), nil), nil, ErrMalformed},
		{"over a custom size", good, []Option{WithMaxTokenSize(len(good) - 1)}, ErrMalformed},
		{"sub a number", sign(t, kidA, claimsWith(map[string]any{"sub": 42}), nil), nil, ErrMalformed},
		{"permissions a string", sign(t, kidA, claimsWith(map[string]any{"permissions": "posts:read"}), nil), nil, ErrMalformed},
		{"roles with a number", sign(t, kidA, claimsWith(map[string]any{"roles": []any{"member", 1}}), nil), nil, ErrMalformed},
		{"org_id an object", sign(t, kidA, claimsWith(map[string]any{"org_id": map[string]any{}}), nil), nil, ErrMalformed},
		{"act a string", sign(t, kidA, claimsWith(map[string]any{"act": "admin"}), nil), nil, ErrMalformed},
		{"aud a number", sign(t, kidA, claimsWith(map[string]any{"aud": 1}), nil), nil, ErrMalformed},
		{"membership id a number", sign(t, kidA, claimsWith(map[string]any{"organization_membership_id": 1}), nil), nil, ErrMalformed},
		{"custom membership claim a number", sign(t, kidA, claimsWith(map[string]any{"om": 1}), nil), []Option{WithMembershipClaim("om")}, ErrMalformed},
		{"crit header", sign(t, kidA, sessionClaims(), map[string]any{"crit": []string{"exp"}}), nil, ErrMalformed},
		{"Connect OAuth application token", sign(t, kidA, claimsWith(map[string]any{"sid": "app_consent_01JQ0E27WE4K1RCMH7Q094M1GJ", "aud": "client_123"}), nil), nil, ErrNotSessionToken},
		{"Connect M2M token", sign(t, kidA, claimsWith(map[string]any{"sub": "client_01JP8BD0CZ401TDF9X54NT5ZEK", "sid": nil}), nil), nil, ErrNotSessionToken},
		{"OAuth scope claim", sign(t, kidA, claimsWith(map[string]any{"scope": "openid profile"}), nil), nil, ErrNotSessionToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newTestVerifier(t, tt.opts...)
			got, err := v.Verify(t.Context(), tt.raw)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("Verify returned claims with an error: %+v", got)
			}
			for _, s := range sentinels {
				if s != tt.want && errors.Is(err, s) {
					t.Errorf("error %v also matches %v", err, s)
				}
			}
			assertNoSecret(t, err, tt.raw)
		})
	}
}

func TestVerifyRejectsNullExp(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t)
	raw := signRawPayload(t, `{"sub":"user_1","exp":null}`)
	if _, err := v.Verify(t.Context(), raw); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Verify error = %v, want ErrMalformed", err)
	}
}

// signRawPayload signs a literal JSON payload with key A.
func signRawPayload(tb testing.TB, payload string) string {
	tb.Helper()
	signing := b64(map[string]any{"alg": "RS256", "typ": "JWT", "kid": kidA}) + "." + b64(payload)
	sig, err := jwt.SigningMethodRS256.Sign(signing, privateKey(kidA))
	if err != nil {
		tb.Fatal(err)
	}
	return signing + "." + b64(string(sig))
}

func TestVerifyAccepts(t *testing.T) {
	t.Parallel()
	const newIssuer = "https://api.workos.com/user_management/client_123"
	tests := []struct {
		name   string
		claims map[string]any
		opts   []Option
		want   func(*Claims)
	}{
		{"all claims", sessionClaims(), nil, func(*Claims) {}},
		{"expired within the default leeway",
			claimsWith(map[string]any{"exp": t0.Add(-10 * time.Second).Unix()}), nil,
			func(c *Claims) { c.ExpiresAt = t0.Add(-10 * time.Second) }},
		{"expired within a custom leeway",
			claimsWith(map[string]any{"exp": t0.Add(-time.Minute).Unix()}), []Option{WithLeeway(2 * time.Minute)},
			func(c *Claims) { c.ExpiresAt = t0.Add(-time.Minute) }},
		{"iat slightly in the future (clock skew)",
			claimsWith(map[string]any{"iat": t0.Add(5 * time.Second).Unix()}), nil,
			func(c *Claims) { c.IssuedAt = t0.Add(5 * time.Second) }},
		{"nbf reached",
			claimsWith(map[string]any{"nbf": t0.Add(-time.Second).Unix()}), nil,
			func(c *Claims) { c.NotBefore = t0.Add(-time.Second) }},
		{"issuer in an allow-list of several",
			sessionClaims(), []Option{WithIssuer("https://api.workos.com", newIssuer), WithIssuer("https://auth.example.com")},
			func(*Claims) {}},
		{"issuer with a trailing slash",
			claimsWith(map[string]any{"iss": "https://api.workos.com/"}), []Option{WithIssuer("https://api.workos.com")},
			func(c *Claims) { c.Issuer = "https://api.workos.com/" }},
		{"audience as a string",
			claimsWith(map[string]any{"aud": "api"}), []Option{WithAudience("api")},
			func(c *Claims) { c.Audience = []string{"api"} }},
		{"audience in an array",
			claimsWith(map[string]any{"aud": []string{"other", "api"}}), []Option{WithAudience("api")},
			func(c *Claims) { c.Audience = []string{"other", "api"} }},
		{"minimal token: only sub and exp",
			map[string]any{"sub": "user_1", "exp": t0.Add(time.Minute).Unix()}, nil,
			func(c *Claims) { *c = Claims{Subject: "user_1", ExpiresAt: t0.Add(time.Minute)} }},
		{"membership id missing stays empty",
			claimsWith(map[string]any{"organization_membership_id": nil}), nil,
			func(c *Claims) { c.OrganizationMembershipID = "" }},
		{"membership id empty stays empty",
			claimsWith(map[string]any{"organization_membership_id": ""}), nil,
			func(c *Claims) { c.OrganizationMembershipID = "" }},
		{"custom membership claim",
			claimsWith(map[string]any{"om": "om_custom"}), []Option{WithMembershipClaim("om")},
			func(c *Claims) { c.OrganizationMembershipID = "om_custom" }},
		{"custom membership claim missing ignores the default one",
			sessionClaims(), []Option{WithMembershipClaim("om")},
			func(c *Claims) { c.OrganizationMembershipID = "" }},
		{"null arrays are empty",
			claimsWith(map[string]any{"permissions": []string(nil), "roles": []string(nil)}), nil,
			func(c *Claims) { c.Permissions, c.Roles = nil, nil }},
		{"fractional times",
			claimsWith(map[string]any{"exp": float64(t0.Add(time.Minute).Unix()) + 0.5}), nil,
			func(c *Claims) { c.ExpiresAt = t0.Add(time.Minute) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newTestVerifier(t, tt.opts...)
			raw := sign(t, kidA, tt.claims, nil)
			got, err := v.Verify(t.Context(), raw)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := wantClaims()
			tt.want(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

// A jku, x5u, x5c or embedded jwk header must never be followed or used:
// the attacker's server sees no request, and the token is judged by our
// keys only.
func TestVerifyNeverFollowsKeyURLs(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(jwksJSON(kidAttacker))
	}))
	defer attacker.Close()
	pub := publicKey(kidAttacker)
	embedded := map[string]any{"kty": "RSA", "kid": kidA, "n": b64(string(pub.N.Bytes())), "e": "AQAB"}

	tests := []struct {
		name   string
		kid    string
		header map[string]any
		want   error
	}{
		{"jku with the attacker's kid", kidAttacker, map[string]any{"jku": attacker.URL}, ErrUnknownKey},
		{"jku with our kid", kidA, map[string]any{"jku": attacker.URL}, ErrSignature},
		{"x5u", kidA, map[string]any{"x5u": attacker.URL}, ErrSignature},
		{"embedded jwk", kidA, map[string]any{"jwk": embedded}, ErrSignature},
		{"x5c with the attacker's certificate", kidA, map[string]any{"x5c": []string{certB64(kidAttacker)}, "x5t#S256": thumbprint(kidAttacker)}, ErrSignature},
		{"x5c and the attacker's kid", kidAttacker, map[string]any{"x5c": []string{certB64(kidAttacker)}}, ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTestVerifier(t)
			raw := signWith(t, privateKey(kidAttacker), tt.kid, sessionClaims(), tt.header)
			if _, err := v.Verify(t.Context(), raw); !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("attacker's server got %d requests, want 0", n)
	}
}

func TestNewVerifierOptions(t *testing.T) {
	t.Parallel()
	ks := staticKeys(kidA)
	tests := []struct {
		name     string
		clientID string
		opts     []Option
		wantErr  bool
	}{
		{"defaults", "client_123", nil, false},
		{"static keys without client ID", "", []Option{WithKeySet(ks)}, false},
		{"no client ID, no URL", "", nil, true},
		{"JWKS URL without client ID", "", []Option{WithJWKSURL("https://auth.example.com/jwks")}, false},
		{"empty issuer list", "client_123", []Option{WithIssuer()}, true},
		{"empty issuer", "client_123", []Option{WithIssuer("")}, true},
		{"empty audience", "client_123", []Option{WithAudience("")}, true},
		{"negative leeway", "client_123", []Option{WithLeeway(-time.Second)}, true},
		{"alg none", "client_123", []Option{WithValidMethods("none")}, true},
		{"HS256", "client_123", []Option{WithValidMethods("RS256", "HS256")}, true},
		{"no methods", "client_123", []Option{WithValidMethods()}, true},
		{"PS256 and RS256", "client_123", []Option{WithValidMethods("RS256", "PS256")}, false},
		{"cache size 0", "client_123", []Option{WithCache(0)}, true},
		{"cache", "client_123", []Option{WithCache(100)}, false},
		{"base URL without scheme", "client_123", []Option{WithBaseURL("api.workos.com")}, true},
		{"base URL ftp", "client_123", []Option{WithBaseURL("ftp://api.workos.com")}, true},
		{"nil HTTP client", "client_123", []Option{WithHTTPClient(nil)}, true},
		{"nil key set", "client_123", []Option{WithKeySet(nil)}, true},
		{"nil clock", "client_123", []Option{WithTimeFunc(nil)}, true},
		{"empty membership claim", "client_123", []Option{WithMembershipClaim("")}, true},
		{"key set with a JWKS URL", "client_123", []Option{WithKeySet(ks), WithJWKSURL("https://x.example/jwks")}, true},
		{"key set with a cooldown", "client_123", []Option{WithKeySet(ks), WithRefreshCooldown(time.Second)}, true},
		{"max age below refresh", "client_123", []Option{WithKeyRefresh(time.Hour), WithKeyMaxAge(time.Minute)}, true},
		{"zero token size", "client_123", []Option{WithMaxTokenSize(0)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewVerifier(tt.clientID, tt.opts...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewVerifier error = %v, want error %v", err, tt.wantErr)
			}
			if v != nil {
				v.Close()
			}
		})
	}
}

func TestNewVerifierJWKSURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"default", nil, "https://api.workos.com/sso/jwks/client_123"},
		{"base URL with a trailing slash", []Option{WithBaseURL("http://127.0.0.1:8080/")}, "http://127.0.0.1:8080/sso/jwks/client_123"},
		{"base URL with a path", []Option{WithBaseURL("http://127.0.0.1:8080/api")}, "http://127.0.0.1:8080/api/sso/jwks/client_123"},
		{"JWKS URL wins", []Option{WithBaseURL("http://a.example"), WithJWKSURL("http://b.example/keys")}, "http://b.example/keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewVerifier("client_123", tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if got := v.remote.URL(); got != tt.want {
				t.Errorf("JWKS URL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVerifyAfterClose(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t, WithCache(10))
	raw := sign(t, kidA, sessionClaims(), nil)
	if _, err := v.Verify(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
	v.Close()
	if _, err := v.Verify(t.Context(), raw); !errors.Is(err, ErrKeySetUnavailable) {
		t.Fatalf("Verify after Close = %v, want ErrKeySetUnavailable", err)
	}
}

func TestClaimsHasPermissionAndRole(t *testing.T) {
	t.Parallel()
	c := wantClaims()
	var nilClaims *Claims
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"permission granted", c.HasPermission("posts:read"), true},
		{"permission not granted", c.HasPermission("posts:delete"), false},
		{"empty permission", c.HasPermission(""), false},
		{"nil claims permission", nilClaims.HasPermission("posts:read"), false},
		{"role from role", c.HasRole("member"), true},
		{"role from roles", c.HasRole("auditor"), true},
		{"role absent", c.HasRole("admin"), false},
		{"nil claims role", nilClaims.HasRole("member"), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// Each valid token has one accepted spelling: no line breaks, no non-zero
// padding bits in the last base64 character.
func TestVerifyRejectsOtherSpellings(t *testing.T) {
	t.Parallel()
	good := sign(t, kidA, sessionClaims(), nil)
	parts := strings.Split(good, ".")
	sig := parts[2]
	// An RS256 signature is 256 bytes: 342 base64 characters with 4 spare
	// bits in the last one. Setting one of them keeps the decoded bytes.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	bent := sig[:len(sig)-1] + string(alphabet[last|1])
	tests := []struct {
		name string
		raw  string
	}{
		{"line feed in the signature", parts[0] + "." + parts[1] + "." + sig[:10] + "\n" + sig[10:]},
		{"carriage return in the signature", parts[0] + "." + parts[1] + "." + sig[:10] + "\r" + sig[10:]},
		{"non-zero padding bits", parts[0] + "." + parts[1] + "." + bent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.raw == good {
				t.Fatal("test setup: same spelling")
			}
			v := newTestVerifier(t)
			if _, err := v.Verify(t.Context(), tt.raw); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Verify error = %v, want ErrMalformed", err)
			}
		})
	}
}
