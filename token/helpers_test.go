package token

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Test keys live in testdata (generated once with openssl) so that the test
// binary does not spend seconds generating RSA keys. They sign nothing real.
const (
	kidA        = "sso_oidc_key_pair_01TESTKEYA"
	kidB        = "sso_oidc_key_pair_01TESTKEYB"
	kidAttacker = "attacker_key"
)

var testKeys = sync.OnceValue(func() map[string]*rsa.PrivateKey {
	keys := map[string]*rsa.PrivateKey{}
	for kid, file := range map[string]string{kidA: "rsa_a.pem", kidB: "rsa_b.pem", kidAttacker: "rsa_attacker.pem"} {
		data, err := os.ReadFile("testdata/" + file)
		if err != nil {
			panic(err)
		}
		block, _ := pem.Decode(data)
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			panic(err)
		}
		keys[kid] = k.(*rsa.PrivateKey)
	}
	return keys
})

func privateKey(kid string) *rsa.PrivateKey { return testKeys()[kid] }
func publicKey(kid string) *rsa.PublicKey   { return &testKeys()[kid].PublicKey }

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock for WithTimeFunc.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// sessionClaims are the claims of a typical AuthKit session token at t0.
func sessionClaims() map[string]any {
	return map[string]any{
		"iss":                        "https://api.workos.com/user_management/client_123",
		"sub":                        "user_01HBEQKA6K4QJAS93VPE39W1JT",
		"sid":                        "session_01HQSXZGF8FHF7A9ZZFCW4387R",
		"jti":                        "01HQSXZXPPFPKMDD32RKTFY6PV",
		"org_id":                     "org_01HRDMC6CM357W30QMHMQ96Q0S",
		"role":                       "member",
		"roles":                      []string{"member", "auditor"},
		"permissions":                []string{"posts:read", "posts:write"},
		"entitlements":               []string{"audit-logs"},
		"feature_flags":              []string{"beta"},
		"organization_membership_id": "om_01HALICE",
		"act":                        map[string]any{"sub": "admin@foocorp.com", "reason": "support ticket"},
		"client_id":                  "client_123",
		"iat":                        t0.Add(-time.Minute).Unix(),
		"exp":                        t0.Add(4 * time.Minute).Unix(),
	}
}

// claimsWith returns sessionClaims with changes; a nil value deletes the claim.
func claimsWith(changes map[string]any) map[string]any {
	c := sessionClaims()
	for k, v := range changes {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// sign returns an RS256 token signed with the private key of kid, with kid in
// the header, plus the extra header fields.
func sign(tb testing.TB, kid string, claims map[string]any, header map[string]any) string {
	tb.Helper()
	return signWith(tb, privateKey(kid), kid, claims, header)
}

func signWith(tb testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any, header map[string]any) string {
	tb.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(claims))
	if kid != "" {
		tok.Header["kid"] = kid
	}
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
			continue
		}
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// b64 encodes a JSON value, or a string as is, as a base64url segment.
func b64(v any) string {
	if s, ok := v.(string); ok {
		return base64.RawURLEncoding.EncodeToString([]byte(s))
	}
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

// jwksJSON encodes public keys as a JWKS document, as WorkOS serves it.
func jwksJSON(kids ...string) []byte {
	type jwk struct {
		Kty string `json:"kty"`
		Kid string `json:"kid"`
		Use string `json:"use"`
		Alg string `json:"alg"`
		N   string `json:"n"`
		E   string `json:"e"`
	}
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	doc.Keys = []jwk{}
	for _, kid := range kids {
		pub := publicKey(kid)
		doc.Keys = append(doc.Keys, jwk{
			Kty: "RSA", Kid: kid, Use: "sig", Alg: "RS256",
			N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		})
	}
	data, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return data
}

func staticKeys(kids ...string) *StaticKeySet {
	m := map[string]crypto.PublicKey{}
	for _, kid := range kids {
		m[kid] = publicKey(kid)
	}
	return NewStaticKeySet(m)
}

// countingKeySet counts lookups, to prove a cache hit skips the key set.
type countingKeySet struct {
	KeySet
	n atomic.Int64
}

func (c *countingKeySet) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	c.n.Add(1)
	return c.KeySet.Key(ctx, kid)
}

// newTestVerifier returns a Verifier on key A with the clock at t0.
func newTestVerifier(tb testing.TB, opts ...Option) *Verifier {
	tb.Helper()
	base := []Option{WithKeySet(staticKeys(kidA)), WithTimeFunc(func() time.Time { return t0 })}
	v, err := NewVerifier("client_123", append(base, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { v.Close() })
	return v
}

// assertNoSecret fails if err's message contains the token or a segment of it.
func assertNoSecret(tb testing.TB, err error, raw string) {
	tb.Helper()
	if err == nil || raw == "" {
		return
	}
	msg := err.Error()
	if len(raw) >= 16 && strings.Contains(msg, raw) {
		tb.Errorf("error message contains the token: %q", msg)
	}
	for _, seg := range strings.Split(raw, ".") {
		if len(seg) >= 16 && strings.Contains(msg, seg) {
			tb.Errorf("error message contains a token segment: %q", msg)
		}
	}
}

// waitIdle waits for the fetch in flight, if any, to finish.
func (r *RemoteKeySet) waitIdle() {
	r.mu.Lock()
	call := r.inflight
	r.mu.Unlock()
	if call != nil {
		<-call.done
	}
}

var cmpSorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })
